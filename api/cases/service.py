"""Case use cases: open from a report, 立案, 派遣, 处置, 核查, 结案, 评价, defer, extend, reopen, escalate."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api import jobs
from api.calendar import service as calendar
from api.cases import assignment, queries
from api.cases.errors import (
    ActionNotAllowed,
    AfterPhotoRequired,
    AlreadyRated,
    CannotMergeIntoItself,
    CaseNotFound,
    CaseOutOfScope,
    CategoryRequired,
    IllegalCaseTransition,
    RatingWindowPassed,
    ReopenLimitReached,
    ReopenWindowPassed,
)
from api.cases.lifecycle import OPEN, CaseAction, CaseStatus, transition
from api.cases.models import Case, CaseReport, Rating, WorkOrder
from api.config import get_config
from api.db import Session, utcnow
from api.events.models import Event
from api.events.service import Actor, record
from api.identity.models import User
from api.media import service as media
from api.media.models import MediaKind
from api.notifications import inbox
from api.notifications.models import StaffNotice
from api.organisation import queries as organisation
from api.outbox import service as outbox
from api.reports import categories as citizen_categories
from api.reports import queries as report_queries
from api.reports import service as reports
from api.reports.models import Report
from api.reports.status import citizen_status
from api.roles import Role
from api.routing import service as routing
from api.routing.errors import UnknownDepartment
from api.taxonomy import service as taxonomy
from api.taxonomy.models import Category

log = logging.getLogger(__name__)
A, S = CaseAction, CaseStatus
SUPPORTERS_FOR_URGENT = 3  # this many further reporters of one problem make it urgent
SYSTEM_ROLES = frozenset({"system"})


def roles_of(user: User) -> frozenset[str]:
    return frozenset(str(r) for r in user.roles)


def actor_of(user: User) -> Actor:
    return Actor("citizen" if user.is_citizen else "staff", user.id)


# -- citizen reports ---------------------------------------------------------------------------------------
def submit_report(reporter: User, report_id: int) -> tuple[Report, Case]:
    """Submit a draft and open its case in one transaction; the reporter is told it was received."""
    report = reports.mark_submitted(reporter, report_id)
    case = _open_from_report(report)
    reports.notify_reporter(report, "您的反映已收到，我们会尽快处理", citizen_status(report, case.status))
    if case.category_id and Session.get(Category, case.category_id).needs_verification:
        _request_verification(case, Actor.system(), SYSTEM_ROLES)
    _start_automatic_intake(report)
    Session.commit()
    return report, case


def _start_automatic_intake(report: Report) -> None:
    """One classify job per photo (the last one hands over to routing), or straight to routing with none.
    The jobs go through the outbox: they run after this commit, or not at all if it rolls back."""
    photos = media.list_for("report", report.id, MediaKind.REPORT_PHOTO)
    for photo in photos:
        outbox.add(jobs.CLASSIFY_PHOTO(photo.id))
    if not photos:
        outbox.add(jobs.ROUTE_REPORT(report.id))


def withdraw_report(reporter: User, report_id: int, reason: str | None) -> tuple[Report, Case | None]:
    """Withdraw until staff accept the case: a case with this report alone is withdrawn; from a case that
    other reporters follow, only this report leaves."""
    report = report_queries.get_own(reporter.id, report_id, for_update=True)
    case = queries.case_of_report(report.id, for_update=True)
    if case is not None and case.status != S.PENDING:
        raise IllegalCaseTransition(details={"status": case.status, "action": "withdraw"})
    if case is not None and len(queries.report_ids_of(case.id)) == 1:
        transition(case, A.WITHDRAW, actor_of(reporter), frozenset({"citizen"}), reason=reason)
    elif case is not None:
        Session.execute(sa.delete(CaseReport).where(CaseReport.report_id == report.id))
        case.supporters = max(0, case.supporters - 1)
        record("case", case.id, "report_withdrawn", actor_of(reporter), payload={"report_id": report.id})
    reports.mark_withdrawn(reporter, report, reason)
    Session.commit()
    return report, case


def _open_from_report(report: Report) -> Case:
    category = _category_from_hint(report.category_hint)
    case = Case(source="citizen", status=S.PENDING, description=report.description, address_text=report.address_text,
                lat=report.lat, lon=report.lon, grid_code=report.grid_code, street_code=report.street_code,
                priority="normal", created_by=report.reporter_id)
    if category:
        _set_category(case, category)
    Session.add(case)
    Session.flush()
    Session.add(CaseReport(report_id=report.id, case_id=case.id))
    record("case", case.id, "opened", Actor("citizen", report.reporter_id), to_state=S.PENDING,
           payload={"report_id": report.id, "source": "citizen", "category_code": case.category_code})
    assignment.announce_new_case(case)
    return case


def _category_from_hint(hint: str | None) -> Category | None:
    choice = citizen_categories.BY_KEY.get(hint or "")
    if not choice or not choice.gbt_hints:
        return None
    try:
        return taxonomy.current(choice.gbt_hints[0])
    except Exception:  # noqa: BLE001 - an unseeded taxonomy leaves the category to the intake clerk
        return None


# -- intake (受理 / 立案) --------------------------------------------------------------------------------------
def accept(staff: User | None, case_id: int, category_code: str | None = None, note: str | None = None,
           citizen_remark: str | None = None) -> Case:
    """立案 by an intake clerk, or by the system (staff None) when the automatic intake is sure.

    `note` is internal (staff see it in the history); only `citizen_remark` reaches the citizen."""
    case = _case_for(staff, case_id)
    if category_code:
        _set_category(case, taxonomy.current(category_code))
    if case.category_id is None:
        raise CategoryRequired()
    actor, roles = _who(staff)
    transition(case, A.ACCEPT, actor, roles, reason=note,
               payload=_remarked({"category_code": case.category_code}, citizen_remark))
    _notify_reporters(case, citizen_remark or "已立案，将派遣处置")
    Session.commit()
    return case


def refuse(staff: User, case_id: int, reason: str, citizen_remark: str | None = None) -> Case:
    """不予立案: `reason` stays internal; the citizen reads `citizen_remark` or a plain default."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.REFUSE, actor_of(staff), roles_of(staff), reason=reason,
               payload=_remarked({}, citizen_remark))
    _notify_reporters(case, citizen_remark or "经审核，该问题不属于城市管理受理范围")
    _queue_hotline_answer(case)
    Session.commit()
    return case


