"""Acceptance (受理 / 立案): open a case from any source, accept, refuse, merge, 核实, file its 小类 and priority.

Services flush; the route or job around them commits (api.db.unit_of_work).
"""

from __future__ import annotations

import sqlalchemy as sa

from api.assets.errors import ComponentNotFound
from api.assets.models import Component
from api.cases import assignment, followers, queries, sources
from api.cases.common import actor_of, apply_category, case_for, media_ids, remarked, roles_of, who
from api.cases.errors import CannotMergeIntoItself, CategoryRequired
from api.cases.lifecycle import OPEN, CaseAction, CaseStatus, transition
from api.cases.models import Case, CaseReport
from api.db import Session
from api.events.service import Actor, record
from api.identity.models import User
from api.media.models import MediaKind
from api.organisation import grids
from api.taxonomy import service as taxonomy
from api.taxonomy.models import Category

A, S = CaseAction, CaseStatus
SUPPORTERS_FOR_URGENT = 3  # this many further reporters of one problem make it urgent


def open_case(source: str, actor: Actor, *, description: str, lat: float, lon: float, category: Category | None = None,
              report_id: int | None = None, payload: dict | None = None, **fields) -> Case:
    """A new case at the intake desk (status pending), placed in its unit grid and street; its source's
    `on_open` hook says what happens next. `fields`: address_text, created_by, external_ticket_no,
    triage_reason. A citizen's report (`report_id`) follows the case from here on."""
    place = grids.codes_of(lat, lon)
    case = Case(source=source, status=S.PENDING, description=description, priority="normal", lat=lat, lon=lon,
                grid_code=place.grid_code, street_code=place.street_code, **fields)
    if category is not None:
        apply_category(case, category)
    Session.add(case)
    Session.flush()
    if report_id is not None:
        Session.add(CaseReport(report_id=report_id, case_id=case.id))
    record("case", case.id, "opened", actor, to_state=S.PENDING,
           payload={**({"report_id": report_id} if report_id is not None else {}), "source": source,
                    "category_code": case.category_code, **(payload or {})})
    sources.get(source).on_open(case, actor)
    return case


def open_by_staff(staff: User, source: str, fields: dict) -> Case:
    """A patrol report (accepted on creation) or a hotline transfer (waits at the intake desk)."""
    category = taxonomy.current(fields["category_code"]) if fields.get("category_code") else None
    lat, lon = grids.check_in_district(fields["lat"], fields["lon"], fields["coord_system"])
    return open_case(source, actor_of(staff), description=fields["description"], lat=lat, lon=lon,
                     category=category, address_text=fields.get("address_text"), created_by=staff.id,
                     external_ticket_no=fields.get("external_ticket_no"),
                     payload={"external_ticket_no": fields.get("external_ticket_no")})


def open_from_device(source: str, category_code: str, lat: float, lon: float, description: str, actor: Actor,
                     *, triage_reason: str | None = None) -> Case:
    """A case from a camera capture, a sensor alert, a drone photo or a silent device: it waits at the intake
    desk for a person's quick review (source, place and 小类 already filled in)."""
    return open_case(source, actor, description=description[:500], lat=lat, lon=lon,
                     category=taxonomy.current(category_code), triage_reason=triage_reason)


def accept(staff: User | None, case_id: int, category_code: str | None = None, note: str | None = None,
           citizen_remark: str | None = None) -> Case:
    """立案 by an intake clerk, or by the system (staff None) when the automatic intake is sure.

    `note` is internal (staff see it in the history); only `citizen_remark` reaches the public."""
    case = case_for(staff, case_id)
    if category_code:
        apply_category(case, taxonomy.current(category_code))
    if case.category_id is None:
        raise CategoryRequired()
    actor, roles = who(staff)
    transition(case, A.ACCEPT, actor, roles, reason=note,
               payload=remarked({"category_code": case.category_code}, citizen_remark))
    followers.tell(case, citizen_remark or "已立案，将派遣处置")
    return case


