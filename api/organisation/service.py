"""Load the official divisions and the demo organisation (idempotent)."""

from __future__ import annotations

import csv
from importlib import resources

import sqlalchemy as sa

from api.db import Session, upsert
from api.errors import Conflict
from api.events.service import Actor, record
from api.organisation.models import Department, Division

DIVISIONS_SOURCE = "NBS 统计用区划代码 2023 (see api/organisation/data/SOURCES.md)"

DEMO_DEPARTMENTS = (
    ("sanitation", "区环卫所"),
    ("municipal", "区市政设施维护中心"),
    ("greening", "区园林绿化所"),
    ("law_enforcement", "区城管执法大队"),
    ("gas", "区燃气管理办公室"),
)


def load_divisions() -> int:
    """Upsert the district and its 24 streets/towns from the shipped CSV; returns rows written. One statement (a merge
    and a flush per row cost ~75 round trips)."""
    text = resources.files("api.organisation").joinpath("data/baiyun_divisions.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    upsert(Division, [{"code": row["code"], "name": row["name"], "kind": row["kind"], "is_demo": False,
                       "parent_code": row["parent_code"] if row["kind"] != "district" else None,
                       "source": DIVISIONS_SOURCE} for row in rows], ["code"])  # the district first, as the file
    offices = set(Session.scalars(sa.select(Department.code).where(Department.kind == "street_office")))
    for row in rows:
        if row["kind"] in ("street", "town") and street_office_code(row["code"]) not in offices:
            _add_street_office(row["code"], row["name"])
    Session.flush()
    return len(rows)


def street_office_code(street_code: str) -> str:
    return f"street-{street_code[6:9]}"


def _add_street_office(street_code: str, street_name: str) -> None:
    """Every street/town has its office: the owner of last resort for its territory (属地兜底)."""
    suffix = "办事处" if street_name.endswith("街道") else "人民政府"
    Session.add(Department(code=street_office_code(street_code), name=f"{street_name}{suffix}",
                           kind="street_office", division_code=street_code))


def load_demo_organisation(communities_per_street: int = 2) -> None:
    """Demo communities (synthetic codes, flagged) and district departments."""
    streets = Session.scalars(sa.select(Division).where(Division.kind.in_(("street", "town")))).all()
    upsert(Division, [{"code": f"{street.code[:9]}9{seq:02d}", "name": f"{street.name}演示社区{seq}",
                       "kind": "community", "parent_code": street.code, "is_demo": True,
                       "source": "synthetic demo data"}
                      for street in streets for seq in range(1, communities_per_street + 1)], ["code"])
    departments = set(Session.scalars(sa.select(Department.code)))
    for code, name in DEMO_DEPARTMENTS:
        if code not in departments:
            Session.add(Department(code=code, name=name))
    Session.flush()


class DepartmentExists(Conflict):
    code, message = "DEPARTMENT_EXISTS", "A department with this code exists."


def add_department(code: str, name: str, actor: Actor) -> Department:
    if Session.query(Department).filter_by(code=code).first():
        raise DepartmentExists(details={"code": code})
    department = Department(code=code, name=name, kind="district")
    Session.add(department)
    Session.flush()
    record("department", department.id, "department_added", actor, payload={"code": code, "name": name})
    return department
