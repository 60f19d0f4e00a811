"""What route_report decides, called directly (the flow tests run the same steps through real workers)."""

import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY

from api.calendar import service as calendar
from api.cases import queries as case_queries
from api.cases.models import Case, CaseReport
from api.config import get_config, init_config
from api.events.models import Event
from api.intake import decide, dispatch
from api.intake.models import ReportClassification
from api.organisation import grids
from api.organisation import queries as organisation
from api.organisation.service import load_demo_organisation, load_divisions
from api.routing.service import load_demo_rules
from api.taxonomy.service import load_national
from tests.factories.identity import StaffFactory
from tests.support import BAIYUN_GCJ, citizen_login, staff_token, submit_new_report


@pytest.fixture
def world(db_session, client, wechat, config):
    init_config(dataclasses.replace(config, AUTO_DISPATCH=True))
    load_divisions()
    load_demo_organisation()
    load_national()
    load_demo_rules()
    calendar.load_shipped()
    db_session.commit()
    return {"alice": citizen_login(client, wechat, "o-decide")}


def with_grid():
    streets = [street.code for street in organisation.streets()]
    grids.import_geojson(grids.demo_grid(get_config().DISTRICT_BBOX, streets), demo=True)


def case_of(db_session, report_id) -> Case:
    case_id = db_session.scalar(sa.select(CaseReport.case_id).where(CaseReport.report_id == report_id))
    return db_session.get(Case, case_id)


def test_confident_text_and_hint_accept_and_queue_the_dispatch(client, world, db_session):
    with_grid()
    rid = submit_new_report(client, world["alice"], "小区门口垃圾堆积没人清理", hint="exposed_garbage")
    row = decide.route_report(rid)
    assert row.decision == "auto_accepted" and row.category_code == "event:01-02"
    assert case_of(db_session, rid).status == "awaiting_dispatch"
    again = decide.route_report(rid)  # idempotent: the same row, no second decision
    assert again.id == row.id
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.action == "classified")) == 1
    case = dispatch.dispatch_case(case_of(db_session, rid).id)
    assert case.status == "dispatched" and dispatch.dispatch_case(case.id) is None


def test_each_decision_is_counted_by_category_once(client, world):
    with_grid()
    labels = {"decision": "auto_accepted", "category": "event:01-02"}
    before = REGISTRY.get_sample_value("intake_decisions_total", labels) or 0
    rid = submit_new_report(client, world["alice"], "小区门口垃圾堆积没人清理", hint="exposed_garbage")
    decide.route_report(rid)
    decide.route_report(rid)  # the retry finds the decision made: not counted again
    assert REGISTRY.get_sample_value("intake_decisions_total", labels) == before + 1


def test_a_point_with_no_grid_within_200_m_goes_to_triage(client, world, db_session):
    rid = submit_new_report(client, world["alice"], "小区门口垃圾堆积没人清理", hint="exposed_garbage")  # no grids
    row = decide.route_report(rid)
    assert row.decision == "triage" and case_of(db_session, rid).triage_reason.startswith("outside_grid")


def test_a_class_that_needs_verification_goes_to_the_nearest_supervisor_first(client, world, db_session):
    with_grid()
    rid = submit_new_report(client, world["alice"], "有人私自搭建铁皮房违章建筑", hint=None)
    row = decide.route_report(rid)
    case = case_of(db_session, rid)
    assert row.decision == "verification" and case.status == "verifying" and case.category_code == "event:01-01"


def test_a_raised_threshold_sends_the_same_report_to_triage(client, world, db_session):
    with_grid()
    admin = StaffFactory(roles=("admin",))
    db_session.commit()
    assert client.put("/classifier/thresholds/event:01-02", json={"threshold": 0.99},
                      headers=staff_token(admin)).status_code == 200
    rid = submit_new_report(client, world["alice"], "小区门口垃圾堆积没人清理", hint="exposed_garbage")
    row = decide.route_report(rid)
    assert row.decision == "triage" and "below 0.99" in row.reason


