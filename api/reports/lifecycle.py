"""The report state machine: one table, one transition() that checks, stamps and writes the event."""

from __future__ import annotations

from enum import StrEnum

from api.events.service import Actor, record
from api.reports.errors import IllegalReportTransition


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # on a case: the case engine (api/cases) carries it from here
    WITHDRAWN = "withdrawn"  # 已撤回 (end)


class ReportAction(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"


# (from, action) → (to, actor types allowed). Acceptance, dispatch and closing happen on the case.
TRANSITIONS: dict[tuple[ReportStatus, ReportAction], tuple[ReportStatus, frozenset[str]]] = {
    (ReportStatus.DRAFT, ReportAction.SUBMIT): (ReportStatus.SUBMITTED, frozenset({"citizen"})),
    (ReportStatus.SUBMITTED, ReportAction.WITHDRAW): (ReportStatus.WITHDRAWN, frozenset({"citizen"})),
}


def transition(report, action: ReportAction, actor: Actor, *, reason: str | None = None,
               payload: dict | None = None) -> ReportStatus:
    """Apply `action` to `report` if the table allows it; records the event in the same transaction."""
    current = ReportStatus(report.status)
    entry = TRANSITIONS.get((current, action))
    if entry is None or actor.type not in entry[1]:
        raise IllegalReportTransition(details={"status": current, "action": action, "actor": actor.type})
    target = entry[0]
    report.status = target
    report.status_reason = reason
    record("report", report.id, str(action), actor, from_state=current, to_state=target, reason=reason,
           payload=payload)
    return target