def merge(staff: User | None, case_id: int, into_case_id: int, reason: str | None = None) -> Case:
    """A duplicate: its reports follow the master case, whose supporter count rises (staff None: the system)."""
    case = _case_for(staff, case_id)
    target = _case_for(staff, into_case_id)
    if target.id == case.id or target.status not in OPEN:
        raise CannotMergeIntoItself(details={"into_case_id": into_case_id})
    actor, roles = _who(staff)
    transition(case, A.MERGE, actor, roles, reason=reason, payload={"into_case_id": target.id})
    moved = Session.execute(sa.update(CaseReport).where(CaseReport.case_id == case.id)
                            .values(case_id=target.id, merged_from_case_id=case.id)).rowcount
    case.merged_into_id = target.id
    _queue_hotline_answer(case)
    target.supporters += moved
    record("case", target.id, "merged_in", actor, payload={"case_id": case.id, "reports": moved})
    if target.supporters >= SUPPORTERS_FOR_URGENT and target.priority == "normal":
        record("case", target.id, "priority_set", Actor.system(), reason="多人反映",
               payload={"from": "normal", "to": "urgent", "supporters": target.supporters})
        target.priority = "urgent"
    for report_id in Session.scalars(sa.select(CaseReport.report_id).where(CaseReport.merged_from_case_id == case.id)):
        report = Session.get(Report, report_id)
        reports.notify_reporter(report, "已有相同问题在处理，将随该案卷告知进展", citizen_status(report, target.status))
    Session.commit()
    return target


def unmerge(staff: User, case_id: int, reason: str) -> Case:
    """Undo a merge: the case's own reports come back to it and it waits at the intake desk again."""
    case = _case_for(staff, case_id)
    target = Session.get(Case, case.merged_into_id, with_for_update=True)
    transition(case, A.UNMERGE, actor_of(staff), roles_of(staff), reason=reason,
               payload={"from_case_id": case.merged_into_id})
    moved = Session.execute(sa.update(CaseReport).where(CaseReport.merged_from_case_id == case.id)
                            .values(case_id=case.id, merged_from_case_id=None)).rowcount
    case.merged_into_id = None
    if target is not None:
        target.supporters = max(0, target.supporters - moved)
        record("case", target.id, "unmerged", actor_of(staff), reason=reason,
               payload={"case_id": case.id, "reports": moved})
    Session.commit()
    return case