def test_with_automatic_dispatch_off_it_only_suggests(client, world, db_session, config):
    with_grid()
    init_config(dataclasses.replace(config, AUTO_DISPATCH=False))
    rid = submit_new_report(client, world["alice"], "小区门口垃圾堆积没人清理", hint="exposed_garbage")
    row = decide.route_report(rid)
    case = case_of(db_session, rid)
    assert row.decision == "triage" and case.status == "pending" and case.triage_reason is None
    assert case.suggestions[0]["code"] == "event:01-02" and case.suggestions[0]["name"] == "暴露垃圾"


def test_a_report_withdrawn_before_routing_is_left_alone(client, world, db_session):
    with_grid()
    rid = submit_new_report(client, world["alice"], "小区门口垃圾堆积没人清理", hint="exposed_garbage")
    assert client.post(f"/reports/{rid}/withdraw", json={}, headers=world["alice"]).status_code == 200
    assert decide.route_report(rid) is None
    assert db_session.scalar(sa.select(ReportClassification)) is None


@pytest.mark.parametrize(("north_m", "hours_ago", "status", "is_duplicate"), [
    (30, 1, "dispatched", True),
    (70, 1, "dispatched", False),  # beyond 50 m
    (30, 25, "dispatched", False),  # opened more than 24 h before
    (30, 1, "closed", False),  # not open any more
])
def test_duplicates_are_the_same_class_near_in_place_and_time(client, world, db_session, north_m, hours_ago, status,
                                                              is_duplicate):
    with_grid()
    first = submit_new_report(client, world["alice"], "路边垃圾堆放", hint="exposed_garbage")
    master = case_of(db_session, first)
    master.status, master.category_code = status, "event:01-02"
    master.created_at = master.created_at - timedelta(hours=hours_ago)
    db_session.commit()
    near = {**BAIYUN_GCJ, "lat": BAIYUN_GCJ["lat"] + north_m / 111_320}
    second = submit_new_report(client, world["alice"], "路边垃圾堆放", hint="exposed_garbage", location=near)
    found = case_queries.find_duplicate(case_of(db_session, second), "event:01-02")
    assert (found is not None and found.id == master.id) is is_duplicate


def test_give_up_puts_the_case_in_triage_once(client, world, db_session):
    with_grid()
    rid = submit_new_report(client, world["alice"], "路边垃圾堆放", hint="exposed_garbage")
    case = dispatch.give_up("route_report", rid, "RuntimeError: boom")
    assert case.triage_reason == "pipeline_failed: route_report: RuntimeError: boom"
    staff = StaffFactory(roles=("intake_clerk",))
    db_session.commit()
    desk = client.get("/cases?desk=triage", headers=staff_token(staff)).json
    assert desk["items"][0]["triage_reason"] == case.triage_reason


def test_the_operators_brake_acts_on_the_next_report_without_a_restart(client, world, db_session):
    with_grid()
    admin = staff_token(StaffFactory(roles=("admin",)))
    clerk = staff_token(StaffFactory(roles=("intake_clerk",)))
    db_session.commit()
    assert client.get("/classifier/auto-dispatch", headers=clerk).json["enabled"] is True
    assert client.put("/classifier/auto-dispatch", json={"enabled": False, "reason": "模型异常"},
                      headers=clerk).status_code == 403
    off = client.put("/classifier/auto-dispatch", json={"enabled": False, "reason": "模型异常，先人工受理"},
                     headers=admin)
    assert off.status_code == 200 and off.json == {**off.json, "enabled": False, "switch": False, "deployment": True}
    rid = submit_new_report(client, world["alice"], "小区门口垃圾堆积没人清理", hint="exposed_garbage")
    row = decide.route_report(rid)  # the same process, no reload: the switch is read per decision
    assert row.decision == "triage" and "switched off" in row.reason and case_of(db_session, rid).status == "pending"
    switched = db_session.scalar(sa.select(Event).where(Event.action == "auto_dispatch_switched"))
    assert switched.payload == {"from": True, "to": False, "reason": "模型异常，先人工受理"}
    client.put("/classifier/auto-dispatch", json={"enabled": True, "reason": "已恢复"}, headers=admin)
    again = submit_new_report(client, world["alice"], "路口垃圾堆了好几天", hint="exposed_garbage",
                              location={"lat": 23.19, "lon": 113.30, "coord_system": "gcj02"})
    assert decide.route_report(again).decision == "auto_accepted"
