"""Handling (派遣 / 处置 / 核查): dispatch, receive or assign, return, the result, after-photos, the 核查.

Services flush; the route or job around them commits (api.db.unit_of_work).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from api.calendar import service as calendar
from api.cases import assignment, followers, queries, sources
from api.cases.common import actor_of, case_for, for_department, holding_work_order, media_ids, remarked, roles_of, who
from api.cases.errors import (
    ActionNotAllowed,
    AfterPhotoRequired,
    CaseOutOfScope,
    CategoryRequired,
    IllegalCaseTransition,
    OwnCheck,
)
from api.cases.lifecycle import CaseAction, CaseStatus, entry_for, transition
from api.cases.models import Case, CaseMedia, WorkOrder
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, history, record
from api.identity.models import User
from api.media import images
from api.media import service as media
from api.media.models import MediaKind
from api.notifications import inbox
from api.organisation import queries as organisation
from api.roles import Role
from api.routing import service as routing
from api.routing.errors import UnknownDepartment
from api.taxonomy.models import Category

A, S = CaseAction, CaseStatus
AFTER_PHOTO_STATUSES = frozenset({S.DISPATCHED, S.IN_PROGRESS})  # for the result being prepared
VERIFICATION_PHOTO_STATUSES = frozenset({S.VERIFYING, S.AWAITING_CHECK})  # at a 核实 (round 0) or a 核查


def dispatch(staff: User | None, case_id: int, department_code: str | None = None) -> Case:
    """Dispatch to the given department, or to the one the 权责清单 names (staff None: the system). The
    deadline runs on the working calendar from now, by the time limit the case's source gives."""
    case = case_for(staff, case_id)
    now = utcnow()
    department, basis, deadline = dispatch_plan(case, department_code, now)
    actor, roles = who(staff)
    transition(case, A.DISPATCH, actor, roles, payload={"department_id": department.id, "basis": basis})
    Session.add(WorkOrder(case_id=case.id, department_id=department.id, routing_basis=basis))
    case.department_id, case.handler_id, case.dispatched_at = department.id, None, now
    case.deadline_at, case.deadline_provisional, case.escalation_level = deadline.at, deadline.provisional, 0
    heads = queries.staff_with_role(Role.DEPT_HEAD, department_id=department.id)
    handlers = queries.staff_with_role(Role.DEPT_HANDLER, department_id=department.id)
    inbox.notify(heads + handlers, "new_work", "case", case.id, f"新工单：{case.description[:40]}")
    followers.tell(case, f"已派遣至{department.name}处置")
    return case


def dispatch_plan(case: Case, department_code: str | None, now: datetime):
    """Where a dispatch now would send the case and by when: (department, basis, calendar deadline). The
    department given, or the one the 权责清单 names (basis street_rule / district_rule / territorial); the deadline
    on the working calendar by the time limit the case's source gives. What the dispatch desk shows before."""
    if case.category_code is None:
        raise CategoryRequired()
    if department_code:
        department = organisation.get_department_by_code(department_code)
        if department is None:
            raise UnknownDepartment(details={"department_code": department_code})
        basis = "manual"
    else:
        owner = routing.responsible(case.category_code, case.street_code)
        department, basis = owner.department, owner.basis
    limit, clock = sources.source_of(case).time_limit(case)
    return department, basis, calendar.working_calendar().deadline(now, limit, clock)


def receive(staff: User, case_id: int, handler_id: int | None = None) -> Case:
    case = for_department(staff, case_id)
    handler = Session.get(User, handler_id) if handler_id else staff
    if handler is None or handler.scope_department_id != case.department_id:
        raise CaseOutOfScope(details={"handler_id": handler_id})
    transition(case, A.RECEIVE, actor_of(staff), roles_of(staff), payload={"handler_id": handler.id})
    work_order = queries.open_work_order(case.id)
    work_order.handler_id, work_order.received_at = handler.id, utcnow()
    case.handler_id = handler.id
    if handler.id != staff.id:
        inbox.notify([handler.id], "assigned", "case", case.id, f"指派给你：{case.description[:40]}")
    return case