def request_verification(staff: User | None, case_id: int, category_code: str | None = None) -> Case:
    """Ask for an on-site 核实; the system may file the 小类 it recognised in the same transaction."""
    case = _case_for(staff, case_id)
    if category_code and category_code != case.category_code:
        previous = case.category_code
        _set_category(case, taxonomy.current(category_code))
        record("case", case.id, "category_set", _who(staff)[0], payload={"category_code": category_code,
                                                                          "from": previous})
    _request_verification(case, *_who(staff))
    Session.commit()
    return case


def _request_verification(case: Case, actor: Actor, roles: frozenset[str]) -> None:
    transition(case, A.REQUEST_VERIFICATION, actor, roles)
    task = assignment.field_task(case, "verification_task", "核实")
    record("case", case.id, "verification_assigned", Actor.system(), payload=task.payload())


def record_verification(staff: User, case_id: int, confirmed: bool, note: str | None) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.RECORD_VERIFICATION, actor_of(staff), roles_of(staff), reason=note,
               payload={"confirmed": confirmed, "photos": _media_ids(case, MediaKind.VERIFICATION_PHOTO, 0)})
    Session.commit()
    return case


def set_category(staff: User | None, case_id: int, category_code: str, reason: str | None = None) -> Case:
    case = _case_for(staff, case_id)
    previous = case.category_code
    _set_category(case, taxonomy.current(category_code))
    actor, _ = _who(staff)
    record("case", case.id, "category_set", actor, reason=reason,
           payload={"category_code": category_code, "from": previous})
    Session.commit()
    return case


def _set_category(case: Case, category: Category) -> None:
    case.category_id, case.category_code = category.id, category.code
    if category.is_safety and case.priority == "normal":
        case.priority = "urgent"


def set_component(staff: User, case_id: int, component_code: str) -> Case:
    """The case concerns this 部件 (a broken manhole cover, a dark street light …)."""
    from api.assets.errors import ComponentNotFound
    from api.assets.models import Component

    case = _case_for(staff, case_id)
    if Session.get(Component, component_code) is None:
        raise ComponentNotFound(details={"component_code": component_code})
    record("case", case.id, "component_set", actor_of(staff), payload={"component_code": component_code,
                                                                        "from": case.component_code})
    case.component_code = component_code
    Session.commit()
    return case


def set_priority(staff: User, case_id: int, priority: str, reason: str) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    record("case", case.id, "priority_set", actor_of(staff), reason=reason,
           payload={"from": case.priority, "to": priority})
    case.priority = priority
    Session.commit()
    return case


# -- dispatch and handling (派遣 / 处置) -----------------------------------------------------------------------
def dispatch(staff: User | None, case_id: int, department_code: str | None = None) -> Case:
    """Dispatch to the given department, or to the one the 权责清单 names (staff None: the system)."""
    case = _case_for(staff, case_id)
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
    actor, roles = _who(staff)
    transition(case, A.DISPATCH, actor, roles,
               payload={"department_id": department.id, "basis": basis})
    Session.add(WorkOrder(case_id=case.id, department_id=department.id, routing_basis=basis))
    now = utcnow()
    limit, clock = taxonomy.time_limit_of(case.category_id)
    deadline = calendar.working_calendar().deadline(now, limit, clock)
    case.department_id, case.handler_id, case.dispatched_at = department.id, None, now
    case.deadline_at, case.deadline_provisional, case.escalation_level = deadline.at, deadline.provisional, 0
    heads = queries.staff_with_role(Role.DEPT_HEAD, department_id=department.id)
    handlers = queries.staff_with_role(Role.DEPT_HANDLER, department_id=department.id)
    inbox.notify(heads + handlers, "new_work", "case", case.id, f"新工单：{case.description[:40]}")
    _notify_reporters(case, f"已派遣至{department.name}处置")
    Session.commit()
    return case


