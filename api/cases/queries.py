"""Case selects: scoped reads, the desks, links to reports."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from api import geo
from api.cases.errors import CaseNotFound, CaseOutOfScope
from api.cases.lifecycle import OPEN, CaseStatus
from api.cases.models import Case, CaseReport, WorkOrder
from api.config import get_config
from api.db import Session, utcnow
from api.events.models import Event
from api.identity.models import User, UserRole
from api.media.models import Media
from api.reports.models import Report
from api.roles import Role
from api.timefmt import SHANGHAI

S = CaseStatus
DESKS = {
    "intake": (S.PENDING, S.VERIFYING),
    "verifying": (S.VERIFYING,),  # 待核实: the 监督员's on-site checks before 立案
    "triage": (S.PENDING, S.AWAITING_DISPATCH),  # the automatic intake could not decide (triage_reason set)
    "dispatch": (S.AWAITING_DISPATCH,),
    "department": (S.DISPATCHED, S.IN_PROGRESS),
    "mine": (S.IN_PROGRESS,),
    "verification": (S.AWAITING_CHECK,),
    "close_approval": (S.AWAITING_CLOSE,),  # 待结案审批: the 值班长's (CLOSE_APPROVAL)
    "deferred": (S.DEFERRED,),
    "overdue": (S.DISPATCHED, S.IN_PROGRESS, S.AWAITING_CHECK),
    "closed": (S.CLOSED,),
}


def scope(staff: User) -> sa.ColumnElement[bool]:
    """District-wide staff see every case; street staff their street; department staff their department's."""
    if staff.is_district_wide:
        return sa.true()
    if staff.scope_division_code:
        return Case.street_code == staff.scope_division_code
    return Case.department_id == staff.scope_department_id


def get_for_staff(staff: User, case_id: int, *, for_update: bool = False) -> Case:
    """The case if it is in the caller's scope (one query on the happy path); 404 unknown, 403 out of scope."""
    if staff.is_district_wide:
        case = Session.get(Case, case_id, with_for_update=for_update or None)
    else:
        query = sa.select(Case).where(Case.id == case_id, scope(staff))
        case = Session.scalar(query.with_for_update() if for_update else query)
        if case is None and Session.get(Case, case_id) is not None:
            raise CaseOutOfScope()
    if case is None:
        raise CaseNotFound()
    return case


def case_of_report(report_id: int, *, for_update: bool = False) -> Case | None:
    case_id = Session.scalar(sa.select(CaseReport.case_id).where(CaseReport.report_id == report_id))
    return Session.get(Case, case_id, with_for_update=for_update or None) if case_id else None


def cases_of_reports(report_ids: list[int]) -> dict[int, Case]:
    rows = Session.execute(sa.select(CaseReport.report_id, Case).join(Case, Case.id == CaseReport.case_id)
                           .where(CaseReport.report_id.in_(report_ids))).all()
    return {report_id: case for report_id, case in rows}


def report_ids_of(case_id: int) -> list[int]:
    return list(Session.scalars(sa.select(CaseReport.report_id).where(CaseReport.case_id == case_id)
                                .order_by(CaseReport.report_id)))


def reports_of(case_id: int) -> tuple[list[int], list[int], list[int]]:
    """The case's report ids; those whose text or photos content security flagged for staff review (or could not
    check); and those whose check is still running (two queries)."""
    rows = Session.execute(sa.select(Report.id, Report.needs_review, Report.content_check)
                           .join(CaseReport, CaseReport.report_id == Report.id)
                           .where(CaseReport.case_id == case_id).order_by(Report.id)).all()
    ids = [r.id for r in rows]
    photos_pending = set(Session.scalars(sa.select(Media.owner_id).where(
        Media.owner_type == "report", Media.owner_id.in_(ids), Media.content_check == "pending"))) if ids else set()
    pending = [r.id for r in rows if r.content_check == "pending" or r.id in photos_pending]
    return ids, [r.id for r in rows if r.needs_review], pending


def work_orders_of(case_id: int) -> list[WorkOrder]:
    return list(Session.scalars(sa.select(WorkOrder).where(WorkOrder.case_id == case_id).order_by(WorkOrder.id)))


