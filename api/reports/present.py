"""Turn reports into the dicts the schemas dump (links and coordinates need the request's base URL).

The case a report is on is passed in by the caller (the routes ask the case engine), so this domain
needs no import of it.
"""

from __future__ import annotations

from api import geo
from api.events.service import history
from api.media import service as media
from api.media.models import MediaKind
from api.reports import categories
from api.reports.models import Report
from api.reports.status import CASE_TIMELINE, OWN_WORDS, REPORT_TIMELINE, TIMELINE_ACTIONS, citizen_status


def report_view(report: Report, base_url: str, *, case=None, timeline: bool = False) -> dict:
    status = citizen_status(report, case.status if case is not None else None)
    category = categories.BY_KEY.get(report.category_hint or "")
    view = {
        "id": report.id, "report_no": report.report_no, "status": status.code, "status_label": status.label,
        "description": report.description, "category_hint": report.category_hint,
        "category_label": category.label if category else None, "address_text": report.address_text,
        "location": geo.both_systems(report.lat, report.lon),
        "created_at": report.created_at, "submitted_at": report.submitted_at,
        "photos": [photo_view(m, base_url) for m in media.list_for("report", report.id)],
        "case_no": case.case_no if case is not None else None,
    }
    if case is not None and status.code == "resolved":
        view["result"] = {"text": case.result_text, "closed_at": case.closed_at,
                          "photos": [photo_view(m, base_url)
                                     for m in media.list_for("case", case.id, MediaKind.AFTER_PHOTO)
                          if m.round == case.result_round]}  # the outcome's own photos, not earlier rounds'
    if timeline:
        view["timeline"] = timeline_of(report, case)
    return view


def photo_view(item, base_url: str) -> dict:
    return {"id": item.id, "width": item.width, "height": item.height, "content_type": item.content_type,
            "captured_at": item.captured_at, "urls": media.links(item, base_url)}


def timeline_of(report: Report, case=None) -> list[dict]:
    events = history("report", report.id, REPORT_TIMELINE)
    if case is not None:
        events += history("case", case.id, CASE_TIMELINE)
    events.sort(key=lambda e: (e.created_at, e.id))
    return [{"action": e.action, "label": TIMELINE_ACTIONS[e.action], "at": e.created_at,
             "remark": _remark_for(report, e)} for e in events]


def _remark_for(report: Report, event) -> str | None:
    """The citizen's own words, or what the office wrote for the citizen; never an internal note, never another
    follower's words."""
    if event.action in OWN_WORDS:
        mine = event.actor_type == "citizen" and event.actor_id == report.reporter_id
        return event.reason if mine else None
    return (event.payload or {}).get("citizen_remark")