def receive(staff: User, case_id: int, handler_id: int | None = None) -> Case:
    case = _for_department(staff, case_id)
    handler = Session.get(User, handler_id) if handler_id else staff
    if handler is None or handler.scope_department_id != case.department_id:
        raise CaseOutOfScope(details={"handler_id": handler_id})
    transition(case, A.RECEIVE, actor_of(staff), roles_of(staff), payload={"handler_id": handler.id})
    work_order = queries.open_work_order(case.id)
    work_order.handler_id, work_order.received_at = handler.id, utcnow()
    case.handler_id = handler.id
    if handler.id != staff.id:
        inbox.notify([handler.id], "assigned", "case", case.id, f"指派给你：{case.description[:40]}")
    Session.commit()
    return case


def return_case(staff: User, case_id: int, reason_code: str, reason: str) -> Case:
    """回退: not ours / cannot be done as filed; back to the dispatch desk with the reason."""
    case = _for_department(staff, case_id)
    transition(case, A.RETURN, actor_of(staff), roles_of(staff), reason=reason,
               payload={"reason_code": reason_code, "department_id": case.department_id})
    work_order = queries.open_work_order(case.id)
    work_order.status, work_order.return_reason_code, work_order.return_reason = "returned", reason_code, reason
    work_order.finished_at = utcnow()
    case.department_id = case.handler_id = case.deadline_at = None
    inbox.notify(queries.staff_with_role(Role.DISPATCHER), "returned", "case", case.id,
                 f"回退（{reason_code}）：{reason[:40]}")
    Session.commit()
    return case


def submit_result(staff: User, case_id: int, result_text: str) -> Case:
    """The department's result; each result round needs after-photos of its own (a photo from an earlier round,
    before a 返工 or a reopen, does not count again)."""
    case = _holding_work_order(staff, case_id)
    category = Session.get(Category, case.category_id)
    photos = _media_ids(case, MediaKind.AFTER_PHOTO, case.result_round + 1)
    if category.requires_after_photo and not photos:
        raise AfterPhotoRequired(details={"round": case.result_round + 1})
    transition(case, A.SUBMIT_RESULT, actor_of(staff), roles_of(staff),
               payload={"photos": photos, "round": case.result_round + 1})
    case.result_text = result_text
    case.result_round += 1
    task = assignment.field_task(case, "check_task", "核查")
    record("case", case.id, "check_assigned", Actor.system(), payload=task.payload())
    Session.commit()
    return case