def open_work_order(case_id: int) -> WorkOrder | None:
    return Session.scalar(sa.select(WorkOrder).where(WorkOrder.case_id == case_id, WorkOrder.status == "open")
                          .order_by(WorkOrder.id.desc()))


def staff_with_role(role: Role, *, department_id: int | None = None, district_wide: bool = False) -> list[int]:
    query = sa.select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == str(role), User.is_active)
    if department_id is not None:
        query = query.where(User.scope_department_id == department_id)
    if district_wide:
        query = query.where(User.scope_department_id.is_(None), User.scope_division_code.is_(None))
    return list(Session.scalars(query))


def staff_in_scope_of(role: Role, case: Case) -> list[int]:
    """Active staff of `role` whose scope includes the case: district-wide, the case's street, or (once
    dispatched) its department."""
    in_scope = sa.and_(User.scope_division_code.is_(None), User.scope_department_id.is_(None))
    if case.street_code:
        in_scope = sa.or_(in_scope, User.scope_division_code == case.street_code)
    if case.department_id:
        in_scope = sa.or_(in_scope, User.scope_department_id == case.department_id)
    return list(Session.scalars(sa.select(User.id).join(UserRole, UserRole.user_id == User.id)
                                .where(UserRole.role == str(role), User.is_active, in_scope).order_by(User.id)))


def desk(staff: User, name: str, filters: dict, now: datetime) -> sa.Select:
    # statuses as literals in the SQL, so that PostgreSQL can match the desks' partial indexes in every plan
    statuses = sa.bindparam("desk_statuses", [str(s) for s in DESKS[name]], expanding=True, literal_execute=True)
    query = sa.select(Case).where(Case.status.in_(statuses), scope(staff))
    if name == "mine":
        query = query.where(Case.handler_id == staff.id)
    if name == "overdue":
        query = query.where(Case.deadline_at < now)
    if name == "triage":
        query = query.where(Case.triage_reason.is_not(None))
    for field in ("street_code", "grid_code", "category_code", "source", "priority"):
        if filters.get(field):
            query = query.where(getattr(Case, field) == filters[field])
    if filters.get("created_from"):
        query = query.where(Case.created_at >= filters["created_from"])
    if filters.get("created_to"):
        query = query.where(Case.created_at < filters["created_to"])
    if filters.get("case_no"):
        query = query.where(*by_number(filters["case_no"]))
    return query


def extension_requests(staff: User) -> list[tuple[Case, Event]]:
    """Cases in the caller's scope whose department asked for a later deadline that nobody has granted yet (the
    latest of their `extension_requested` / `extend` events is a request), oldest request first."""
    latest = (sa.select(Event.subject_id, sa.func.max(Event.id).label("event_id"))
              .where(Event.subject_type == "case", Event.action.in_(("extension_requested", "extend")))
              .group_by(Event.subject_id).subquery())
    rows = Session.execute(sa.select(Case, Event).join(latest, latest.c.subject_id == Case.id)
                           .join(Event, Event.id == latest.c.event_id)
                           .where(Event.action == "extension_requested", Case.status.in_([str(s) for s in OPEN]),
                                  scope(staff)).order_by(Event.id))
    return [(case, event) for case, event in rows]


def returned_orders(case_ids: set[int]) -> dict[int, WorkOrder]:
    """case id → its latest work order where that one was returned (回退): why the case is back at dispatch."""
    if not case_ids:
        return {}
    latest = (sa.select(sa.func.max(WorkOrder.id)).where(WorkOrder.case_id.in_(case_ids))
              .group_by(WorkOrder.case_id))
    orders = Session.scalars(sa.select(WorkOrder).where(WorkOrder.id.in_(latest), WorkOrder.status == "returned"))
    return {order.case_id: order for order in orders}


def parse_case_no(number: str) -> tuple[int, date] | None:
    """(id, Beijing date of creation) of a number shaped like `Case.case_no` (AJ 20261206 0001234), else None."""
    match = re.fullmatch(r"AJ(\d{4})(\d{2})(\d{2})(\d{7,12})", number.strip().upper())
    if match is None:
        return None
    try:
        return int(match[4]), date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:  # AJ20261399…: not a date
        return None


