"""结案 approved by the 值班长 (CLOSE_APPROVAL): off, a passed 核查 closes the case as ever; on, it waits on the
close_approval desk until a shift lead approves it (closed, with everything closing does) or sends it back to 核查.

The `world` fixture and the helpers are in conftest.py."""

import dataclasses
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from api.cases import statistics
from api.cases.models import Case, WorkOrder
from api.config import get_config, init_config
from api.db import utcnow
from api.events.models import Event
from api.notifications.models import Notification, StaffNotice
from api.timefmt import SHANGHAI
from tests.api.cases.conftest import _scan_overdue, act, after_photo, new_case
from tests.factories.identity import StaffFactory
from tests.support import staff_token


@pytest.fixture
def approval(world, db_session):
    """The office setting on, and a district-wide 值班长."""
    init_config(dataclasses.replace(get_config(), CLOSE_APPROVAL=True))
    lead = StaffFactory(roles=("shift_lead",))
    db_session.commit()
    world["staff"]["lead"], world["t"]["lead"] = lead, staff_token(lead)
    return world


def _checked(client, t, world, *, citizen_remark=None) -> tuple[int, int, dict]:
    """A case carried to its 核查 and passed: (report id, case id, the check's answer)."""
    report_id, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    act(client, t["head"], case_id, "receive", {"handler_id": world["staff"]["handler"].id})
    assert after_photo(client, t["handler"], case_id).status_code == 201
    assert act(client, t["handler"], case_id, "result", {"result_text": "已清运"}).json["status"] == "awaiting_check"
    body = {"passed": True, **({"citizen_remark": citizen_remark} if citizen_remark else {})}
    return report_id, case_id, act(client, t["supervisor"], case_id, "check", body).json


def _messages(db_session, report_id: int) -> list[str]:
    """The status phrase of each progress message the reporter was sent."""
    return [n.data["phrase3"]["value"] for n in db_session.scalars(
        sa.select(Notification).where(Notification.subject_id == report_id).order_by(Notification.id))]


def _notices(db_session, user_id: int, kind: str) -> list[StaffNotice]:
    return list(db_session.scalars(sa.select(StaffNotice).where(StaffNotice.user_id == user_id,
                                                                StaffNotice.kind == kind)))


def test_with_the_setting_off_a_passed_check_closes_the_case_as_before(client, world, db_session):
    t = world["t"]
    lead = StaffFactory(roles=("shift_lead",))
    db_session.commit()
    assert get_config().CLOSE_APPROVAL is False  # the default
    report_id, case_id, checked = _checked(client, t, world)
    assert checked["status"] == "closed" and checked["closed_at"] == checked["checked_at"]
    assert client.get(f"/reports/{report_id}", headers=t["alice"]).json["status"] == "resolved"
    assert _messages(db_session, report_id)[-1] == "已办结"
    assert _notices(db_session, lead.id, "close_approval") == []
    assert client.get("/cases?desk=close_approval", headers=staff_token(lead)).json["total"] == 0


def test_with_the_setting_on_a_passed_check_waits_for_the_shift_lead(client, approval, db_session):
    t, staff = approval["t"], approval["staff"]
    report_id, case_id, checked = _checked(client, t, approval, citizen_remark="垃圾已清运完毕")
    assert checked["status"] == "awaiting_close" and checked["closed_at"] is None and checked["checked_at"]
    assert checked["remaining_seconds"] is None  # no clock runs against the department while it waits
    desk = client.get("/cases?desk=close_approval", headers=t["lead"]).json
    assert [row["id"] for row in desk["items"]] == [case_id]
    assert client.get("/cases?desk=verification", headers=t["supervisor"]).json["total"] == 0
    assert client.get("/cases?desk=closed", headers=t["lead"]).json["total"] == 0
    notices = _notices(db_session, staff["lead"].id, "close_approval")
    assert [n.subject_id for n in notices] == [case_id] and not notices[0].flagged
    work_order = db_session.scalar(sa.select(WorkOrder).where(WorkOrder.case_id == case_id))
    assert work_order.status == "open"

    # the citizen: still being handled, told nothing yet, no 已办结 on the timeline
    seen = client.get(f"/reports/{report_id}", headers=t["alice"]).json
    assert seen["status"] == "handling" and "result" not in seen
    assert "check_pass" not in [e["action"] for e in seen["timeline"]]
    assert "已办结" not in _messages(db_session, report_id)
    assert client.post(f"/reports/{report_id}/rating", json={"score": 5},
                       headers=t["alice"]).json["error"]["code"] == "ILLEGAL_TRANSITION"

    closed = act(client, t["lead"], case_id, "approve-close", {"note": "照片清楚"}).json
    assert closed["status"] == "closed" and closed["closed_at"] >= closed["checked_at"]
    assert closed["work_orders"][0]["status"] == "done"
    assert [e["action"] for e in closed["events"]][-1] == "approve_close"
    assert closed["events"][-1]["actor_id"] == staff["lead"].id and closed["events"][-1]["reason"] == "照片清楚"
    seen = client.get(f"/reports/{report_id}", headers=t["alice"]).json
    assert seen["status"] == "resolved" and seen["result"]["text"] == "已清运"
    assert seen["timeline"][-1]["action"] == "approve_close" and seen["timeline"][-1]["label"] == "已办结"
    assert seen["timeline"][-1]["remark"] == "垃圾已清运完毕"  # the 核查's words for the citizen, sent at 结案
    assert seen["progress"]["can_rate"] is True
    assert _messages(db_session, report_id)[-1] == "已办结"
    assert client.post(f"/reports/{report_id}/rating", json={"score": 5}, headers=t["alice"]).status_code == 201


