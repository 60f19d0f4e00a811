"""Admin endpoints for staff, departments and grids; field positions; the nearest on-duty supervisor."""

from datetime import timedelta

import pytest

from api import geo
from api.db import utcnow
from api.identity import field
from api.identity.models import FieldPosition, User
from api.organisation.service import load_demo_organisation, load_divisions
from api.roles import Role
from tests.factories.identity import StaffFactory
from tests.support import citizen_login, staff_token

SANYUANLI, JINGTAI = "440111002000", "440111004000"


@pytest.fixture
def org(db_session):
    load_divisions()
    load_demo_organisation()
    db_session.commit()


@pytest.fixture
def admin(org):
    return staff_token(StaffFactory(roles=("admin",)))


def test_admin_creates_scoped_staff_who_can_log_in(client, admin, db_session):
    body = {"username": "sup.sanyuanli", "password": "long enough pw", "roles": ["supervisor"],
            "scope_division_code": SANYUANLI}
    created = client.post("/admin/staff", json=body, headers=admin)
    assert created.status_code == 201 and created.json["scope_division_code"] == SANYUANLI
    assert client.post("/admin/staff", json=body, headers=admin).json["error"]["code"] == "USERNAME_TAKEN"
    login = client.post("/auth/staff-login", json={"username": "sup.sanyuanli", "password": "long enough pw"})
    assert login.status_code == 200 and login.json["user"]["roles"] == ["supervisor"]
    disabled = client.patch(f"/admin/staff/{created.json['id']}", json={"is_active": False}, headers=admin)
    assert disabled.json["is_active"] is False
    assert client.get("/me", headers={"Authorization": f"Bearer {login.json['access_token']}"}).status_code == 401


@pytest.mark.parametrize("extra, code", [
    ({"scope_division_code": "440111002901"}, "UNKNOWN_SCOPE"),  # a community, not a street
    ({"scope_department_code": "nobody"}, "UNKNOWN_SCOPE"),
    ({"roles": ["citizen"]}, "VALIDATION_ERROR"),
    ({"password": "short"}, "VALIDATION_ERROR"),
])
def test_bad_staff_accounts_are_refused(client, admin, extra, code):
    body = {"username": "someone", "password": "long enough pw", "roles": ["dept_handler"], **extra}
    response = client.post("/admin/staff", json=body, headers=admin)
    assert response.status_code == 400 and response.json["error"]["code"] == code


def test_departments_divisions_and_grids_are_listed(client, admin):
    departments = client.get("/admin/departments", headers=admin).json
    assert {d["kind"] for d in departments} == {"district", "street_office"} and len(departments) == 5 + 24
    added = client.post("/admin/departments", json={"code": "water", "name": "区水务所"}, headers=admin)
    assert added.status_code == 201
    divisions = client.get("/admin/divisions", headers=admin).json
    assert sum(d["kind"] in ("street", "town") for d in divisions) == 24
    assert client.get("/admin/grids", headers=admin).json["total"] == 0
    assert client.get("/admin/grids/locate?lat=23.2&lon=113.3", headers=admin).json["error"]["code"] == "NO_GRID_HERE"


def test_only_admins_manage_staff(client, org):
    clerk = staff_token(StaffFactory(roles=("intake_clerk",)))
    assert client.get("/admin/staff", headers=clerk).status_code == 403
    assert client.get("/admin/departments", headers=clerk).status_code == 200


def test_field_staff_report_positions_in_gcj02(client, org, db_session, wechat):
    supervisor = StaffFactory(roles=("supervisor",))
    glat, glon = geo.wgs84_to_gcj02(23.16, 113.26)
    response = client.put("/me/position", json={"lat": glat, "lon": glon}, headers=staff_token(supervisor))
    assert response.status_code == 200 and response.json["on_duty"] is True
    stored = db_session.get(FieldPosition, supervisor.id)
    assert (stored.lat, stored.lon) == pytest.approx((23.16, 113.26), abs=1e-6)
    clerk = StaffFactory(roles=("intake_clerk",))
    assert client.put("/me/position", json={"lat": 23.1, "lon": 113.2}, headers=staff_token(clerk)).status_code == 403
    alice = citizen_login(client, wechat, "o-field")
    assert client.put("/me/position", json={"lat": 23.1, "lon": 113.2}, headers=alice).status_code == 403


def test_nearest_on_duty_supervisor_with_fallbacks(org, db_session):
    near = StaffFactory(roles=("supervisor",), scope_division_code=SANYUANLI)
    far = StaffFactory(roles=("supervisor",), scope_division_code=JINGTAI)
    off_duty = StaffFactory(roles=("supervisor",))
    scoped_only = StaffFactory(roles=("supervisor",), scope_division_code="440111005000")
    stale = StaffFactory(roles=("supervisor",))
    field.report_position(db_session.get(User, near.id), 23.1600, 113.2600, True)
    field.report_position(db_session.get(User, far.id), 23.3000, 113.4000, True)
    field.report_position(db_session.get(User, off_duty.id), 23.1601, 113.2601, False)
    field.report_position(db_session.get(User, stale.id), 23.1602, 113.2602, True)
    db_session.get(FieldPosition, stale.id).reported_at = utcnow() - timedelta(hours=1)
    db_session.commit()

    hit = field.nearest(Role.SUPERVISOR, 23.1610, 113.2610, SANYUANLI)
    assert (hit.user.id, hit.basis) == (near.id, "nearest_on_duty") and hit.distance_m < 200
    fallback = field.nearest(Role.SUPERVISOR, 23.20, 113.45, JINGTAI, near_m=1000)
    assert (fallback.user.id, fallback.basis) == (far.id, "street_on_duty")
    scoped = field.nearest(Role.SUPERVISOR, 23.20, 113.45, "440111005000", near_m=1000)
    assert (scoped.user.id, scoped.basis, scoped.distance_m) == (scoped_only.id, "street_scope", None)
    assert field.nearest(Role.SUPERVISOR, 23.20, 113.45, None, near_m=1000) is None


def test_the_last_active_admin_keeps_the_role_and_the_account(client, org, db_session):
    me = StaffFactory(roles=("admin",))
    me_id, token = me.id, staff_token(me)  # a refused request rolls its unit of work back (and expires `me`)
    demoted = client.patch(f"/admin/staff/{me_id}", json={"roles": ["dispatcher"]}, headers=token)
    assert demoted.status_code == 409 and demoted.json["error"]["code"] == "LAST_ADMIN"
    disabled = client.patch(f"/admin/staff/{me_id}", json={"is_active": False}, headers=token)
    assert disabled.status_code == 409 and db_session.get(User, me_id).is_active
    other = StaffFactory(roles=("admin",))
    db_session.commit()
    assert client.patch(f"/admin/staff/{me_id}", json={"roles": ["dispatcher"]}, headers=token).status_code == 200
    assert client.patch(f"/admin/staff/{other.id}", json={"is_active": False},
                        headers=staff_token(other)).json["error"]["code"] == "LAST_ADMIN"