def refuse(staff: User, case_id: int, reason: str, citizen_remark: str | None = None) -> Case:
    """不予立案: `reason` stays internal; the public reads `citizen_remark` or a plain default."""
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.REFUSE, actor_of(staff), roles_of(staff), reason=reason,
               payload=remarked({}, citizen_remark))
    followers.tell(case, citizen_remark or "经审核，该问题不属于城市管理受理范围")
    sources.source_of(case).on_end(case)
    return case


def merge(staff: User | None, case_id: int, into_case_id: int, reason: str | None = None) -> Case:
    """A duplicate: its reports follow the master case, whose supporter count rises (staff None: the system)."""
    case = case_for(staff, case_id)
    target = case_for(staff, into_case_id)
    if target.id == case.id or target.status not in OPEN:
        raise CannotMergeIntoItself(details={"into_case_id": into_case_id})
    actor, roles = who(staff)
    transition(case, A.MERGE, actor, roles, reason=reason, payload={"into_case_id": target.id})
    moved = Session.execute(sa.update(CaseReport).where(CaseReport.case_id == case.id)
                            .values(case_id=target.id, merged_from_case_id=case.id)).rowcount
    case.merged_into_id = target.id
    sources.source_of(case).on_end(case)
    target.supporters += moved
    record("case", target.id, "merged_in", actor, payload={"case_id": case.id, "reports": moved})
    if target.supporters >= SUPPORTERS_FOR_URGENT and target.priority == "normal":
        record("case", target.id, "priority_set", Actor.system(), reason="多人反映",
               payload={"from": "normal", "to": "urgent", "supporters": target.supporters})
        target.priority = "urgent"
    moved_reports = list(Session.scalars(sa.select(CaseReport.report_id)
                                         .where(CaseReport.merged_from_case_id == case.id)))
    if moved_reports:
        followers.tell(target, "已有相同问题在处理，将随该案卷告知进展", moved_reports)
    return target


def unmerge(staff: User, case_id: int, reason: str) -> Case:
    """Undo a merge: the case's own reports come back to it and it waits at the intake desk again."""
    case = case_for(staff, case_id)
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
    return case


def request_verification(staff: User | None, case_id: int, category_code: str | None = None) -> Case:
    """Ask for an on-site 核实; the system may file the 小类 it recognised in the same transaction."""
    case = case_for(staff, case_id)
    if category_code and category_code != case.category_code:
        previous = case.category_code
        apply_category(case, taxonomy.current(category_code))
        record("case", case.id, "category_set", who(staff)[0], payload={"category_code": category_code,
                                                                         "from": previous})
    actor, roles = who(staff)
    transition(case, A.REQUEST_VERIFICATION, actor, roles)
    task = assignment.field_task(case, "verification_task", "核实")
    record("case", case.id, "verification_assigned", Actor.system(), payload=task.payload())
    return case


def record_verification(staff: User, case_id: int, confirmed: bool, note: str | None) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    transition(case, A.RECORD_VERIFICATION, actor_of(staff), roles_of(staff), reason=note,
               payload={"confirmed": confirmed, "photos": media_ids(case, MediaKind.VERIFICATION_PHOTO, 0)})
    return case


def set_category(staff: User | None, case_id: int, category_code: str, reason: str | None = None) -> Case:
    case = case_for(staff, case_id)
    previous = case.category_code
    apply_category(case, taxonomy.current(category_code))
    record("case", case.id, "category_set", who(staff)[0], reason=reason,
           payload={"category_code": category_code, "from": previous})
    return case


def set_component(staff: User, case_id: int, component_code: str) -> Case:
    """The case concerns this 部件 (a broken manhole cover, a dark street light …)."""
    case = case_for(staff, case_id)
    if Session.get(Component, component_code) is None:
        raise ComponentNotFound(details={"component_code": component_code})
    record("case", case.id, "component_set", actor_of(staff), payload={"component_code": component_code,
                                                                        "from": case.component_code})
    case.component_code = component_code
    return case


def set_priority(staff: User, case_id: int, priority: str, reason: str) -> Case:
    case = queries.get_for_staff(staff, case_id, for_update=True)
    record("case", case.id, "priority_set", actor_of(staff), reason=reason,
           payload={"from": case.priority, "to": priority})
    case.priority = priority
    return case