def test_the_shift_lead_sends_a_case_back_to_be_checked_again(client, approval, db_session):
    t, staff = approval["t"], approval["staff"]
    _, case_id, _ = _checked(client, t, approval)
    no_reason = act(client, t["lead"], case_id, "reject-close")
    assert no_reason.status_code == 400 and no_reason.json["error"]["code"] == "VALIDATION_ERROR"
    back = act(client, t["lead"], case_id, "reject-close", {"reason": "处置后照片看不清，请复核"}).json
    assert back["status"] == "awaiting_check" and back["checked_at"] is None and back["rework_count"] == 0
    sent_back, assigned = back["events"][-2:]
    assert (sent_back["action"], sent_back["reason"], sent_back["to_state"]) == (
        "reject_close", "处置后照片看不清，请复核", "awaiting_check")
    assert assigned["action"] == "check_assigned" and assigned["payload"]["assignee_id"] == staff["supervisor"].id
    assert _notices(db_session, staff["supervisor"].id, "check_task")[-1].message.startswith("重新核查任务")
    assert client.get("/cases?desk=verification", headers=t["supervisor"]).json["items"][0]["id"] == case_id
    assert act(client, t["supervisor"], case_id, "check", {"passed": True}).json["status"] == "awaiting_close"
    assert act(client, t["lead"], case_id, "approve-close").json["status"] == "closed"


def test_only_the_shift_lead_approves_and_only_a_case_awaiting_approval(client, approval, db_session):
    t = approval["t"]
    _, case_id, _ = _checked(client, t, approval)
    for role in ("supervisor", "dispatcher", "command", "clerk", "head"):
        for action, body in (("approve-close", {}), ("reject-close", {"reason": "不同意结案"})):
            refused = act(client, t[role], case_id, action, body)
            assert refused.status_code == 403 and refused.json["error"]["code"] == "ROLE_NOT_ALLOWED", (role, action)
    assert act(client, t["lead"], case_id, "approve-close", {}).status_code == 200
    # nothing to approve or send back once closed, or before the 核查
    for action, body in (("approve-close", {}), ("reject-close", {"reason": "不同意结案"})):
        late = act(client, t["lead"], case_id, action, body)
        assert late.status_code == 409 and late.json["error"]["code"] == "ILLEGAL_TRANSITION"
    _, early = new_case(client, t)
    assert act(client, t["lead"], early, "approve-close").json["error"]["code"] == "ILLEGAL_TRANSITION"


def test_a_case_awaiting_approval_has_no_clock_running(client, approval, db_session):
    t = approval["t"]
    _, case_id, _ = _checked(client, t, approval)
    case = db_session.get(Case, case_id)
    case.deadline_at = utcnow() - timedelta(hours=1)
    db_session.commit()
    assert client.get("/cases?desk=overdue", headers=t["command"]).json["total"] == 0
    assert _scan_overdue() == 0
    for action, body in (("defer", {"reason": "等待值班长"}),
                         ("extend", {"until": (utcnow() + timedelta(days=3)).isoformat(), "reason": "延期"})):
        refused = act(client, t["dispatcher"], case_id, action, body)
        assert refused.status_code == 409 and refused.json["error"]["code"] == "ILLEGAL_TRANSITION"
    # sent back, it is at 待核查 again: its deadline counts as before
    act(client, t["lead"], case_id, "reject-close", {"reason": "请复核"})
    assert client.get("/cases?desk=overdue", headers=t["command"]).json["total"] == 1


