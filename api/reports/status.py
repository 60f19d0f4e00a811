"""citizen_status(): the one place that decides what status a citizen sees for a report."""

from __future__ import annotations

from dataclasses import dataclass

from api.reports.lifecycle import ReportStatus


@dataclass(frozen=True)
class CitizenStatus:
    code: str
    label: str  # ≤ 5 Chinese characters: also the `phrase` keyword of the progress message


_BY_REPORT_STATUS = {
    ReportStatus.DRAFT: CitizenStatus("draft", "草稿"),
    ReportStatus.SUBMITTED: CitizenStatus("received", "已受理"),
    ReportStatus.ACCEPTED: CitizenStatus("accepted", "已立案"),
    ReportStatus.REJECTED: CitizenStatus("rejected", "不予立案"),
    ReportStatus.WITHDRAWN: CitizenStatus("withdrawn", "已撤回"),
}

CITIZEN_STATUS_CODES = tuple(s.code for s in _BY_REPORT_STATUS.values())


def citizen_status(report) -> CitizenStatus:
    """Today derived from the report alone; the work-order engine will derive it from the case."""
    return _BY_REPORT_STATUS[ReportStatus(report.status)]


def report_statuses_for(code: str) -> list[ReportStatus]:
    return [status for status, cs in _BY_REPORT_STATUS.items() if cs.code == code]


# Events a citizen sees on the timeline, with their wording.
TIMELINE_ACTIONS = {
    "created": "创建草稿",
    "submit": "已提交，等待受理",
    "accept": "已立案",
    "reject": "不予立案",
    "withdraw": "已撤回",
}