def return_case(staff: User, case_id: int, reason_code: str, reason: str) -> Case:
    """回退: not ours / cannot be done as filed; back to the dispatch desk with the reason."""
    case = for_department(staff, case_id)
    transition(case, A.RETURN, actor_of(staff), roles_of(staff), reason=reason,
               payload={"reason_code": reason_code, "department_id": case.department_id})
    work_order = queries.open_work_order(case.id)
    work_order.status, work_order.return_reason_code, work_order.return_reason = "returned", reason_code, reason
    work_order.finished_at = utcnow()
    case.department_id = case.handler_id = case.deadline_at = None
    inbox.notify(queries.staff_with_role(Role.DISPATCHER), "returned", "case", case.id,
                 f"回退（{reason_code}）：{reason[:40]}")
    return case


def submit_result(staff: User, case_id: int, result_text: str) -> Case:
    """The department's result; each result round needs after-photos of its own (a photo from an earlier round,
    before a 返工 or a reopen, does not count again)."""
    case = holding_work_order(staff, case_id)
    entry_for(case, A.SUBMIT_RESULT)
    category = Session.get(Category, case.category_id)
    photos = media_ids(case, MediaKind.AFTER_PHOTO, case.result_round + 1)
    if category.requires_after_photo and not photos:
        raise AfterPhotoRequired(details={"round": case.result_round + 1})
    transition(case, A.SUBMIT_RESULT, actor_of(staff), roles_of(staff),
               payload={"photos": photos, "round": case.result_round + 1})
    case.result_text = result_text
    case.result_round += 1
    task = assignment.field_task(case, "check_task", "核查")
    record("case", case.id, "check_assigned", Actor.system(), payload=task.payload())
    return case


def check(staff: User, case_id: int, passed: bool, note: str | None, citizen_remark: str | None = None) -> Case:
    """核查: pass closes the case (when its source's `before_close` agrees) — or, where the office has the 值班长
    approve 结案 (CLOSE_APPROVAL), puts it on the approval desk; fail sends it back to the same department (返工,
    counted). `note` is internal."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    payload = remarked({"photos": media_ids(case, MediaKind.VERIFICATION_PHOTO, case.result_round),
                        "round": case.result_round}, citizen_remark if passed else None)
    if passed:
        sources.source_of(case).before_close(case)
        target = transition(case, A.CHECK_PASS, actor_of(staff), roles_of(staff), reason=note, payload=payload,
                            close_approval=get_config().CLOSE_APPROVAL)
        case.checked_at = utcnow()
        if target == S.CLOSED:
            _close(case, citizen_remark, case.checked_at)
        else:
            assignment.announce_awaiting_close(case)
    else:
        transition(case, A.CHECK_FAIL, actor_of(staff), roles_of(staff), reason=note, payload=payload)
        case.rework_count += 1
        recipients = [case.handler_id] if case.handler_id else []
        inbox.notify(recipients + queries.staff_with_role(Role.DEPT_HEAD, department_id=case.department_id),
                     "rework", "case", case.id, f"核查未通过，返工：{(note or '')[:40]}")
    return case


def approve_close(staff: User, case_id: int, note: str | None, citizen_remark: str | None = None) -> Case:
    """结案 by the 值班长: everything a passed 核查 does when no approval is asked for — closed, the work order
    done, the reporters told (`citizen_remark`, else the one the 核查 wrote, else a default), the source's ending.
    The source's condition for closing is asked again. `note` is internal."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    if passed_own_check(staff, case):
        raise OwnCheck(details={"checked_by": staff.id})  # one who holds both roles approves no 核查 of their own
    remark = citizen_remark or _check_remark(case)
    transition(case, A.APPROVE_CLOSE, actor_of(staff), roles_of(staff), reason=note,
               payload=remarked({"round": case.result_round}, remark))
    sources.source_of(case).before_close(case)  # refused: the unit of work rolls the transition back
    _close(case, remark, utcnow())
    return case


