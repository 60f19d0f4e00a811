"""Sanitation fees (环卫收费): accounts, standards, bill runs, WeChat Pay v3, refunds, reconciliation."""