def check(staff: User, case_id: int, passed: bool, note: str | None, citizen_remark: str | None = None) -> Case:
    """核查: pass closes the case; fail sends it back to the same department (返工, counted). `note` is internal."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    payload = _remarked({"photos": _media_ids(case, MediaKind.VERIFICATION_PHOTO, case.result_round),
                         "round": case.result_round}, citizen_remark if passed else None)
    if passed:
        transition(case, A.CHECK_PASS, actor_of(staff), roles_of(staff), reason=note, payload=payload)
        case.closed_at = utcnow()
        work_order = queries.open_work_order(case.id)
        work_order.status, work_order.finished_at = "done", case.closed_at
        _notify_reporters(case, citizen_remark or "问题已处置完毕，欢迎评价")
        _queue_hotline_answer(case)
    else:
        transition(case, A.CHECK_FAIL, actor_of(staff), roles_of(staff), reason=note, payload=payload)
        case.rework_count += 1
        recipients = [case.handler_id] if case.handler_id else []
        inbox.notify(recipients + queries.staff_with_role(Role.DEPT_HEAD, department_id=case.department_id),
                     "rework", "case", case.id, f"核查未通过，返工：{(note or '')[:40]}")
    Session.commit()
    return case


# -- time: defer, extend, escalate ---------------------------------------------------------------------------
def defer(staff: User, case_id: int, reason: str) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.DEFER, actor_of(staff), roles_of(staff), reason=reason)
    Session.commit()
    return case


def resume(staff: User, case_id: int) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.RESUME, actor_of(staff), roles_of(staff))
    case.status_before_deferral = None
    Session.commit()
    return case


def request_extension(staff: User, case_id: int, until: datetime, reason: str) -> Case:
    case = _for_department(staff, case_id)
    record("case", case.id, "extension_requested", actor_of(staff), reason=reason,
           payload={"until": until.isoformat(), "deadline_at": case.deadline_at.isoformat()
                    if case.deadline_at else None})
    inbox.notify(queries.staff_with_role(Role.DISPATCHER), "extension_request", "case", case.id,
                 f"申请延期：{reason[:40]}")
    Session.commit()
    return case


def extend(staff: User, case_id: int, until: datetime, reason: str) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.EXTEND, actor_of(staff), roles_of(staff), reason=reason,
               payload={"from": case.deadline_at.isoformat() if case.deadline_at else None,
                        "to": until.isoformat()})
    case.deadline_at, case.extension_count, case.escalation_level = until, case.extension_count + 1, 0
    Session.commit()
    return case


def scan_overdue(now: datetime | None = None) -> int:
    """Mark and escalate overdue cases: level 1 → the department head; level 2 (overdue by as long again as
    the time that was allowed, at least an hour) → the command centre. Each escalation is an event.

    Set-based (one select, then batched writes), so a scan over a large backlog stays well under a second.
    """
    now = now or utcnow()
    targets = []
    for row in queries.overdue_rows(now):
        allowed = max(row.deadline_at - (row.dispatched_at or row.deadline_at), timedelta(hours=1))
        level = 2 if now >= row.deadline_at + allowed else 1
        if level > row.escalation_level:
            targets.append((row, level))
    if not targets:
        return 0
    cases = Case.__table__
    for level in (1, 2):  # one UPDATE per level, not one per case
        ids = [row.id for row, target in targets if target == level]
        if ids:
            Session.execute(sa.update(cases).where(cases.c.id.in_(ids))
                            .values(escalation_level=level, version=cases.c.version + 1))
    Session.execute(sa.insert(Event.__table__), [
        {"subject_type": "case", "subject_id": row.id, "action": "escalated", "actor_type": "system",
         "actor_id": None, "from_state": None, "to_state": None, "reason": None, "created_at": now,
         "payload": {"level": level, "deadline_at": row.deadline_at.isoformat()}} for row, level in targets])
    heads = queries.heads_by_department({row.department_id for row, level in targets if level == 1})
    command = queries.staff_with_role(Role.COMMAND_CENTRE)
    notices = []
    for row, level in targets:
        for user_id in (heads.get(row.department_id, []) if level == 1 else command):
            notices.append({"user_id": user_id, "kind": "escalated", "subject_type": "case", "subject_id": row.id,
                            "message": f"督办（{level}级）：{row.description[:40]}", "created_at": now})
    if notices:
        Session.execute(sa.insert(StaffNotice.__table__), notices)
    Session.commit()
    return len(targets)


def remaining(case: Case, now: datetime | None = None) -> timedelta | None:
    if case.deadline_at is None or case.status not in OPEN:
        return None
    _, clock = taxonomy.time_limit_of(case.category_id)
    return calendar.working_calendar().remaining(now or utcnow(), case.deadline_at, clock)


# -- the citizen after closing -------------------------------------------------------------------------------
def reopen(reporter: User, report_id: int, reason: str) -> Case:
    """Reopen within the window, at most REOPENS_PER_REPORT times per report (each follower of a case has their
    own); the outcome after it is a new round that each follower may rate again."""
    report = report_queries.get_own(reporter.id, report_id, for_update=True)
    case = queries.case_of_report(report_id, for_update=True)
    if case is None:
        raise IllegalCaseTransition(details={"status": None, "action": "reopen"})
    if case.status == S.CLOSED and utcnow() - case.closed_at > citizen_window():
        raise ReopenWindowPassed()
    limit = get_config().REOPENS_PER_REPORT
    if case.status == S.CLOSED and report.reopen_count >= limit:
        raise ReopenLimitReached(details={"max": limit})
    transition(case, A.REOPEN, actor_of(reporter), frozenset({"citizen"}), reason=reason,
               payload={"report_id": report_id, "round": case.reopen_count + 2})
    report.reopen_count += 1
    case.reopen_count += 1
    case.closed_at = case.department_id = case.handler_id = case.deadline_at = None
    inbox.notify(queries.staff_with_role(Role.DISPATCHER), "reopened", "case", case.id, f"市民重新反映：{reason[:40]}")
    Session.commit()
    return case


def rate(reporter: User, report_id: int, score: int, comment: str | None) -> Rating:
    """One rating per report per round (a reopened and closed-again case is a new round); concurrent ratings of
    one round: the unique (report, round) decides, the others answer ALREADY_RATED."""
    report_queries.get_own(reporter.id, report_id)
    case = queries.case_of_report(report_id, for_update=True)
    if case is None or case.status != S.CLOSED:
        raise IllegalCaseTransition(details={"status": case.status if case else None, "action": "rate"})
    if utcnow() - case.closed_at > citizen_window():
        raise RatingWindowPassed()
    round_ = case.reopen_count + 1
    if Session.scalar(sa.select(Rating.id).where(Rating.report_id == report_id, Rating.round == round_)):
        raise AlreadyRated(details={"round": round_})
    rating = Rating(case_id=case.id, report_id=report_id, user_id=reporter.id, score=score, comment=comment,
                    round=round_)
    try:
        with Session.begin_nested():
            Session.add(rating)
    except IntegrityError as exc:
        raise AlreadyRated(details={"round": round_}) from exc
    record("case", case.id, "rated", actor_of(reporter), payload={"score": score, "report_id": report_id,
                                                                   "round": round_})
    Session.commit()
    return rating


def citizen_window() -> timedelta:
    """How long after closing a citizen may still rate or reopen."""
    return timedelta(days=get_config().CITIZEN_WINDOW_DAYS)


# -- helpers ----------------------------------------------------------------------------------------------
def _case_for(staff: User | None, case_id: int) -> Case:
    """The case locked for update: within the caller's scope, or any case for the system (staff None)."""
    if staff is not None:
        return queries.get_for_staff(staff, case_id, for_update=True)
    case = Session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise CaseNotFound()
    return case