def passed_own_check(staff: User, case: Case) -> bool:
    """Whether the latest passed 核查 of the case is the caller's own (four eyes: they approve no 结案 of it)."""
    passes = history("case", case.id, (str(A.CHECK_PASS),))
    return bool(passes) and passes[-1].actor_type == "staff" and passes[-1].actor_id == staff.id


def reject_close(staff: User, case_id: int, reason: str) -> Case:
    """Sent back by the 值班长 with a reason: to 待核查, and a 核查 task as after a result (a failed re-check is
    the 返工, counted as ever; the result round stays)."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.REJECT_CLOSE, actor_of(staff), roles_of(staff), reason=reason,
               payload={"round": case.result_round})
    case.checked_at = None
    task = assignment.field_task(case, "check_task", "重新核查")
    record("case", case.id, "check_assigned", Actor.system(), payload={**task.payload(), "reason": reason})
    return case


def _close(case: Case, citizen_remark: str | None, at: datetime) -> None:
    case.closed_at = at
    work_order = queries.open_work_order(case.id)
    work_order.status, work_order.finished_at = "done", case.closed_at
    followers.tell(case, citizen_remark or "问题已处置完毕，欢迎评价")
    sources.source_of(case).on_end(case)


def _check_remark(case: Case) -> str | None:
    """What the latest passed 核查 wrote for the citizen (with approval, the reporters are told only at 结案)."""
    passes = history("case", case.id, (str(A.CHECK_PASS),))
    return (passes[-1].payload or {}).get("citizen_remark") if passes else None


def add_photo(staff: User, case_id: int, raw: bytes, kind: MediaKind):
    """An after-photo (the department holding the work order), a verification photo (the supervisor at a 核实 or
    核查) or a patrol's own photo, stripped and stored like a report's, with the result round it belongs to."""
    if kind == MediaKind.REPORT_PHOTO:
        case = queries.get_for_staff(staff, case_id, for_update=True)
        if case.source != "patrol" or case.created_by != staff.id:
            raise CaseOutOfScope(details={"kind": kind})
        round_ = 0
    elif kind == MediaKind.AFTER_PHOTO:  # for the result being prepared
        case = holding_work_order(staff, case_id)
        if case.status not in AFTER_PHOTO_STATUSES:
            raise IllegalCaseTransition(details={"status": case.status, "action": "after_photo"})
        round_ = case.result_round + 1
    else:  # the supervisor doing the 核实 (before 立案, round 0) or the 核查 of the latest result
        case = queries.get_for_staff(staff, case_id, for_update=True)
        if Role.SUPERVISOR not in staff.roles:
            raise ActionNotAllowed(details={"kind": kind, "allowed_roles": [str(Role.SUPERVISOR)]})
        if case.status not in VERIFICATION_PHOTO_STATUSES:
            raise IllegalCaseTransition(details={"status": case.status, "action": "verification_photo"})
        round_ = 0 if case.status == S.VERIFYING else case.result_round
    config = get_config()
    photo = images.process_upload(raw, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS)
    item = media.store_photo(photo, kind=kind, owner_type="case", owner_id=case.id, uploaded_by=staff.id)
    item.round = round_
    record("case", case.id, "photo_attached", actor_of(staff), payload={"media_id": item.id, "kind": kind,
                                                                         "round": round_})
    return item


def attach_evidence(case: Case, media_ids: list[int], actor: Actor) -> list[int]:
    """Show photos another domain stored (a gas inspector's photos of a failed item) among the case's evidence, by
    reference: the media rows and their bytes stay with their owner. Returns the ids newly attached."""
    known = set(Session.scalars(sa.select(CaseMedia.media_id).where(CaseMedia.case_id == case.id)))
    added = [m for m in dict.fromkeys(media_ids) if m not in known]
    for media_id in added:
        Session.add(CaseMedia(case_id=case.id, media_id=media_id))
        record("case", case.id, "photo_attached", actor, payload={"media_id": media_id, "reference": True})
    Session.flush()
    return added
