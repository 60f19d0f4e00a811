"""The billing desk's figures (收费报表: /admin/billing/reports): collections, arrears, exports."""
