"""The case state machine: one table (status × action → status, with the roles allowed), one transition()."""

from __future__ import annotations

from enum import StrEnum

from api.cases.errors import ActionNotAllowed, IllegalCaseTransition
from api.events.service import Actor, record


class CaseStatus(StrEnum):
    PENDING = "pending"  # 待受理
    VERIFYING = "verifying"  # 待核实 (on-site check before 立案)
    AWAITING_DISPATCH = "awaiting_dispatch"  # 待派遣 (立案)
    DISPATCHED = "dispatched"  # 待处置 (work order with a department)
    IN_PROGRESS = "in_progress"  # 处置中
    AWAITING_CHECK = "awaiting_check"  # 待核查
    AWAITING_CLOSE = "awaiting_close"  # 待结案审批 (the 核查 passed; the 值班长 approves 结案: CLOSE_APPROVAL)
    CLOSED = "closed"  # 已结案
    REFUSED = "refused"  # 不予立案 (end)
    WITHDRAWN = "withdrawn"  # 已撤回 (end)
    MERGED = "merged"  # 已合并 (end)
    DEFERRED = "deferred"  # 缓办


class CaseAction(StrEnum):
    ACCEPT = "accept"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"
    MERGE = "merge"
    UNMERGE = "unmerge"
    REQUEST_VERIFICATION = "request_verification"
    RECORD_VERIFICATION = "record_verification"
    DISPATCH = "dispatch"
    RECEIVE = "receive"
    RETURN = "return"
    SUBMIT_RESULT = "submit_result"
    CHECK_PASS = "check_pass"
    CHECK_FAIL = "check_fail"
    APPROVE_CLOSE = "approve_close"
    REJECT_CLOSE = "reject_close"
    DEFER = "defer"
    RESUME = "resume"
    EXTEND = "extend"
    REOPEN = "reopen"


S, A = CaseStatus, CaseAction
# OPEN: work still to do (缓办 possible, the 处置 clock may run). AWAITING_CLOSE is neither open nor ended: the work
# passed its 核查, no clock runs against the department, only the 值班长's approval is left.
OPEN = frozenset({S.PENDING, S.VERIFYING, S.AWAITING_DISPATCH, S.DISPATCHED, S.IN_PROGRESS, S.AWAITING_CHECK})
ENDED = frozenset({S.REFUSED, S.WITHDRAWN, S.MERGED})
CLERK, DISPATCHER, SYSTEM, CITIZEN = "intake_clerk", "dispatcher", "system", "citizen"
DEPT, SUPERVISOR, SHIFT_LEAD = frozenset({"dept_head", "dept_handler"}), "supervisor", "shift_lead"

# (from, action) → (to, roles that may do it). RESUME returns to the status before the deferral.
TRANSITIONS: dict[tuple[CaseStatus, CaseAction], tuple[CaseStatus | None, frozenset[str]]] = {
    (S.PENDING, A.ACCEPT): (S.AWAITING_DISPATCH, frozenset({CLERK, SYSTEM})),
    (S.PENDING, A.REFUSE): (S.REFUSED, frozenset({CLERK})),
    (S.PENDING, A.WITHDRAW): (S.WITHDRAWN, frozenset({CITIZEN})),
    (S.PENDING, A.MERGE): (S.MERGED, frozenset({CLERK, SYSTEM})),
    (S.MERGED, A.UNMERGE): (S.PENDING, frozenset({CLERK})),
    (S.PENDING, A.REQUEST_VERIFICATION): (S.VERIFYING, frozenset({CLERK, SYSTEM})),
    (S.VERIFYING, A.RECORD_VERIFICATION): (S.PENDING, frozenset({SUPERVISOR})),
    (S.AWAITING_DISPATCH, A.DISPATCH): (S.DISPATCHED, frozenset({DISPATCHER, SYSTEM})),
    (S.DISPATCHED, A.RECEIVE): (S.IN_PROGRESS, DEPT),
    (S.DISPATCHED, A.RETURN): (S.AWAITING_DISPATCH, DEPT),
    (S.IN_PROGRESS, A.SUBMIT_RESULT): (S.AWAITING_CHECK, DEPT),
    (S.IN_PROGRESS, A.RETURN): (S.AWAITING_DISPATCH, DEPT),
    (S.AWAITING_CHECK, A.CHECK_PASS): (S.CLOSED, frozenset({SUPERVISOR})),
    (S.AWAITING_CHECK, A.CHECK_FAIL): (S.IN_PROGRESS, frozenset({SUPERVISOR})),
    # 结案 approval (值班长): sent back, the case is checked again on site (the 核查 decides any 返工)
    (S.AWAITING_CLOSE, A.APPROVE_CLOSE): (S.CLOSED, frozenset({SHIFT_LEAD})),
    (S.AWAITING_CLOSE, A.REJECT_CLOSE): (S.AWAITING_CHECK, frozenset({SHIFT_LEAD})),
    (S.CLOSED, A.REOPEN): (S.AWAITING_DISPATCH, frozenset({CITIZEN})),
    (S.DEFERRED, A.RESUME): (None, frozenset({DISPATCHER})),
    **{(status, A.DEFER): (S.DEFERRED, frozenset({DISPATCHER})) for status in OPEN},
    **{(status, A.EXTEND): (status, frozenset({DISPATCHER})) for status in OPEN - {S.PENDING, S.VERIFYING}},
}
# Where the office has the 值班长 approve 结案 (CLOSE_APPROVAL), these rows lead elsewhere: a passed 核查 waits
# at the approval desk instead of closing the case.
WITH_CLOSE_APPROVAL: dict[tuple[CaseStatus, CaseAction], CaseStatus] = {
    (S.AWAITING_CHECK, A.CHECK_PASS): S.AWAITING_CLOSE,
}


def entry_for(case, action: CaseAction) -> tuple[CaseStatus | None, frozenset[str]]:
    """The table's row for this action from the case's status; 409 ILLEGAL_TRANSITION where there is none (asked
    first by an action that checks its own preconditions, so that a result before `receive` is told it is early,
    not that a photo is missing)."""
    entry = TRANSITIONS.get((CaseStatus(case.status), action))
    if entry is None:
        raise IllegalCaseTransition(details={"status": CaseStatus(case.status), "action": action})
    return entry


def transition(case, action: CaseAction, actor: Actor, roles: frozenset[str], *, reason: str | None = None,
               payload: dict | None = None, close_approval: bool = False) -> CaseStatus:
    """Check the table, move the case, stamp it, and record the event in the caller's transaction.
    `close_approval`: the office setting CLOSE_APPROVAL (WITH_CLOSE_APPROVAL's rows then apply)."""
    current = CaseStatus(case.status)
    target, allowed = entry_for(case, action)
    if not roles & allowed:
        raise ActionNotAllowed(details={"action": action, "allowed_roles": sorted(allowed)})
    if target is None:  # resume
        target = CaseStatus(case.status_before_deferral)
    if close_approval:
        target = WITH_CLOSE_APPROVAL.get((current, action), target)
    if action == A.DEFER:
        case.status_before_deferral = current
    case.status = target
    if actor.type != "system":
        case.triage_reason = None  # a person has taken it from the automatic intake
    record("case", case.id, str(action), actor, from_state=current, to_state=target, reason=reason, payload=payload)
    return target
