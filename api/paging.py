"""Paging, defined once for every list: `page` and `page_size` bounded so that `(page - 1) * page_size` is always a
small offset (a page number a client makes up — 2**63 - 1 — is a 400 VALIDATION_ERROR, never an overflow).

Lists subclass `PageArgs`; one that shows more rows per page says so with `page_args(default, most)`.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

PAGE_MAX = 10_000  # no desk pages past 10,000; a filter finds what is further back


def page_fields(default_size: int = 20, most: int = 100) -> dict[str, ma.fields.Field]:
    return {"page": ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=PAGE_MAX)),
            "page_size": ma.fields.Integer(load_default=default_size, validate=validate.Range(min=1, max=most))}


class PageArgs(ma.Schema):
    """`page` 1–10,000 and `page_size` 1–100 (20 by default)."""

    page = page_fields()["page"]
    page_size = page_fields()["page_size"]


def page_args(default_size: int, most: int) -> type[ma.Schema]:
    """A PageArgs whose page size has another default and bound (the grid register shows 50, up to 500)."""
    return PageArgs.from_dict(page_fields(default_size, most), name=f"PageArgs{default_size}x{most}")