def test_without_a_shift_lead_the_command_centre_is_told_flagged(client, world, db_session):
    init_config(dataclasses.replace(get_config(), CLOSE_APPROVAL=True))
    _, case_id, checked = _checked(client, world["t"], world)
    assert checked["status"] == "awaiting_close"
    notices = _notices(db_session, world["staff"]["command"].id, "close_approval")
    assert [(n.subject_id, n.flagged) for n in notices] == [(case_id, True)]


def test_a_hotline_case_is_answered_when_the_shift_lead_closes_it(client, approval, db_session):
    t, staff = approval["t"], approval["staff"]
    opened = client.post("/cases/hotline", json={"description": "12345转办：路边垃圾", "lat": 23.1625, "lon": 113.2628,
                                                 "category_code": "event:01-01", "external_ticket_no": "GZ12345-0001"},
                         headers=t["clerk"])
    assert opened.status_code == 201, opened.json
    case_id = opened.json["id"]
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch", {"department_code": "sanitation"})
    act(client, t["head"], case_id, "receive", {"handler_id": staff["handler"].id})
    after_photo(client, t["handler"], case_id)
    act(client, t["handler"], case_id, "result", {"result_text": "已清运"})
    waiting = act(client, t["supervisor"], case_id, "check", {"passed": True}).json
    assert waiting["status"] == "awaiting_close" and waiting["hotline_answer"] is None
    closed = act(client, t["lead"], case_id, "approve-close").json
    answer = closed["hotline_answer"]
    assert answer["outcome"] == "closed" and answer["result"] == "已清运"
    approved_at = db_session.scalar(sa.select(Event.created_at).where(Event.subject_id == case_id,
                                                                      Event.action == "approve_close"))
    assert answer["finished_at"][:19] == approved_at.astimezone(SHANGHAI).isoformat()[:19]


def nov(day, hour=10):
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI)


def test_statistics_count_a_case_as_closed_only_once_approved_and_on_time_by_its_check(db_session, world):
    """Three cases of one street, due on 10 November: one waits for approval (checked on the 9th); one was
    checked on the 9th and approved on the 12th (on time: the department finished by the deadline); one was
    checked on the 11th and approved the same day (late)."""
    street, department = "440111002000", world["staff"]["head"].scope_department_id

    def case(status, checked=None, closed=None):
        db_session.add(Case(source="citizen", status=status, description="x", lat=23.2, lon=113.3,
                            street_code=street, priority="normal", deadline_at=nov(10), dispatched_at=nov(8),
                            checked_at=checked, closed_at=closed, department_id=department))

    case("awaiting_close", checked=nov(9))
    case("closed", checked=nov(9), closed=nov(12))
    case("closed", checked=nov(11), closed=nov(11, 12))
    db_session.commit()
    row = {r.key: r for r in statistics.evaluate("street", nov(1, 0), nov(30, 0), nov(20))}[street]
    assert (row.due, row.should_close, row.closed, row.closed_on_time, row.overdue) == (3, 3, 2, 1, 1)
    assert (row.close_rate, row.on_time_rate) == (0.6667, 0.3333)
    assert row.mean_handling_hours == 48.0  # dispatched → passed 核查: 24 h and 72 h


def test_a_shift_lead_who_passed_the_check_does_not_approve_it(client, approval, db_session):
    t = approval["t"]
    both = StaffFactory(roles=("supervisor", "shift_lead"))  # district-wide, holds both roles
    db_session.commit()
    report_id, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    act(client, t["head"], case_id, "receive", {"handler_id": approval["staff"]["handler"].id})
    assert after_photo(client, t["handler"], case_id).status_code == 201
    act(client, t["handler"], case_id, "result", {"result_text": "已清运"})
    assert act(client, staff_token(both), case_id, "check", {"passed": True}).json["status"] == "awaiting_close"
    own = act(client, staff_token(both), case_id, "approve-close", {})
    assert own.status_code == 403 and own.json["error"]["code"] == "OWN_CHECK"
    assert act(client, t["lead"], case_id, "approve-close", {}).json["status"] == "closed"  # another 值班长 may
