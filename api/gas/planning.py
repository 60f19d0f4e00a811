"""Plans and assignment: due users become periodic visit tasks (overdue first), tasks go to the inspectors of their
street by grid with balanced workloads, and a gas supervisor reassigns.

`plan()` is one set-based INSERT … SELECT (a partial unique index keeps one live periodic task per user, so a
repeat adds nothing). `assign()` hands each street's open tasks out grid by grid — a grid's visits stay with one
inspector, who then walks one neighbourhood — always to the inspector with the fewest live tasks (ties by id).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa

from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.gas import errors
from api.gas.models import LIVE_TASK, GasTask, GasUser
from api.identity.errors import OutOfScope
from api.identity.models import User, UserRole
from api.notifications import inbox
from api.roles import Role


def plan(today: date, horizon_days: int, actor: Actor, street_code: str | None = None) -> int:
    """A periodic task for every active user (of `street_code`, or of every street) due by today + horizon without
    one live; returns how many."""
    live = sa.exists().where(GasTask.gas_user_id == GasUser.id, GasTask.kind == "periodic",
                             GasTask.status.in_(LIVE_TASK))
    due = (sa.select(GasUser.id, GasUser.street_code, GasUser.grid_code, sa.literal("periodic"), GasUser.next_due_on,
                     sa.literal("open"), sa.literal(1), sa.literal(0), sa.literal(utcnow(), GasTask.created_at.type))
           .where(GasUser.active, GasUser.next_due_on <= today + timedelta(days=horizon_days), ~live))
    if street_code is not None:
        due = due.where(GasUser.street_code == street_code)
    columns = ["gas_user_id", "street_code", "grid_code", "kind", "due_on", "status", "version", "misses",
               "created_at"]
    insert = insert_for(GasTask).from_select(columns, due).on_conflict_do_nothing()  # a concurrent plan: harmless
    created = Session.execute(insert.execution_options(preserve_rowcount=True)).rowcount  # (kept for an INSERT)
    record("gas_plan", 0, "gas_tasks_planned", actor, payload={"tasks": created, "horizon_days": horizon_days,
                                                               "today": today.isoformat(), "street_code": street_code})
    return created


def plan_for(supervisor: User, street_code: str | None, today: date, horizon_days: int) -> dict:
    """A gas supervisor plans and assigns: a street's supervisor their own street only (naming another is
    OUT_OF_SCOPE), a district-wide one the street named, or every street."""
    if supervisor.scope_division_code is not None:
        if street_code not in (None, supervisor.scope_division_code):
            raise OutOfScope(details={"street_code": street_code})
        street_code = supervisor.scope_division_code
    actor = Actor("staff", supervisor.id)
    planned = plan(today, horizon_days, actor, street_code)
    return {"planned": planned, "assigned": assign(actor, street_code)}


def inspectors(street_code: str) -> list[int]:
    """Active gas inspectors of a street (their scope), by id."""
    return list(Session.scalars(sa.select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == str(Role.GAS_INSPECTOR), User.is_active, User.scope_division_code == street_code)
        .order_by(User.id)))


def supervisors(street_code: str | None) -> list[int]:
    """Gas supervisors of a street, and the district-wide ones."""
    scope = User.scope_division_code.is_(None)
    if street_code:
        scope = sa.or_(scope, User.scope_division_code == street_code)
    return list(Session.scalars(sa.select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == str(Role.GAS_SUPERVISOR), User.is_active, scope).order_by(User.id)))


def assign(actor: Actor, street_code: str | None = None) -> dict[str, int]:
    """Hand out open tasks street by street, a grid at a time; returns tasks assigned per street. Set-based: one
    GROUP BY for the open tasks' grids, then one UPDATE per grid (half a million tasks in seconds)."""
    query = (sa.select(GasTask.street_code, GasTask.grid_code, sa.func.min(GasTask.due_on).label("first_due"),
                       sa.func.count().label("tasks"))
             .where(GasTask.status == "open").group_by(GasTask.street_code, GasTask.grid_code))
    if street_code:
        query = query.where(GasTask.street_code == street_code)
    by_street: dict[str, list] = defaultdict(list)
    for row in Session.execute(query):
        by_street[row.street_code].append(row)
    done: dict[str, int] = {}
    for street, grids in sorted(by_street.items()):
        staff = inspectors(street)
        if not staff:
            continue
        load = dict(Session.execute(sa.select(GasTask.inspector_id, sa.func.count()).where(
            GasTask.inspector_id.in_(staff), GasTask.status == "assigned").group_by(GasTask.inspector_id)).all())
        # the most overdue grid first, then the biggest: each to whoever has least to do
        for grid in sorted(grids, key=lambda r: (r.first_due, -r.tasks, r.grid_code or "")):
            inspector = min(staff, key=lambda u: (load.get(u, 0), u))
            in_grid = GasTask.grid_code.is_(None) if grid.grid_code is None else GasTask.grid_code == grid.grid_code
            moved = Session.execute(sa.update(GasTask).where(GasTask.status == "open", GasTask.street_code == street,
                                                             in_grid).values(inspector_id=inspector, status="assigned")
                                    .execution_options(synchronize_session=False)).rowcount
            load[inspector] = load.get(inspector, 0) + moved
            done[street] = done.get(street, 0) + moved
        record("gas_plan", 0, "gas_tasks_assigned", actor, payload={"street_code": street,
                                                                    "tasks": done.get(street, 0)})
    Session.flush()
    return done


def reassign(task_id: int, inspector_id: int, reason: str, supervisor: User) -> GasTask:
    """A gas supervisor gives a live task to another inspector of its street (or takes back a taken-over one).
    The task's version moves on: a visit recorded offline against the old assignment arrives as a conflict."""
    task = Session.get(GasTask, task_id, with_for_update=True)
    if task is None or supervisor.scope_division_code not in (None, task.street_code):
        raise errors.TaskNotFound()
    if task.status not in LIVE_TASK:
        raise errors.TaskNotLive()
    if inspector_id not in inspectors(task.street_code):
        raise errors.InspectorNotFound()
    before = task.inspector_id
    task.inspector_id, task.status, task.version = inspector_id, "assigned", task.version + 1
    record("gas_task", task.id, "gas_task_reassigned", Actor("staff", supervisor.id), reason=reason,
           payload={"from_inspector": before, "to_inspector": inspector_id, "version": task.version})
    inbox.notify([inspector_id], "gas_task", "gas_task", task.id, f"安检任务已改派给您：{reason}")
    Session.flush()
    return task


def needing_supervisor(supervisor: User, today: date, limit: int = 500) -> list[GasTask]:
    """Live tasks of the supervisor's street that need one: taken over after no-shows, or overdue."""
    query = sa.select(GasTask).where(sa.or_(GasTask.status == "taken_over",
                                            sa.and_(GasTask.status.in_(LIVE_TASK), GasTask.due_on < today)))
    if supervisor.scope_division_code is not None:
        query = query.where(GasTask.street_code == supervisor.scope_division_code)
    return list(Session.scalars(query.order_by(GasTask.due_on, GasTask.id).limit(limit)))
