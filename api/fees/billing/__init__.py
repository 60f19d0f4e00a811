"""Billing: the fee standards, accounts, the monthly bill run, reminders, the arrears rollup."""
