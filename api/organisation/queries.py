"""Read divisions and departments."""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session
from api.organisation.models import Department, Division, UnitGrid


def get_division(code: str) -> Division | None:
    return Session.get(Division, code)


def streets() -> list[Division]:
    query = sa.select(Division).where(Division.kind.in_(("street", "town"))).order_by(Division.code)
    return list(Session.scalars(query))


def get_department(department_id: int) -> Department | None:
    return Session.get(Department, department_id)


def get_department_by_code(code: str) -> Department | None:
    return Session.scalar(sa.select(Department).where(Department.code == code))


def departments() -> list[Department]:
    return list(Session.scalars(sa.select(Department).order_by(Department.kind, Department.code)))


def divisions(kind: str | None = None) -> list[Division]:
    query = sa.select(Division).order_by(Division.code)
    if kind:
        query = query.where(Division.kind == kind)
    return list(Session.scalars(query))


def grids_page(street_code: str | None, page: int, page_size: int) -> tuple[list[UnitGrid], int]:
    query = sa.select(UnitGrid)
    if street_code:
        query = query.where(UnitGrid.street_code == street_code)
    total = Session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = Session.scalars(query.order_by(UnitGrid.code).limit(page_size).offset((page - 1) * page_size))
    return list(items), total
