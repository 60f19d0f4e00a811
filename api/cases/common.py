"""What the engine's stages share: who acts, the case locked within the caller's scope, categories, remarks."""

from __future__ import annotations

from api.cases import queries
from api.cases.errors import CaseNotFound, CaseOutOfScope
from api.cases.models import Case
from api.db import Session
from api.events.service import Actor
from api.identity.models import User
from api.media import service as media
from api.media.models import MediaKind
from api.roles import Role
from api.taxonomy.models import Category

SYSTEM_ROLES = frozenset({"system"})


def roles_of(user: User) -> frozenset[str]:
    return frozenset(str(r) for r in user.roles)


def actor_of(user: User) -> Actor:
    return Actor("citizen" if user.is_citizen else "staff", user.id)


def who(staff: User | None) -> tuple[Actor, frozenset[str]]:
    """The acting person and their roles, or the system (staff None)."""
    return (actor_of(staff), roles_of(staff)) if staff is not None else (Actor.system(), SYSTEM_ROLES)


def case_for(staff: User | None, case_id: int) -> Case:
    """The case locked for update: within the caller's scope, or any case for the system (staff None)."""
    if staff is not None:
        return queries.get_for_staff(staff, case_id, for_update=True)
    case = Session.get(Case, case_id, with_for_update=True)
    if case is None:
        raise CaseNotFound()
    return case


def holds_work_order(staff: User, case: Case) -> bool:
    """Work-order actions belong to the department that holds the case's work order, nobody else."""
    return case.department_id is not None and staff.scope_department_id == case.department_id


def may_handle(staff: User, case: Case) -> bool:
    """Results and after-photos: the holding department; once a handler is assigned, that handler (or a head
    of the department)."""
    return holds_work_order(staff, case) and (
        not case.handler_id or staff.id == case.handler_id or Role.DEPT_HEAD in staff.roles)


def for_department(staff: User, case_id: int) -> Case:
    """The case locked, if the caller's department holds its work order (holds_work_order)."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    if not holds_work_order(staff, case):
        raise CaseOutOfScope(details={"reason": "not the department holding the work order"})
    return case


def holding_work_order(staff: User, case_id: int) -> Case:
    """The case locked, if the caller may give its result or after-photos (may_handle)."""
    case = for_department(staff, case_id)
    if not may_handle(staff, case):
        raise CaseOutOfScope(details={"reason": "assigned to another handler", "handler_id": case.handler_id})
    return case


def apply_category(case: Case, category: Category) -> None:
    """File the case under this 小类 (its current version); a safety 小类 makes a normal case urgent."""
    case.category_id, case.category_code = category.id, category.code
    if category.is_safety and case.priority == "normal":
        case.priority = "urgent"


def media_ids(case: Case, kind: MediaKind, round_: int | None = None) -> list[int]:
    return [m.id for m in media.list_for("case", case.id, kind) if round_ is None or m.round == round_]


def remarked(payload: dict, citizen_remark: str | None) -> dict:
    """An event's payload with the remark meant for the public (the event's reason stays internal)."""
    return {**payload, "citizen_remark": citizen_remark} if citizen_remark else payload
