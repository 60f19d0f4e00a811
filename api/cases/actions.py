"""The case actions as one table, and who may take which one now — for the API and the staff console alike.

Each row is one POST /cases/<id>/<name>: who may call it (the access rule), what it reads (the schema), what it
does (the service), and the row of the state table it takes (`step`) or, for actions that move no state, the
statuses it applies in. `allowed(user, case, action)` answers from the same facts the services refuse by: the
state table's roles (`lifecycle.TRANSITIONS`), the endpoint's roles, and the scope predicates of api.cases.common
(the department holding the work order; once assigned, its handler or a head). The console shows exactly the
buttons `available()` gives; the API refuses exactly the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import marshmallow as ma

from api.assets.errors import ComponentNotFound
from api.cases import acceptance, common, deadlines, handling, queries
from api.cases.errors import (
    ActionNotAllowed,
    AfterPhotoRequired,
    CannotMergeIntoItself,
    CaseOutOfScope,
    CategoryRequired,
    CloseConditionUnmet,
    IllegalCaseTransition,
    OwnCheck,
)
from api.cases.lifecycle import OPEN, TRANSITIONS, CaseAction, CaseStatus
from api.cases.models import Case
from api.cases.schemas import (
    AcceptSchema,
    CaseReasonSchema,
    CaseResultSchema,
    CategorySetSchema,
    CheckSchema,
    CloseApprovalSchema,
    ComponentSetSchema,
    DispatchSchema,
    ExtensionSchema,
    MergeSchema,
    PrioritySchema,
    ReceiveSchema,
    RefuseSchema,
    ReturnSchema,
    VerificationSchema,
)
from api.errors import DomainError
from api.identity.models import User
from api.roles import Role
from api.routing.errors import NoOwner, UnknownDepartment
from api.taxonomy.errors import CategoryNotFound

A, S = CaseAction, CaseStatus
DEPT = (Role.DEPT_HEAD, Role.DEPT_HANDLER)


class EmptySchema(ma.Schema):
    pass


@dataclass(frozen=True)
class Action:
    name: str  # the URL segment and the console's form name
    roles: tuple[Role, ...]  # who may call the endpoint at all
    schema: type[ma.Schema]
    summary: str
    changes: str
    call: Callable[[User, int, dict], Case]
    errors: tuple = ()
    step: CaseAction | None = None  # the state table's row it takes (its roles and from-statuses apply)
    statuses: frozenset[CaseStatus] = frozenset()  # for an action that moves no state: where it applies
    scope: str = "case"  # "case": within the caller's scope; "department": the holding department; "handler"


ACTIONS: tuple[Action, ...] = (
    Action("accept", (Role.INTAKE_CLERK,), AcceptSchema, "立案: accept a pending case (setting its 小类 if needed)",
           "待受理 → 待派遣 (event `accept`); the reporters are told (`citizen_remark`, or a default). `note` stays "
           "internal.",
           lambda u, c, b: acceptance.accept(u, c, b.get("category_code"), b.get("note"), b.get("citizen_remark")),
           (CategoryRequired, CategoryNotFound), step=A.ACCEPT),
    Action("refuse", (Role.INTAKE_CLERK,), RefuseSchema, "不予立案: refuse a pending case with a reason",
           "Ends the case (`refused`); the reporters read `citizen_remark` (or a plain default), never `reason`; a "
           "12345 case's answer is queued.",
           lambda u, c, b: acceptance.refuse(u, c, b["reason"], b.get("citizen_remark")), step=A.REFUSE),
    Action("merge", (Role.INTAKE_CLERK,), MergeSchema, "Merge a duplicate into an open case; its reporters follow",
           "The case ends `merged`; its reports move to the target, whose supporters rise (3 → urgent).",
           lambda u, c, b: acceptance.merge(u, c, b["into_case_id"]), (CannotMergeIntoItself,), step=A.MERGE),
    Action("unmerge", (Role.INTAKE_CLERK,), CaseReasonSchema,
           "Undo a merge (by a person or the automatic duplicate check): the case's reports come back to it",
           "The case is pending again at the intake desk; the target's supporters fall back.",
           lambda u, c, b: acceptance.unmerge(u, c, b["reason"]), step=A.UNMERGE),
    Action("request-verification", (Role.INTAKE_CLERK,), EmptySchema,
           "Ask the nearest on-duty 监督员 to verify on site before 立案",
           "待受理 → 待核实; the task goes to the nearest on-duty supervisor, else the street's, else a district "
           "one, else the command centre's inbox (flagged); the event says who and why.",
           lambda u, c, b: acceptance.request_verification(u, c), step=A.REQUEST_VERIFICATION),
    Action("verification", (Role.SUPERVISOR,), VerificationSchema, "Record the on-site 核实 (photos first)",
           "待核实 → 待受理 with the finding; the verification photos of round 0 are recorded with it.",
           lambda u, c, b: acceptance.record_verification(u, c, b["confirmed"], b.get("note")),
           step=A.RECORD_VERIFICATION),
    Action("category", (Role.INTAKE_CLERK, Role.DISPATCHER), CategorySetSchema, "Set or correct the 小类",
           "Files the case under the current version of the 小类 (event `category_set`); a safety 小类 makes it "
           "urgent.", lambda u, c, b: acceptance.set_category(u, c, b["category_code"]), (CategoryNotFound,),
           statuses=frozenset({S.PENDING, S.VERIFYING, S.AWAITING_DISPATCH})),
    Action("component", (Role.INTAKE_CLERK, Role.DISPATCHER, Role.SUPERVISOR), ComponentSetSchema,
           "Link the 部件 the case concerns (16-digit component code)", "Event `component_set`.",
           lambda u, c, b: acceptance.set_component(u, c, b["component_code"]), (ComponentNotFound,),
           statuses=OPEN),
    Action("priority", (Role.INTAKE_CLERK, Role.DISPATCHER, Role.COMMAND_CENTRE), PrioritySchema,
           "Set the priority with a reason", "Event `priority_set` with the old and new priority.",
           lambda u, c, b: acceptance.set_priority(u, c, b["priority"], b["reason"]), statuses=OPEN),
    Action("dispatch", (Role.DISPATCHER,), DispatchSchema,
           "派遣: to the department the 权责清单 names, or the one given; starts the 处置 clock",
           "待派遣 → 待处置: a work order for the department, a deadline on the 小类's clock, notices to its head "
           "and handlers, a progress message to the reporters.",
           lambda u, c, b: handling.dispatch(u, c, b.get("department_code")),
           (CategoryRequired, UnknownDepartment, NoOwner), step=A.DISPATCH),
    Action("receive", DEPT, ReceiveSchema, "Receive the work order and assign a handler (yourself by default)",
           "待处置 → 处置中; only the department holding the work order.",
           lambda u, c, b: handling.receive(u, c, b.get("handler_id")), step=A.RECEIVE, scope="department"),
    Action("return", DEPT, ReturnSchema, "回退 to the dispatch desk with a reason code",
           "Back to 待派遣; the work order ends `returned`; the dispatchers are told.",
           lambda u, c, b: handling.return_case(u, c, b["reason_code"], b["reason"]), step=A.RETURN,
           scope="department"),
    Action("result", DEPT, CaseResultSchema, "Submit the result (after-photos first when the 结案条件 needs them)",
           "处置中 → 待核查; only the holding department (once assigned, its handler or head). Each result round "
           "needs after-photos of its own; the 核查 task is assigned like a 核实.",
           lambda u, c, b: handling.submit_result(u, c, b["result_text"]), (AfterPhotoRequired,),
           step=A.SUBMIT_RESULT, scope="handler"),
    Action("check", (Role.SUPERVISOR,), CheckSchema, "核查: pass closes the case, fail sends it back (返工)",
           "Pass: 待核查 → 已结案, reporters told (`citizen_remark` or a default), 12345 answer queued — unless the "
           "case's source has a condition of its own (a gas hazard: a passed re-inspection; 409 "
           "CLOSE_CONDITION_UNMET). Where the office has the 值班长 approve 结案 (CLOSE_APPROVAL), a pass leads to "
           "待结案审批 instead and the 值班长 are told; nobody else is. Fail: back to 处置中, 返工 counted, the "
           "department told. `note` stays internal.",
           lambda u, c, b: handling.check(u, c, b["passed"], b.get("note"), b.get("citizen_remark")),
           (CloseConditionUnmet,), step=A.CHECK_PASS),
    Action("approve-close", (Role.SHIFT_LEAD,), CloseApprovalSchema, "结案: the 值班长 approves a passed 核查",
           "待结案审批 → 已结案 with everything closing does: the work order done, reporters told (`citizen_remark`, "
           "else the 核查's, else a default), the rating and reopen window opens, 12345 answer queued (the "
           "source's condition is asked again: 409 CLOSE_CONDITION_UNMET). `note` stays internal. Four eyes: a 核查 "
           "passed by the caller (one who holds both roles) is approved by another 值班长 (403 OWN_CHECK).",
           lambda u, c, b: handling.approve_close(u, c, b.get("note"), b.get("citizen_remark")),
           (CloseConditionUnmet, OwnCheck), step=A.APPROVE_CLOSE),
    Action("reject-close", (Role.SHIFT_LEAD,), CaseReasonSchema,
           "Send a case back from 结案 approval, with a reason",
           "待结案审批 → 待核查: a supervisor is assigned to check again on site (a failed re-check is the 返工). The "
           "reason stays internal; the citizen hears nothing.",
           lambda u, c, b: handling.reject_close(u, c, b["reason"]), step=A.REJECT_CLOSE),
    Action("defer", (Role.DISPATCHER,), CaseReasonSchema, "缓办: pause the case with a reason",
           "The case waits as `deferred`; its earlier status is kept for resume.",
           lambda u, c, b: deadlines.defer(u, c, b["reason"]), step=A.DEFER),
    Action("resume", (Role.DISPATCHER,), EmptySchema, "Resume a deferred case where it was",
           "Back to the status before the deferral.", lambda u, c, b: deadlines.resume(u, c), step=A.RESUME),
    Action("extension-request", DEPT, ExtensionSchema, "Ask the dispatch desk for a later deadline",
           "Event `extension_requested`; the dispatchers are told. The deadline does not change yet.",
           lambda u, c, b: deadlines.request_extension(u, c, b["until"], b["reason"]),
           statuses=frozenset({S.DISPATCHED, S.IN_PROGRESS}), scope="department"),
    Action("extend", (Role.DISPATCHER,), ExtensionSchema, "延期: approve a new deadline",
           "The deadline moves (event `extend`), the escalation level resets, the extension is counted.",
           lambda u, c, b: deadlines.extend(u, c, b["until"], b["reason"]), step=A.EXTEND),
)
BY_NAME = {action.name: action for action in ACTIONS}
NOT_HOLDING = (common.holds_work_order, "not the department holding the work order")
# scope → the checks it makes, in order, each with the reason a refusal gives (as api.cases.common's do)
SCOPES: dict[str, tuple[tuple[Callable[[User, Case], bool], str], ...]] = {
    "case": (),  # the case was read within the caller's scope (queries.get_for_staff)
    "department": (NOT_HOLDING,),
    "handler": (NOT_HOLDING, (common.may_handle, "assigned to another handler")),
}


def refusal(user: User, case: Case, action: Action) -> DomainError | None:
    """Why `user` may not take `action` on `case` now (a case they may read), or None: the endpoint's roles, the
    action's scope (the holding department; once assigned, its handler or a head), the state table's row from the
    case's status and its roles — in the order the services check them, so the API answers as it always did."""
    roles = common.roles_of(user)
    if not roles & {str(r) for r in action.roles}:
        return ActionNotAllowed(details={"action": action.name, "allowed_roles": sorted(map(str, action.roles))})
    for holds, reason in SCOPES[action.scope]:
        if not holds(user, case):
            return CaseOutOfScope(details={"reason": reason})
    if action.step is not None:
        entry = TRANSITIONS.get((CaseStatus(case.status), action.step))
        if entry is None:
            return IllegalCaseTransition(details={"status": CaseStatus(case.status), "action": action.step})
        if not roles & entry[1]:
            return ActionNotAllowed(details={"action": action.step, "allowed_roles": sorted(entry[1])})
    elif CaseStatus(case.status) not in action.statuses:
        return IllegalCaseTransition(details={"status": CaseStatus(case.status), "action": action.name})
    if action.name == "approve-close" and handling.passed_own_check(user, case):
        return OwnCheck(details={"checked_by": user.id})
    return None


def allowed(user: User, case: Case, action: Action) -> bool:
    return refusal(user, case, action) is None


def take(user: User, case_id: int, action: Action, body: dict) -> Case:
    """The action, refused by the same rule that hides its button (the services check again as they act)."""
    case = queries.get_for_staff(user, case_id, for_update=True)  # the service's own read finds it locked
    refused = refusal(user, case, action)
    if refused is not None:
        raise refused
    return action.call(user, case_id, body)


def available(user: User, case: Case) -> list[Action]:
    """The actions `user` may take on `case` now, in the table's order."""
    return [action for action in ACTIONS if allowed(user, case, action)]


def photo_kinds(user: User, case: Case) -> list[str]:
    """The photos `user` may add to `case` now (handling.add_photo's rules): after-photos for the result being
    prepared, verification photos at a 核实 or 核查."""
    kinds = []
    if user.roles & set(DEPT) and case.status in handling.AFTER_PHOTO_STATUSES and common.may_handle(user, case):
        kinds.append("after_photo")
    if Role.SUPERVISOR in user.roles and case.status in handling.VERIFICATION_PHOTO_STATUSES:
        kinds.append("verification_photo")
    return kinds
