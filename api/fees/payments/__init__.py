"""Payments: WeChat Pay orders and their notifies, refunds (four eyes), the daily reconciliation, the books."""
