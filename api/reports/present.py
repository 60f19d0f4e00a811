"""Turn drafts and photos into the dicts the schemas dump (links and coordinates need the request's base URL).

The views of a submitted report, with its case's progress, are the citizen view's (api/citizen/present.py).
"""

from __future__ import annotations

from api import geo
from api.media import service as media
from api.reports import categories
from api.reports.content import RISKY
from api.reports.models import Report


def report_fields(report: Report, base_url: str, *, new: bool = False) -> dict:
    """The report's own fields and photos (the status the citizen sees is added by api/citizen/present.py).
    `new`: a draft created by this request, which cannot have photos yet (no query for them)."""
    category = categories.BY_KEY.get(report.category_hint or "")
    view = {
        "id": report.id, "report_no": report.report_no, "description": report.description,
        "category_hint": report.category_hint, "category_label": category.label if category else None,
        "address_text": report.address_text, "contact_phone": report.contact_phone,
        "location": geo.both_systems(report.lat, report.lon),
        "text_refused": report.content_check == RISKY,
        "created_at": report.created_at, "submitted_at": report.submitted_at,
        "photos": [] if new else [photo_view(m, base_url) for m in media.list_for("report", report.id)],
    }
    return view


def photo_view(item, base_url: str) -> dict:
    return {"id": item.id, "width": item.width, "height": item.height, "content_type": item.content_type,
            "captured_at": item.captured_at, "refused": item.content_check == RISKY,
            "urls": media.links(item, base_url)}
