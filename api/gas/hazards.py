"""Hazards into the closed loop: each failed checklist item becomes a hazard with a level and a rectification
deadline, a case in the engine through the `gas_inspection` source, and a re-inspection task due by the deadline.

- Level (一级 immediate, 二级, 三级) comes from the checklist item; the deadline from GAS_HAZARD_DAYS (days per level).
- The case is accepted (立案) at once — an inspector's finding needs no intake review — under the item's 燃气安全
  class (the checklist's `category`; the 权责清单 sends the classes to 区燃气管理办公室), with the inspector's photos
  of the failed item as its evidence (by reference, api.cases.handling.attach_evidence); its 处置 time limit is the
  hazard's deadline, and it closes only after a passed re-inspection (`before_close`).
- A leak's case is `emergency` and dispatched at once by the system (never left on the dispatch desk); the gas
  company's 24-hour repair line is alerted with the inspector's on-site measures (api/gas/alerts.py), and the gas
  supervisors and the command centre are told at once.
- A re-inspection that passes the item rectifies the hazard; one that fails it keeps the hazard open with a new
  deadline and a new re-inspection task (the hazard is "reopened" in its history), the new photo added to the case.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from api.calendar.clock import ClockType
from api.cases import acceptance, handling
from api.cases.common import SYSTEM_ROLES
from api.cases.errors import CloseConditionUnmet
from api.cases.lifecycle import CaseAction, transition
from api.cases.models import Case
from api.cases.queries import staff_with_role
from api.cases.sources import Source, register
from api.config import get_config
from api.db import Session
from api.errors import DomainError
from api.events.service import Actor, record
from api.gas import alerts, checklist
from api.gas.models import GasHazard, GasTask, GasUser, GasVisit, GasVisitItem
from api.gas.planning import supervisors
from api.notifications import inbox
from api.organisation.models import Department
from api.premises.models import Premises
from api.roles import Role
from api.taxonomy import service as taxonomy
from api.taxonomy.errors import CategoryNotFound
from api.taxonomy.models import Category


def deadline(level: int, day: date) -> date:
    return day + timedelta(days=get_config().GAS_HAZARD_DAYS[level - 1])


def open_hazards(visit: GasVisit, user: GasUser, failed: list[str], version: str, day: date,
                 found_at: datetime) -> list[GasHazard]:
    """A hazard, its case (with the item's photo as evidence) and its re-inspection task for each failed item not
    already open at this user; a leak's case is also dispatched at once and the repair line alerted."""
    items = checklist.load(version)
    already = set(Session.scalars(sa.select(GasHazard.item_code).where(
        GasHazard.gas_user_id == user.id, GasHazard.status == "open")))
    place = Session.get(Premises, user.premises_id)
    photos = _failed_photos(visit.id)
    made = []
    for code in failed:
        if code in already:
            continue
        item = items[code]
        hazard = GasHazard(gas_user_id=user.id, visit_id=visit.id, item_code=code, level=item.level_on_fail,
                           status="open", deadline_on=deadline(item.level_on_fail, day), found_at=found_at)
        Session.add(hazard)
        Session.flush()
        case = _open_case(hazard, item, user, place, visit)
        hazard.case_id = case.id
        handling.attach_evidence(case, photos.get(code, []), Actor("staff", visit.inspector_id))
        _reinspection(hazard, user, visit.inspector_id)
        record("gas_hazard", hazard.id, "gas_hazard_found", Actor("staff", visit.inspector_id), to_state="open",
               payload={"gas_user_id": user.id, "item_code": code, "level": hazard.level, "case_id": hazard.case_id,
                        "deadline_on": hazard.deadline_on.isoformat(), "visit_id": visit.id})
        if code == checklist.LEAK:
            _emergency(hazard, case, user, place, visit)
        made.append(hazard)
    return made


def _failed_photos(visit_id: int) -> dict[str, list[int]]:
    """item code → the media ids of the visit's photos of that failed item (the evidence its case shows)."""
    rows = Session.execute(sa.select(GasVisitItem.item_code, GasVisitItem.photo_media_id).where(
        GasVisitItem.visit_id == visit_id, GasVisitItem.result == "fail", GasVisitItem.photo_media_id.is_not(None)))
    photos: dict[str, list[int]] = {}
    for code, media_id in rows:
        photos.setdefault(code, []).append(media_id)
    return photos


def category_of(item: checklist.Item) -> Category:
    """The item's 燃气安全 class; GAS_LEAK_CATEGORY / GAS_HAZARD_CATEGORY where it has none or it is not loaded."""
    config = get_config()
    fallback = config.GAS_LEAK_CATEGORY if item.code == checklist.LEAK else config.GAS_HAZARD_CATEGORY
    if item.category:
        try:
            return taxonomy.current(item.category)
        except CategoryNotFound:
            pass
    return taxonomy.current(fallback)


def _open_case(hazard: GasHazard, item: checklist.Item, user: GasUser, place: Premises, visit: GasVisit) -> Case:
    leak = hazard.item_code == checklist.LEAK
    inspector_id = visit.inspector_id
    # the gas company's own point of the user, else the premises', else the inspector's check-in (all WGS-84)
    lat, lon = next(((a, b) for a, b in ((user.lat, user.lon), (place.lat, place.lon), (visit.lat, visit.lon))
                     if a is not None), (None, None))
    case = acceptance.open_case(
        GasInspection.name, Actor("staff", inspector_id),
        description=f"燃气安全隐患（{checklist.LEVEL_NAMES[hazard.level]}）：{item.title}。用户{user.number}，{place.address}",
        lat=lat, lon=lon, category=category_of(item), address_text=place.address, created_by=inspector_id,
        payload={"gas_hazard_id": hazard.id, "level": hazard.level, "item_code": hazard.item_code})
    priority = "emergency" if leak else ("urgent" if hazard.level == 1 else "normal")
    if priority != case.priority:
        case.priority = priority
        record("case", case.id, "priority_set", Actor.system(),
               payload={"priority": priority, "why": f"燃气隐患{checklist.LEVEL_NAMES[hazard.level]}"})
    return case


def _emergency(hazard: GasHazard, case: Case, user: GasUser, place: Premises, visit: GasVisit) -> None:
    """A leak: dispatched at once by the system to the department the 权责清单 names (never left on the dispatch
    desk), the gas company's repair line alerted, the street's gas supervisors and the command centre told."""
    try:
        with Session.begin_nested():  # a refused dispatch (no owner at all) leaves the case as it was
            handling.dispatch(None, case.id)
    except DomainError:
        pass
    department = Session.get(Department, case.department_id) if case.department_id else None
    measures = "、".join(alerts.MEASURE_NAMES[m] for m in alerts.measures_of(visit)) or "无"
    line = "已通知燃气企业抢修" if alerts.queue(hazard) else f"请立即电话通知{alerts.contact()}"
    sent = f"已派遣{department.name}" if department else "未能自动派遣，请立即派遣"
    told = supervisors(user.street_code) + staff_with_role(Role.COMMAND_CENTRE)
    inbox.notify(told, "gas_leak", "case", case.id,
                 f"燃气泄漏！{place.address}，{sent}；现场措施：{measures}；{line}", flagged=True)


def _reinspection(hazard: GasHazard, user: GasUser, inspector_id: int | None) -> GasTask:
    task = GasTask(gas_user_id=user.id, street_code=user.street_code, grid_code=user.grid_code, kind="reinspection",
                   hazard_id=hazard.id, due_on=hazard.deadline_on, status="assigned" if inspector_id else "open",
                   inspector_id=inspector_id, version=1, misses=0)
    Session.add(task)
    Session.flush()
    return task


def reinspected(task: GasTask, visit: GasVisit, results: dict[str, str], day: date) -> GasHazard:
    """A re-inspection's verdict on its hazard: rectified when the item passed, else open again with a new
    deadline and a new re-inspection task."""
    hazard = Session.get(GasHazard, task.hazard_id, with_for_update=True)
    actor = Actor("staff", visit.inspector_id)
    if hazard.status != "open":
        return hazard
    if results.get(hazard.item_code) == "pass":
        hazard.status, hazard.rectified_at, hazard.rectified_visit_id = "rectified", visit.finished_at, visit.id
        record("gas_hazard", hazard.id, "gas_hazard_rectified", actor, from_state="open", to_state="rectified",
               payload={"visit_id": visit.id, "case_id": hazard.case_id})
        return hazard
    before = hazard.deadline_on
    hazard.deadline_on = deadline(hazard.level, day)
    case = Session.get(Case, hazard.case_id) if hazard.case_id else None
    if case is not None:  # the re-inspection's photo of the item, beside the first
        handling.attach_evidence(case, _failed_photos(visit.id).get(hazard.item_code, []), actor)
    user = Session.get(GasUser, hazard.gas_user_id)
    _reinspection(hazard, user, visit.inspector_id)
    record("gas_hazard", hazard.id, "gas_hazard_reopened", actor, from_state="open", to_state="open",
           reason="复查未通过", payload={"visit_id": visit.id, "from_deadline": before.isoformat(),
                                       "to_deadline": hazard.deadline_on.isoformat()})
    return hazard


class GasInspection(Source):
    """入户安检 hazards as cases: accepted at once, the hazard's deadline as the time limit, closed only after a
    passed re-inspection."""

    name, label = "gas_inspection", "燃气入户安检"

    def on_open(self, case: Case, actor: Actor) -> None:
        transition(case, CaseAction.ACCEPT, Actor.system(), SYSTEM_ROLES, reason="燃气安检员现场发现隐患，直接立案")

    def time_limit(self, case: Case) -> tuple[float, str]:
        hazard = _hazard_of(case)
        days = get_config().GAS_HAZARD_DAYS[hazard.level - 1] if hazard else 7
        if hazard and hazard.level == 1:
            return max(days, 1) * 24, ClockType.EMERGENCY_HOURS  # 一级: immediate, nights and holidays count
        return days, ClockType.NATURAL_DAYS

    def before_close(self, case: Case) -> None:
        hazard = _hazard_of(case)
        if hazard is not None and hazard.status != "rectified":
            raise CloseConditionUnmet("A gas hazard's case closes only after a passed re-inspection.",
                                      details={"condition": "gas_reinspection_passed", "gas_hazard_id": hazard.id,
                                               "deadline_on": hazard.deadline_on.isoformat()})


def _hazard_of(case: Case) -> GasHazard | None:
    return Session.scalar(sa.select(GasHazard).where(GasHazard.case_id == case.id))


register(GasInspection())