def by_number(case_no: str) -> tuple[sa.ColumnElement[bool], ...]:
    """The conditions that find the case numbered `case_no`: its id, created on the number's (Beijing) date, so a
    number with a mistyped date finds nothing rather than another case."""
    parsed = parse_case_no(case_no)
    if parsed is None:
        return (sa.false(),)
    case_id, day = parsed
    start = datetime.combine(day, time.min, SHANGHAI).astimezone(UTC)
    return Case.id == case_id, Case.created_at >= start, Case.created_at < start + timedelta(days=1)


TOTAL_CAP = 1_000


def order_for(desk_name: str) -> tuple:
    """Newest first; the overdue desk shows the longest overdue first (督办 works down that list)."""
    return (Case.deadline_at, Case.id) if desk_name == "overdue" else (Case.id.desc(),)


def page_of(query: sa.Select, page: int, page_size: int, order: tuple = (Case.id.desc(),)
            ) -> tuple[list[Case], int, bool]:
    """A page in stable order (newest first) and the total, counted exactly up to TOTAL_CAP.

    Counting every match of a busy desk over a million cases costs more than the page itself; past the cap
    the total is reported as a lower bound (third value True).
    """
    # ordered like the page: the planner then walks the desk's index instead of guessing a scan (its
    # estimate for `deadline_at < now` is far off, and a seq scan with LIMIT looked cheap to it)
    capped = query.with_only_columns(Case.id).order_by(*order).limit(TOTAL_CAP + 1).subquery()
    total = Session.scalar(sa.select(sa.func.count()).select_from(capped))
    items = list(Session.scalars(query.order_by(*order).limit(page_size).offset((page - 1) * page_size)))
    return items, min(total, TOTAL_CAP), total > TOTAL_CAP


def overdue_rows(now: datetime) -> list:
    """Open cases past their deadline that can still escalate (plain rows: no ORM objects for a backlog)."""
    open_statuses = [str(s) for s in DESKS["overdue"]]
    return Session.execute(sa.select(Case.id, Case.department_id, Case.description, Case.deadline_at,
                                     Case.dispatched_at, Case.escalation_level)
                           .where(Case.status.in_(open_statuses), Case.deadline_at < now, Case.escalation_level < 2)
                           .order_by(Case.id)).all()


def heads_by_department(department_ids: set[int]) -> dict[int, list[int]]:
    rows = Session.execute(sa.select(User.scope_department_id, User.id).join(UserRole, UserRole.user_id == User.id)
                           .where(UserRole.role == str(Role.DEPT_HEAD), User.is_active,
                                  User.scope_department_id.in_(department_ids)))
    heads: dict[int, list[int]] = {}
    for department_id, user_id in rows:
        heads.setdefault(department_id, []).append(user_id)
    return heads


EARTH_M_PER_DEG = 111_320.0


def find_duplicate(case: Case, code: str) -> Case | None:
    """The oldest open case of the same 小类 within the radius, opened within the window before this one."""
    config = get_config()
    since = (case.created_at or utcnow()) - timedelta(hours=config.DUPLICATE_WINDOW_H)
    found = open_near(case, config.DUPLICATE_RADIUS_M, Case.category_code == code, Case.created_at >= since)
    return found[0][0] if found else None


def open_near(case: Case, radius_m: float, *conditions, limit: int | None = None) -> list[tuple[Case, float]]:
    """Other open cases within `radius_m` of this one (and `conditions`), oldest first, with their distance in
    metres: a box on the indexed coordinates, then the exact distance."""
    dlat = radius_m / EARTH_M_PER_DEG
    dlon = radius_m / (EARTH_M_PER_DEG * max(math.cos(math.radians(case.lat)), 0.1))
    candidates = Session.scalars(sa.select(Case).where(
        Case.id != case.id, Case.status.in_([str(s) for s in OPEN]), *conditions,
        Case.lat.between(case.lat - dlat, case.lat + dlat),
        Case.lon.between(case.lon - dlon, case.lon + dlon)).order_by(Case.id))
    near = [(other, geo.distance_m(case.lat, case.lon, other.lat, other.lon)) for other in candidates]
    return [pair for pair in near if pair[1] <= radius_m][:limit]
