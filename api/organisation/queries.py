"""Read divisions and departments."""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session
from api.organisation.models import Department, Division


def get_division(code: str) -> Division | None:
    return Session.get(Division, code)


def streets() -> list[Division]:
    query = sa.select(Division).where(Division.kind.in_(("street", "town"))).order_by(Division.code)
    return list(Session.scalars(query))


def get_department(department_id: int) -> Department | None:
    return Session.get(Department, department_id)


def get_department_by_code(code: str) -> Department | None:
    return Session.scalar(sa.select(Department).where(Department.code == code))