def _who(staff: User | None) -> tuple[Actor, frozenset[str]]:
    return (actor_of(staff), roles_of(staff)) if staff is not None else (Actor.system(), SYSTEM_ROLES)


def _for_department(staff: User, case_id: int) -> Case:
    """Work-order actions belong to the department that holds the case's work order, nobody else."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    if case.department_id is None or staff.scope_department_id != case.department_id:
        raise CaseOutOfScope(details={"reason": "not the department holding the work order"})
    return case


def _holding_work_order(staff: User, case_id: int) -> Case:
    """Results and after-photos: the holding department; once a handler is assigned, that handler (or a head
    of the department)."""
    case = _for_department(staff, case_id)
    if case.handler_id and staff.id != case.handler_id and Role.DEPT_HEAD not in staff.roles:
        raise CaseOutOfScope(details={"reason": "assigned to another handler", "handler_id": case.handler_id})
    return case


def _media_ids(case: Case, kind: MediaKind, round_: int | None = None) -> list[int]:
    return [m.id for m in media.list_for("case", case.id, kind) if round_ is None or m.round == round_]


def _remarked(payload: dict, citizen_remark: str | None) -> dict:
    """An event's payload with the remark meant for the citizen (the event's reason stays internal)."""
    return {**payload, "citizen_remark": citizen_remark} if citizen_remark else payload


def _notify_reporters(case: Case, remark: str) -> None:
    for report_id in queries.report_ids_of(case.id):
        report = Session.get(Report, report_id)
        reports.notify_reporter(report, remark, citizen_status(report, case.status))


def add_photo(staff: User, case_id: int, raw: bytes, kind: MediaKind):
    """An after-photo (the department holding the work order), a verification photo (the supervisor at a 核实 or
    核查) or a patrol's own photo, stripped and stored like a report's, with the result round it belongs to."""
    from api.media import images

    if kind == MediaKind.REPORT_PHOTO:
        case = queries.get_for_staff(staff, case_id, for_update=True)
        if case.source != "patrol" or case.created_by != staff.id:
            raise CaseOutOfScope(details={"kind": kind})
        round_ = 0
    elif kind == MediaKind.AFTER_PHOTO:  # for the result being prepared
        case = _holding_work_order(staff, case_id)
        if case.status not in (S.DISPATCHED, S.IN_PROGRESS):
            raise IllegalCaseTransition(details={"status": case.status, "action": "after_photo"})
        round_ = case.result_round + 1
    else:  # the supervisor doing the 核实 (before 立案, round 0) or the 核查 of the latest result
        case = queries.get_for_staff(staff, case_id, for_update=True)
        if Role.SUPERVISOR not in staff.roles:
            raise ActionNotAllowed(details={"kind": kind, "allowed_roles": [str(Role.SUPERVISOR)]})
        if case.status not in (S.VERIFYING, S.AWAITING_CHECK):
            raise IllegalCaseTransition(details={"status": case.status, "action": "verification_photo"})
        round_ = 0 if case.status == S.VERIFYING else case.result_round
    config = get_config()
    photo = images.process_upload(raw, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS)
    item = media.store_photo(photo, kind=kind, owner_type="case", owner_id=case.id, uploaded_by=staff.id)
    item.round = round_
    record("case", case.id, "photo_attached", actor_of(staff), payload={"media_id": item.id, "kind": kind,
                                                                         "round": round_})
    Session.commit()
    return item


# -- intake by staff: 监督员 patrol, 12345 hotline ----------------------------------------------------------------
def open_by_staff(staff: User, source: str, fields: dict) -> Case:
    """A patrol report is accepted on creation; a hotline transfer waits at the intake desk."""
    from api.organisation import grids
    from api.reports.service import check_in_district

    category = taxonomy.current(fields["category_code"]) if fields.get("category_code") else None
    lat, lon = check_in_district(fields["lat"], fields["lon"], fields["coord_system"])
    place = grids.codes_of(lat, lon)
    case = Case(source=source, status=S.PENDING, description=fields["description"], priority="normal",
                address_text=fields.get("address_text"), lat=lat, lon=lon, created_by=staff.id,
                grid_code=place.grid_code, street_code=place.street_code,
                external_ticket_no=fields.get("external_ticket_no"))
    if category:
        _set_category(case, category)
    Session.add(case)
    Session.flush()
    record("case", case.id, "opened", actor_of(staff), to_state=S.PENDING,
           payload={"source": source, "category_code": case.category_code,
                    "external_ticket_no": case.external_ticket_no})
    if source == "patrol":
        transition(case, A.ACCEPT, Actor.system(), SYSTEM_ROLES, reason="监督员巡查上报，直接立案")
    else:
        assignment.announce_new_case(case)
    Session.commit()
    return case


def open_from_device(source: str, category_code: str, lat: float, lon: float, description: str, actor: Actor,
                     *, triage_reason: str | None = None) -> Case:
    """A case from a camera capture, a sensor alert, a drone photo or a silent device: it waits at the intake
    desk for a person's quick review (source, place and 小类 already filled in). Caller commits."""
    from api.organisation import grids

    place = grids.codes_of(lat, lon)
    case = Case(source=source, status=S.PENDING, description=description[:500], priority="normal", lat=lat, lon=lon,
                grid_code=place.grid_code, street_code=place.street_code, triage_reason=triage_reason)
    _set_category(case, taxonomy.current(category_code))
    Session.add(case)
    Session.flush()
    record("case", case.id, "opened", actor, to_state=S.PENDING,
           payload={"source": source, "category_code": case.category_code})
    assignment.announce_new_case(case)
    return case


