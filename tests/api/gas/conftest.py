"""A small gas world on top of the case engine's district: premises with points in one street's grid, gas users of
each type, two inspectors and a gas supervisor of that street, a district-wide one, and the field app's helpers."""

import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api import geo
from api.events.service import Actor
from api.gas import users
from api.organisation import grids
from api.premises.service import import_premises
from api.timefmt import today
from tests.api.cases.conftest import world  # noqa: F401 - the district, taxonomy, rules, grids and case staff
from tests.factories.identity import StaffFactory
from tests.support import jpeg, staff_token

HERE = (23.1625, 113.2628)  # a point of the demo grid in the district


def _premises(street: str) -> str:
    # G-0001..3 about 100 m apart along a street; G-0004 has no point in the register
    return ("code,kind,address,community,lat,lon,street_code\n"
            f"G-0001,household,云城东路1号101房,云城社区,{HERE[0]},{HERE[1]},{street}\n"
            f"G-0002,business,云城东路5号首层（餐馆）,云城社区,{HERE[0] + 0.0009},{HERE[1]},{street}\n"
            f"G-0003,household,云城东路9号202房,云城社区,{HERE[0] + 0.0018},{HERE[1]},{street}\n"
            f"G-0004,business,云城东路11号（商铺）,云城社区,,,{street}\n")


def gas_users_csv(last_inspected: str) -> str:
    return ("number,meter_no,premises_code,user_type,supply,supplier,contact_name,phone,last_inspected_on,appliances\n"
            f"R0001,M0001,G-0001,residential,pipeline,广州燃气集团,陈一,13800000001,{last_inspected},"
            "stove:2019-05-01:yes;water_heater:2015-03-01:no\n"
            "C0002,,G-0002,catering,lpg,白云液化气站,林二,13800000002,,stove::no\n"
            f"R0003,M0003,G-0003,residential,pipeline,广州燃气集团,黄三,13800000003,{today().isoformat()},\n"
            "N0004,,G-0004,non_residential,pipeline,广州燃气集团,吴四,13800000004,,\n")


@pytest.fixture
def gas(world, db_session):  # noqa: F811
    street = grids.codes_of(*HERE).street_code
    import_premises(_premises(street), Actor.system())
    users.import_users(gas_users_csv((today() - timedelta(days=400)).isoformat()), Actor.system(), today())
    staff = {"ins1": StaffFactory(roles=("gas_inspector",), scope_division_code=street, display_name="安检员甲"),
             "ins2": StaffFactory(roles=("gas_inspector",), scope_division_code=street, display_name="安检员乙"),
             "boss": StaffFactory(roles=("gas_supervisor",), scope_division_code=street),
             "chief": StaffFactory(roles=("gas_supervisor",))}
    db_session.commit()
    tokens = {name: staff_token(user) for name, user in staff.items()}
    return {"street": street, "staff": staff, "t": {**world["t"], **tokens}, "world": world}


def new_id() -> str:
    return str(uuid.uuid4())


def upload(client, token, client_id=None, color=(200, 40, 40)) -> str:
    client_id = client_id or new_id()
    answer = client.put(f"/gas/field/photos/{client_id}", data={"photo": (io.BytesIO(jpeg(color=color)), "p.jpg")},
                        headers=token, content_type="multipart/form-data")
    assert answer.status_code in (200, 201), answer.json
    return client_id


def visit(task: dict, outcome: str, items=(), *, at=HERE, minutes_ago=30, **extra) -> dict:
    """A visit as the field app sends it: checked in where `at` (WGS-84) is, as wx.getLocation gives it (GCJ-02)."""
    finished = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    glat, glon = geo.wgs84_to_gcj02(*at)
    return {"client_id": new_id(), "task_id": task["task_id"], "task_version": task["version"], "outcome": outcome,
            "started_at": (finished - timedelta(minutes=20)).isoformat(), "finished_at": finished.isoformat(),
            "checkin": {"lat": glat, "lon": glon}, "checklist_version": "v1", "items": list(items), **extra}


def passing(codes, **fails) -> list[dict]:
    """Every code passed except those given as code=photo_id (failed, with that photo)."""
    return [{"code": c, "result": "fail", "photo_id": fails[c]} if c in fails else {"code": c, "result": "pass"}
            for c in codes]
