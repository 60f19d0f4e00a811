"""The append-only event log shared by every domain (one table keyed by subject type and id)."""
