"""The citizen's view of a report: the status they see, the outcome to rate, the timeline, what they may do next.

The case a report is on is passed in by the caller; whose words the timeline may show is decided here (the
citizen's own, or the remark the office wrote for them; never an internal note).
"""

from __future__ import annotations

from api.citizen.status import (
    CASE_TIMELINE,
    OWN_WORDS,
    REPORT_TIMELINE,
    TIMELINE_ACTIONS,
    citizen_status,
    on_timeline,
)
from api.events.service import history
from api.media import service as media
from api.media.models import MediaKind
from api.reports.models import Report
from api.reports.present import photo_view, report_fields


def report_view(report: Report, base_url: str, *, case=None, timeline: bool = False, new: bool = False) -> dict:
    status = citizen_status(report, case.status if case is not None else None)
    view = {**report_fields(report, base_url, new=new), "status": status.code, "status_label": status.label,
            "case_no": case.case_no if case is not None else None}
    if case is not None and status.code == "resolved":
        view["result"] = {"text": case.result_text, "closed_at": case.closed_at,
                          "photos": [photo_view(m, base_url)
                                     for m in media.list_for("case", case.id, MediaKind.AFTER_PHOTO)
                          if m.round == case.result_round]}  # the outcome's own photos, not earlier rounds'
    if timeline:
        view["timeline"] = timeline_of(report, case)
    return view


def timeline_of(report: Report, case=None) -> list[dict]:
    events = history("report", report.id, REPORT_TIMELINE)
    if case is not None:
        events += [e for e in history("case", case.id, CASE_TIMELINE) if on_timeline(e)]
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
