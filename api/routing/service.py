"""Resolve the responsible department; maintain the 权责清单; seed a demo list."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from api.db import Session
from api.events.service import Actor, record
from api.organisation import queries as organisation
from api.organisation.models import Department, Division
from api.organisation.service import street_office_code
from api.routing.errors import NoOwner, RuleNotFound, UnknownDepartment, UnknownStreet
from api.routing.models import Responsibility
from api.taxonomy import service as taxonomy


@dataclass(frozen=True)
class Owner:
    department: Department
    basis: str  # street_rule | district_rule | territorial (属地兜底)


def responsible(category_code: str, street_code: str | None) -> Owner:
    """The 权责清单 line for this street, else the district-wide line, else the street's own office."""
    rules = {r.division_code: r for r in Session.scalars(sa.select(Responsibility).where(
        Responsibility.category_code == category_code,
        sa.or_(Responsibility.division_code == street_code, Responsibility.division_code.is_(None))))}
    if street_code in rules and street_code is not None:
        return Owner(Session.get(Department, rules[street_code].department_id), "street_rule")
    if None in rules:
        return Owner(Session.get(Department, rules[None].department_id), "district_rule")
    office = organisation.get_department_by_code(street_office_code(street_code)) if street_code else None
    if office is None:
        raise NoOwner(details={"category_code": category_code, "street_code": street_code})
    return Owner(office, "territorial")


def set_rule(category_code: str, division_code: str | None, department_code: str, actor: Actor) -> Responsibility:
    taxonomy.current(category_code)  # 404 for an unknown 小类
    department = organisation.get_department_by_code(department_code)
    if department is None:
        raise UnknownDepartment(details={"department_code": department_code})
    if division_code is not None:
        street = Session.get(Division, division_code)
        if street is None or street.kind not in ("street", "town"):
            raise UnknownStreet(details={"division_code": division_code})
    rule = Session.scalar(sa.select(Responsibility).where(
        Responsibility.category_code == category_code,
        Responsibility.division_code.is_(None) if division_code is None
        else Responsibility.division_code == division_code).with_for_update())
    previous = rule.department_id if rule else None
    if rule is None:
        rule = Responsibility(category_code=category_code, division_code=division_code, created_by=actor.id,
                              department_id=department.id)
        Session.add(rule)
    rule.department_id = department.id
    Session.flush()
    record("responsibility", rule.id, "responsibility_set", actor,
           payload={"category_code": category_code, "division_code": division_code,
                    "department_id": department.id, "previous_department_id": previous})
    return rule


def delete_rule(rule_id: int, actor: Actor) -> None:
    rule = Session.get(Responsibility, rule_id)
    if rule is None:
        raise RuleNotFound()
    record("responsibility", rule.id, "responsibility_deleted", actor,
           payload={"category_code": rule.category_code, "division_code": rule.division_code})
    Session.delete(rule)


def list_rules(category_code: str | None = None) -> list[Responsibility]:
    query = sa.select(Responsibility)
    if category_code:
        query = query.where(Responsibility.category_code == category_code)
    return list(Session.scalars(query.order_by(Responsibility.category_code, Responsibility.division_code)))


# District-wide demo lines: 大类 → department code. Streets own the rest (属地兜底).
DEMO_RULES = {
    ("event", "01"): "sanitation",  # 市容环境
    ("event", "04"): "municipal",  # 突发事件
    ("component", "01"): "municipal",  # 公用设施
    ("component", "02"): "municipal",  # 道路交通
    ("component", "04"): "greening",  # 园林绿化
    ("event", "07"): "gas",  # 燃气安全 (the gas inspection's hazards): 区燃气管理办公室
}
DEMO_EXCEPTIONS = {"event:01-01": "law_enforcement", "event:04-03": "gas", "component:01-11": "gas"}


def load_demo_rules() -> int:
    """A district-wide demo line for every current 小类 that has none yet (classes added since — the 燃气安全
    ones — get theirs on the next seed; a line an office set is never touched)."""
    departments = {d.code: d.id for d in Session.scalars(sa.select(Department))}
    ruled = set(Session.scalars(sa.select(Responsibility.category_code).where(Responsibility.division_code.is_(None))))
    added = 0
    for category in taxonomy.list_current():
        if category.code in ruled:
            continue
        dept = DEMO_EXCEPTIONS.get(category.code) or DEMO_RULES.get((category.kind, category.major_code))
        if dept and dept in departments:
            Session.add(Responsibility(category_code=category.code, division_code=None,
                                       department_id=departments[dept]))
            added += 1
    return added
