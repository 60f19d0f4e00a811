"""A small district for the case engine's tests: divisions, departments, taxonomy, rules, grids, staff."""

import io

import pytest

from api.calendar import service as calendar
from api.cases import deadlines
from api.config import get_config
from api.db import unit_of_work
from api.organisation import grids
from api.organisation import queries as organisation
from api.organisation.service import load_demo_organisation, load_divisions
from api.routing.service import load_demo_rules
from api.taxonomy.service import load_national
from tests.factories.identity import StaffFactory
from tests.support import citizen_login, jpeg, staff_token, submit_new_report


@pytest.fixture
def world(db_session, client, wechat):
    return build_world(db_session, client, wechat)


def build_world(session, client, wechat) -> dict:
    """The district, its staff (one per desk, and a handler of another department) and a citizen, committed."""
    load_divisions()
    load_demo_organisation()
    load_national()
    load_demo_rules()
    calendar.load_shipped()
    streets = [street.code for street in organisation.streets()]
    grids.import_geojson(grids.demo_grid(get_config().DISTRICT_BBOX, streets), demo=True)
    sanitation = organisation.get_department_by_code("sanitation")
    staff = {
        "clerk": StaffFactory(roles=("intake_clerk",)),
        "dispatcher": StaffFactory(roles=("dispatcher",)),
        "head": StaffFactory(roles=("dept_head",), scope_department_id=sanitation.id),
        "handler": StaffFactory(roles=("dept_handler",), scope_department_id=sanitation.id),
        "supervisor": StaffFactory(roles=("supervisor",)),
        "command": StaffFactory(roles=("command_centre",)),
        "other_handler": StaffFactory(roles=("dept_handler",),
                                      scope_department_id=organisation.get_department_by_code("greening").id),
    }
    session.commit()
    tokens = {name: staff_token(user) for name, user in staff.items()}
    tokens["alice"] = citizen_login(client, wechat, "o-engine")
    return {"staff": staff, "t": tokens}


def _in_unit(func, *args):
    """As the job or route around a service does: one unit of work, committed."""
    with unit_of_work():
        return func(*args)


def _scan_overdue(*args):
    return _in_unit(deadlines.scan_overdue, *args)


def new_case(client, t, hint="exposed_garbage"):
    report_id = submit_new_report(client, t["alice"], hint=hint)
    return report_id, client.get("/cases?desk=intake", headers=t["clerk"]).json["items"][0]["id"]


def act(client, token, case_id, action, body=None):
    return client.post(f"/cases/{case_id}/{action}", json=body or {}, headers=token)


def after_photo(client, token, case_id, kind="after_photo"):
    return client.post(f"/cases/{case_id}/photos?kind={kind}", data={"photo": (io.BytesIO(jpeg(color=(1, 200, 3))),
                       "a.jpg")}, headers=token, content_type="multipart/form-data")


def to_check(client, t, hint="exposed_garbage"):
    """A case carried to 待核查 by the sanitation department's handler, with one after-photo."""
    report_id, case_id = new_case(client, t, hint)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    act(client, t["handler"], case_id, "receive")
    assert after_photo(client, t["handler"], case_id).status_code == 201
    assert act(client, t["handler"], case_id, "result", {"result_text": "已清运"}).json["status"] == "awaiting_check"
    return report_id, case_id


def closed_case(client, t):
    report_id, case_id = to_check(client, t)
    assert act(client, t["supervisor"], case_id, "check", {"passed": True}).json["status"] == "closed"
    return report_id, case_id
