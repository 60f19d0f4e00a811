"""Deadlines (时限): defer and resume, extension requests and extensions, the overdue scan and escalation, the
time left, and deadlines recomputed once a calendar year is imported.

The 处置 clock is the department's: it runs from 派遣 until the result passes its 核查. A case waiting for the
值班长's 结案 approval (`awaiting_close`) has no time left shown, is not overdue and does not escalate (its status is
not OPEN); sent back, it is at 待核查 again and its deadline counts as before.

Services flush; the route or job around them commits (api.db.unit_of_work).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from api.calendar import service as calendar
from api.cases import queries, sources
from api.cases.common import actor_of, for_department, roles_of
from api.cases.lifecycle import OPEN, CaseAction, transition
from api.cases.models import Case
from api.db import Session, utcnow
from api.events.service import Actor, Happened, record, record_many
from api.identity.models import User
from api.notifications import inbox
from api.notifications.models import StaffNotice
from api.roles import Role

A = CaseAction


def defer(staff: User, case_id: int, reason: str) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.DEFER, actor_of(staff), roles_of(staff), reason=reason)
    return case


def resume(staff: User, case_id: int) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.RESUME, actor_of(staff), roles_of(staff))
    case.status_before_deferral = None
    return case


def request_extension(staff: User, case_id: int, until: datetime, reason: str) -> Case:
    case = for_department(staff, case_id)
    record("case", case.id, "extension_requested", actor_of(staff), reason=reason,
           payload={"until": until.isoformat(), "deadline_at": case.deadline_at.isoformat()
                    if case.deadline_at else None})
    inbox.notify(queries.staff_with_role(Role.DISPATCHER), "extension_request", "case", case.id,
                 f"申请延期：{reason[:40]}")
    return case


def extend(staff: User, case_id: int, until: datetime, reason: str) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.EXTEND, actor_of(staff), roles_of(staff), reason=reason,
               payload={"from": case.deadline_at.isoformat() if case.deadline_at else None,
                        "to": until.isoformat()})
    case.deadline_at, case.extension_count, case.escalation_level = until, case.extension_count + 1, 0
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
    record_many([Happened("case", row.id, "escalated", payload={"level": level,
                                                                 "deadline_at": row.deadline_at.isoformat()})
                 for row, level in targets], Actor.system(), now)
    heads = queries.heads_by_department({row.department_id for row, level in targets if level == 1})
    command = queries.staff_with_role(Role.COMMAND_CENTRE)
    notices = []
    for row, level in targets:
        for user_id in (heads.get(row.department_id, []) if level == 1 else command):
            notices.append({"user_id": user_id, "kind": "escalated", "subject_type": "case", "subject_id": row.id,
                            "message": f"督办（{level}级）：{row.description[:40]}", "created_at": now})
    if notices:
        Session.execute(sa.insert(StaffNotice.__table__), notices)
    return len(targets)


def remaining(case: Case, now: datetime | None = None) -> timedelta | None:
    if case.deadline_at is None or case.status not in OPEN:
        return None
    _, clock = sources.source_of(case).time_limit(case)
    return calendar.working_calendar().remaining(now or utcnow(), case.deadline_at, clock)


def recompute_provisional_deadlines() -> int:
    """After a calendar year is imported: recompute the deadlines that were computed without it."""
    cal = calendar.working_calendar()
    changed = 0
    for case in Session.scalars(sa.select(Case).where(Case.deadline_provisional, Case.extension_count == 0,
                                                      Case.status.in_([str(s) for s in OPEN]))):
        limit, clock = sources.source_of(case).time_limit(case)
        deadline = cal.deadline(case.dispatched_at, limit, clock)
        record("case", case.id, "deadline_recomputed", Actor.system(),
               payload={"from": case.deadline_at.isoformat(), "to": deadline.at.isoformat(),
                        "provisional": deadline.provisional})
        case.deadline_at, case.deadline_provisional = deadline.at, deadline.provisional
        changed += 1
    return changed
