"""Documents as plain data → PDF bytes: the fiscal e-receipt (财政电子票据) and its reversal (红冲), the VAT e-invoice
layout (数电票); the gas issue adds its visit record and rectification notice here.

No database, no Flask, no network: frozen dataclasses in (`invoices.documents`), bytes out (`invoices.render`).
The same input gives the same bytes (reportlab's invariant mode, the document's own issue time as the PDF's date),
so golden files can pin them per font (`invoices.fonts`).
"""
