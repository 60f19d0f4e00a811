"""citizen_status(): the one place that decides what status a citizen sees for a report."""

from __future__ import annotations

from dataclasses import dataclass

from api.reports.lifecycle import ReportStatus


@dataclass(frozen=True)
class CitizenStatus:
    code: str
    label: str  # ≤ 5 Chinese characters: also the `phrase` keyword of the progress message


DRAFT = CitizenStatus("draft", "草稿")
SUBMITTED = CitizenStatus("submitted", "待受理")  # sent; staff have not accepted it yet
ACCEPTED = CitizenStatus("accepted", "已立案")
HANDLING = CitizenStatus("handling", "处置中")
RESOLVED = CitizenStatus("resolved", "已办结")
REJECTED = CitizenStatus("rejected", "不予立案")
WITHDRAWN = CitizenStatus("withdrawn", "已撤回")

# Case statuses (api/cases/lifecycle.py) as the citizen sees them; named by value so that this
# module needs no import of the case engine.
_BY_CASE_STATUS = {
    "pending": SUBMITTED, "verifying": SUBMITTED, "awaiting_dispatch": ACCEPTED, "dispatched": HANDLING,
    "in_progress": HANDLING, "awaiting_check": HANDLING, "deferred": HANDLING, "closed": RESOLVED,
    "refused": REJECTED, "withdrawn": WITHDRAWN, "merged": HANDLING,
}

CITIZEN_STATUS_CODES = ("draft", "submitted", "accepted", "handling", "resolved", "rejected", "withdrawn")


def citizen_status(report, case_status: str | None = None) -> CitizenStatus:
    """What the citizen sees: the draft/withdrawn report itself, else the stage of the case it is on."""
    if report.status == ReportStatus.DRAFT:
        return DRAFT
    if report.status == ReportStatus.WITHDRAWN:
        return WITHDRAWN
    return _BY_CASE_STATUS[case_status] if case_status else SUBMITTED


def case_statuses_for(code: str) -> list[str]:
    return [status for status, cs in _BY_CASE_STATUS.items() if cs.code == code]


# Events a citizen sees on the timeline (report events, then case events), with their wording.
TIMELINE_ACTIONS = {
    "created": "创建草稿",
    "submit": "已提交，等待受理",
    "withdraw": "已撤回",
    "accept": "已立案",
    "refuse": "不予立案",
    "dispatch": "已派遣处置",
    "check_pass": "已办结",
    "reopen": "已重新处理",
    "rated": "已评价",
}
# Whose words a timeline entry may show: the citizen's own (their withdraw or reopen reason); from staff, only
# the remark written for the citizen (an action's `reason` is the office's internal note).
OWN_WORDS = frozenset({"created", "submit", "withdraw", "reopen"})
REPORT_TIMELINE = ("created", "submit", "withdraw")
CASE_TIMELINE = ("accept", "refuse", "dispatch", "check_pass", "reopen", "rated")
