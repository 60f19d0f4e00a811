"""Demo data for `make run`: calendar, official divisions, flagged demo communities and grid, departments, staff."""

from __future__ import annotations

import sqlalchemy as sa

from api.calendar import service as calendar
from api.config import get_config
from api.db import Session
from api.identity import service as identity
from api.identity.models import User
from api.identity.roles import Role
from api.organisation import grids
from api.organisation import queries as organisation
from api.organisation import service as org_service
from api.organisation.models import UnitGrid
from api.routing import service as routing
from api.taxonomy import service as taxonomy

SANYUANLI = "440111002000"

# username → (roles, display name, street scope, department code)
DEMO_STAFF = {
    "admin": ({Role.ADMIN}, "系统管理员", None, None),
    "clerk": ({Role.INTAKE_CLERK}, "受理员（区）", None, None),
    "dispatcher": ({Role.DISPATCHER}, "值班长", None, None),
    "command": ({Role.COMMAND_CENTRE}, "指挥中心", None, None),
    "sanyuanli_clerk": ({Role.INTAKE_CLERK}, "三元里街受理员", SANYUANLI, None),
    "supervisor": ({Role.SUPERVISOR}, "监督员（区）", None, None),
    "sanyuanli_supervisor": ({Role.SUPERVISOR}, "监督员（三元里）", SANYUANLI, None),
    "handler": ({Role.DEPT_HANDLER}, "环卫处置员", None, "sanitation"),
    "dept_head": ({Role.DEPT_HEAD}, "环卫所负责人", None, "sanitation"),
}


def seed_demo(password: str) -> list[str]:
    """Idempotent: load divisions and demo organisation, create missing demo staff; returns usernames created."""
    calendar.load_shipped()
    org_service.load_divisions()
    org_service.load_demo_organisation()
    taxonomy.load_national()
    routing.load_demo_rules()
    if not Session.scalar(sa.select(sa.func.count()).select_from(UnitGrid)):
        streets = [s.code for s in organisation.streets()]
        grids.import_geojson(grids.demo_grid(get_config().DISTRICT_BBOX, streets), demo=True)
    created = []
    for username, (roles, name, street, dept_code) in DEMO_STAFF.items():
        if Session.scalar(sa.select(User.id).where(User.username == username)):
            continue
        department = organisation.get_department_by_code(dept_code) if dept_code else None
        identity.create_staff(username, password, roles, display_name=name, scope_division_code=street,
                              scope_department_id=department.id if department else None)
        created.append(username)
    Session.commit()
    return created
