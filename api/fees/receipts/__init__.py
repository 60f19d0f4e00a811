"""Receipts: fiscal e-receipts prepared, issued by the platform, reversed (红冲), verified by anyone."""
