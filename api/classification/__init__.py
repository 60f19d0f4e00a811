"""Automatic intake: photo and text classification, auto-routing, duplicates, the models that learn from staff."""
