"""Step 3 of the automatic intake: dispatch an accepted case; and what happens when a step gives up for good.

Each step runs as its own RQ job after the commit that triggers it (through the outbox), takes ids and is
idempotent. When the last retry of a step failed, `give_up` puts the case on the triage desk with the reason:
visible, never stuck silently.
"""

from __future__ import annotations

from api.cases import handling
from api.cases import queries as case_queries
from api.cases.errors import IllegalCaseTransition
from api.cases.lifecycle import CaseStatus
from api.cases.models import Case
from api.db import Session
from api.events.service import Actor, record
from api.media.models import Media

S = CaseStatus


def dispatch_case(case_id: int) -> Case | None:
    """派遣 by the system to the department the 权责清单 names; skipped when someone got there first."""
    case = Session.get(Case, case_id)
    if case is None or case.status != S.AWAITING_DISPATCH or case.triage_reason:
        return None
    try:
        with Session.begin_nested():  # a refused dispatch leaves nothing behind
            return handling.dispatch(None, case_id)
    except IllegalCaseTransition:
        return None  # a dispatcher (or a racing copy of this job) dispatched it meanwhile


# -- when a job gives up ----------------------------------------------------------------------------------
def give_up(step: str, subject_id: int, error: str) -> Case | None:
    """The last retry failed: the case goes to the triage desk with the reason (and an event)."""
    case = _case_for_step(step, subject_id)
    if case is None or case.status not in (S.PENDING, S.AWAITING_DISPATCH):
        return case
    reason = f"pipeline_failed: {step}: {error}"[:200]
    case.triage_reason = reason
    record("case", case.id, "triage", Actor.system(), reason=reason, payload={"step": step, "id": subject_id})
    return case


def _case_for_step(step: str, subject_id: int) -> Case | None:
    if step == "dispatch_case":
        return Session.get(Case, subject_id, with_for_update=True)
    report_id = subject_id
    if step == "classify_photo":
        media = Session.get(Media, subject_id)
        if media is None or media.owner_type != "report":
            return None
        report_id = media.owner_id
    return case_queries.case_of_report(report_id, for_update=True)
