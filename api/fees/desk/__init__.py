"""The billing desk's routes (收费: /admin/billing)."""