def hotline_answer(case: Case) -> dict | None:
    """What goes back to the 12345 platform for a hotline case once it ends (closed or refused)."""
    if case.source != "hotline" or case.status not in (S.CLOSED, S.REFUSED, S.MERGED):
        return None
    last = Session.scalar(sa.select(Event).where(Event.subject_type == "case", Event.subject_id == case.id,
                                                 Event.action.in_(("check_pass", "refuse", "merge")))
                          .order_by(Event.id.desc()))
    return {"external_ticket_no": case.external_ticket_no, "outcome": case.status,
            "result": case.result_text if case.status == S.CLOSED else (last.reason if last else None),
            "finished_at": last.created_at if last else None}


def _queue_hotline_answer(case: Case) -> None:
    """A 12345 case that ended: its answer goes back to the platform by a job after this commit."""
    from api.config import get_config

    if case.source == "hotline" and get_config().HOTLINE_ANSWER_URL:
        outbox.add(jobs.ANSWER_HOTLINE(case.id))


def recompute_provisional_deadlines() -> int:
    """After a calendar year is imported: recompute the deadlines that were computed without it."""
    cal = calendar.working_calendar()
    changed = 0
    for case in Session.scalars(sa.select(Case).where(Case.deadline_provisional, Case.extension_count == 0,
                                                      Case.status.in_([str(s) for s in OPEN]))):
        limit, clock = taxonomy.time_limit_of(case.category_id)
        deadline = cal.deadline(case.dispatched_at, limit, clock)
        record("case", case.id, "deadline_recomputed", Actor.system(),
               payload={"from": case.deadline_at.isoformat(), "to": deadline.at.isoformat(),
                        "provisional": deadline.provisional})
        case.deadline_at, case.deadline_provisional = deadline.at, deadline.provisional
        changed += 1
    Session.commit()
    return changed
