"""citizen_status(): the one place that decides what status a citizen sees for a report."""

from __future__ import annotations

from dataclasses import dataclass

from api.cases.lifecycle import CaseStatus
from api.reports.lifecycle import ReportStatus

C = CaseStatus


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

# Every case status (api/cases/lifecycle.py) as the citizen sees it (a test checks none is missing).
_BY_CASE_STATUS: dict[CaseStatus, CitizenStatus] = {
    C.PENDING: SUBMITTED, C.VERIFYING: SUBMITTED, C.AWAITING_DISPATCH: ACCEPTED, C.DISPATCHED: HANDLING,
    C.IN_PROGRESS: HANDLING, C.AWAITING_CHECK: HANDLING, C.DEFERRED: HANDLING, C.CLOSED: RESOLVED,
    C.AWAITING_CLOSE: HANDLING,  # the 值班长 has not approved 结案 yet: not resolved for the citizen
    C.REFUSED: REJECTED, C.WITHDRAWN: WITHDRAWN, C.MERGED: HANDLING,
}

CITIZEN_STATUS_CODES = tuple(s.code for s in (DRAFT, SUBMITTED, ACCEPTED, HANDLING, RESOLVED, REJECTED, WITHDRAWN))


def citizen_status(report, case_status: str | None = None) -> CitizenStatus:
    """What the citizen sees: the draft/withdrawn report itself, else the stage of the case it is on."""
    if report.status == ReportStatus.DRAFT:
        return DRAFT
    if report.status == ReportStatus.WITHDRAWN:
        return WITHDRAWN
    return _BY_CASE_STATUS[CaseStatus(case_status)] if case_status else SUBMITTED


def case_statuses_for(code: str) -> list[str]:
    return [str(status) for status, cs in _BY_CASE_STATUS.items() if cs.code == code]


# Events a citizen sees on the timeline (report events, then case events), with their wording.
TIMELINE_ACTIONS = {
    "created": "创建草稿",
    "submit": "已提交，等待受理",
    "withdraw": "已撤回",
    "accept": "已立案",
    "refuse": "不予立案",
    "dispatch": "已派遣处置",
    "check_pass": "已办结",
    "approve_close": "已办结",
    "reopen": "已重新处理",
    "rated": "已评价",
}
# Whose words a timeline entry may show: the citizen's own (their withdraw or reopen reason); from staff, only
# the remark written for the citizen (an action's `reason` is the office's internal note).
OWN_WORDS = frozenset({"created", "submit", "withdraw", "reopen"})
REPORT_TIMELINE = ("created", "submit", "withdraw")
CASE_TIMELINE = ("accept", "refuse", "dispatch", "check_pass", "approve_close", "reopen", "rated")


def on_timeline(event) -> bool:
    """A passed 核查 is the citizen's 已办结 only when it closed the case (with 结案 approval, `approve_close` is)."""
    return event.action != "check_pass" or event.to_state == C.CLOSED
