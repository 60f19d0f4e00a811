"""The case engine through its HTTP desks: every step, scope, deadlines, escalation, bad input.

The `world` fixture and the helpers are in conftest.py."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from api.calendar import service as calendar
from api.cases import deadlines
from api.cases.models import Case
from api.db import utcnow
from api.events.models import Event
from api.notifications.models import StaffNotice
from api.timefmt import local
from tests.api.cases.conftest import _in_unit, _scan_overdue, act, after_photo, new_case
from tests.support import citizen_login, jpeg, submit_new_report


def test_a_case_goes_through_every_desk(client, world, db_session):
    t = world["t"]
    report_id, case_id = new_case(client, t)
    assert act(client, t["clerk"], case_id, "accept").json["status"] == "awaiting_dispatch"
    assert client.get("/cases?desk=dispatch", headers=t["dispatcher"]).json["total"] == 1
    dispatched = act(client, t["dispatcher"], case_id, "dispatch").json
    assert dispatched["status"] == "dispatched" and dispatched["work_orders"][0]["routing_basis"] == "district_rule"
    assert dispatched["deadline_at"] and dispatched["remaining_seconds"] > 0
    assert client.get("/me/inbox/unread-count", headers=t["handler"]).json["unread"] == 1
    department_desk = client.get("/cases?desk=department", headers=t["head"]).json
    assert department_desk["total"] == 1 and department_desk["items"][0]["remaining_seconds"] > 0
    assert client.get("/cases?desk=department", headers=t["other_handler"]).json["total"] == 0
    assert act(client, t["other_handler"], case_id, "receive").status_code == 403
    assert act(client, t["head"], case_id, "receive", {"handler_id": world["staff"]["handler"].id}).json[
        "handler_id"] == world["staff"]["handler"].id
    assert client.get("/cases?desk=mine", headers=t["handler"]).json["total"] == 1
    missing_photo = act(client, t["handler"], case_id, "result", {"result_text": "已清运"})
    assert missing_photo.status_code == 400 and missing_photo.json["error"]["code"] == "AFTER_PHOTO_REQUIRED"
    assert after_photo(client, t["handler"], case_id).status_code == 201
    assert act(client, t["handler"], case_id, "result", {"result_text": "已清运"}).json["status"] == "awaiting_check"
    failed = act(client, t["supervisor"], case_id, "check", {"passed": False, "note": "仍有残留"}).json
    assert failed["status"] == "in_progress" and failed["rework_count"] == 1
    # the first round's after-photo does not count again: each result needs its own
    reused = act(client, t["handler"], case_id, "result", {"result_text": "已彻底清理"})
    assert reused.status_code == 400 and reused.json["error"]["code"] == "AFTER_PHOTO_REQUIRED"
    assert after_photo(client, t["handler"], case_id).json["round"] == 2
    act(client, t["handler"], case_id, "result", {"result_text": "已彻底清理"})
    closed = act(client, t["supervisor"], case_id, "check", {"passed": True}).json
    assert closed["status"] == "closed" and closed["closed_at"]

    seen = client.get(f"/reports/{report_id}", headers=t["alice"]).json
    assert seen["status"] == "resolved" and seen["result"]["text"] == "已彻底清理"
    assert len(seen["result"]["photos"]) == 1
    assert [e["action"] for e in seen["timeline"]] == ["created", "submit", "accept", "dispatch", "check_pass"]
    rating = client.post(f"/reports/{report_id}/rating", json={"score": 5, "comment": "很快"}, headers=t["alice"])
    assert rating.status_code == 201
    again = client.post(f"/reports/{report_id}/rating", json={"score": 1}, headers=t["alice"])
    assert again.json["error"]["code"] == "ALREADY_RATED"
    reopened = client.post(f"/reports/{report_id}/reopen", json={"reason": "又堆起来了"}, headers=t["alice"])
    assert reopened.json["status"] == "accepted"
    assert db_session.get(Case, case_id).status == "awaiting_dispatch"


def test_return_goes_back_to_dispatch_with_the_reason(client, world):
    t = world["t"]
    _, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    no_code = act(client, t["head"], case_id, "return", {"reason": "不属于本单位"})
    assert no_code.status_code == 400
    back = act(client, t["head"], case_id, "return", {"reason_code": "not_our_responsibility", "reason": "属园林"}).json
    assert back["status"] == "awaiting_dispatch" and back["department_id"] is None
    assert back["work_orders"][0]["status"] == "returned"
    redispatched = act(client, t["dispatcher"], case_id, "dispatch", {"department_code": "greening"}).json
    assert [w["routing_basis"] for w in redispatched["work_orders"]] == ["district_rule", "manual"]


def test_defer_resume_extend(client, world):
    t = world["t"]
    _, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    assert act(client, t["dispatcher"], case_id, "defer", {"reason": "等待产权单位"}).json["status"] == "deferred"
    assert act(client, t["dispatcher"], case_id, "resume").json["status"] == "dispatched"
    until = (utcnow() + timedelta(days=10)).isoformat()
    asked = act(client, t["head"], case_id, "extension-request", {"until": until, "reason": "需采购配件"})
    assert asked.status_code == 200 and asked.json["extension_count"] == 0
    extended = act(client, t["dispatcher"], case_id, "extend", {"until": until, "reason": "同意延期"}).json
    assert extended["extension_count"] == 1
    assert extended["deadline_at"][:16] == local(datetime.fromisoformat(until)).isoformat()[:16]


def test_deadline_follows_the_category_clock(client, world, db_session, monkeypatch):
    """暴露垃圾 has one working day (8 working hours, 08:00–12:00 and 14:00–18:00): dispatched on Friday
    2026-12-04 at 16:30 Beijing time, 1.5 h are left that day and 6.5 h on Monday: due Monday 16:30."""
    from api.cases import handling

    t = world["t"]
    _, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    monkeypatch.setattr(handling, "utcnow", lambda: datetime(2026, 12, 4, 8, 30, tzinfo=UTC))  # 16:30 in Shanghai
    act(client, t["dispatcher"], case_id, "dispatch")
    case = db_session.get(Case, case_id)
    assert case.deadline_at == datetime(2026, 12, 7, 8, 30, tzinfo=UTC) and case.deadline_provisional is False


def test_overdue_cases_escalate_to_the_head_then_the_command_centre(client, world, db_session):
    t = world["t"]
    _, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    case = db_session.get(Case, case_id)
    case.dispatched_at, case.deadline_at = utcnow() - timedelta(hours=10), utcnow() - timedelta(hours=1)
    db_session.commit()
    assert client.get("/cases?desk=overdue", headers=t["command"]).json["total"] == 1
    assert _scan_overdue() == 1 and _scan_overdue() == 0
    assert db_session.get(Case, case_id).escalation_level == 1
    assert client.get("/me/inbox", headers=t["head"]).json["items"][0]["kind"] == "escalated"
    assert _scan_overdue(utcnow() + timedelta(hours=10)) == 1
    assert client.get("/me/inbox", headers=t["command"]).json["items"][0]["kind"] == "escalated"
    levels = db_session.scalars(sa.select(Event.payload).where(Event.subject_id == case_id,
                                                               Event.action == "escalated")).all()
    assert [p["level"] for p in levels] == [1, 2]


def test_merge_moves_the_reporters_and_counts_supporters(client, world, db_session, wechat):
    t = world["t"]
    first_report, master = new_case(client, t)
    bob = citizen_login(client, wechat, "o-engine-bob")
    report_id = submit_new_report(client, bob, "同一处垃圾")
    duplicate = [c["id"] for c in client.get("/cases?desk=intake", headers=t["clerk"]).json["items"]
                 if c["id"] != master][0]
    merged = act(client, t["clerk"], duplicate, "merge", {"into_case_id": master}).json
    assert merged["id"] == master and merged["supporters"] == 1 and merged["report_ids"] == [first_report, report_id]
    assert act(client, t["clerk"], master, "merge", {"into_case_id": master}).status_code == 400
    assert client.get(f"/reports/{report_id}", headers=bob).json["case_no"] == merged["case_no"]
    left = client.post(f"/reports/{report_id}/withdraw", json={}, headers=bob).json  # leaves; the case stays
    assert left["status"] == "withdrawn"
    assert client.get(f"/cases/{master}", headers=t["clerk"]).json["report_ids"] == [first_report]
    act(client, t["clerk"], master, "accept")
    late = client.post(f"/reports/{first_report}/withdraw", json={}, headers=t["alice"])
    assert late.status_code == 409 and late.json["error"]["code"] == "ILLEGAL_TRANSITION"


def test_many_reporters_make_a_case_urgent(client, world, db_session, wechat):
    t = world["t"]
    _, master = new_case(client, t)
    for n in range(3):
        citizen = citizen_login(client, wechat, f"o-crowd-{n}")
        submit_new_report(client, citizen, "同一处垃圾")
        duplicate = [c["id"] for c in client.get("/cases?desk=intake", headers=t["clerk"]).json["items"]
                     if c["id"] != master][0]
        merged = act(client, t["clerk"], duplicate, "merge", {"into_case_id": master}).json
    assert merged["supporters"] == 3 and merged["priority"] == "urgent"


def test_classes_that_need_verification_go_to_the_nearest_supervisor(client, world, db_session):
    from api.identity import field
    from api.identity.models import User

    t = world["t"]
    field.report_position(db_session.get(User, world["staff"]["supervisor"].id), 23.165, 113.2575, True)
    _, case_id = new_case(client, t, hint="illegal_construction")
    case = db_session.get(Case, case_id)
    assert case.status == "verifying"
    notice = db_session.scalar(sa.select(StaffNotice).where(StaffNotice.subject_id == case_id,
                                                            StaffNotice.kind == "verification_task"))
    assert notice.user_id == world["staff"]["supervisor"].id and notice.kind == "verification_task"
    done = act(client, t["supervisor"], case_id, "verification", {"confirmed": True, "note": "属实"}).json
    assert done["status"] == "pending"


@pytest.mark.parametrize("who, action, body, status, code", [
    ("handler", "accept", {}, 403, "ROLE_NOT_ALLOWED"),
    ("clerk", "dispatch", {}, 403, "ROLE_NOT_ALLOWED"),
    ("dispatcher", "dispatch", {}, 409, "ILLEGAL_TRANSITION"),
    ("clerk", "refuse", {"reason": ""}, 400, "VALIDATION_ERROR"),
    ("clerk", "accept", {"category_code": "event:09-09"}, 404, "CATEGORY_NOT_FOUND"),
    ("alice", "accept", {}, 403, "ROLE_NOT_ALLOWED"),
])
def test_bad_actions_are_refused(client, world, who, action, body, status, code):
    t = world["t"]
    _, case_id = new_case(client, t)
    response = act(client, t[who], case_id, action, body)
    assert response.status_code == status and response.json["error"]["code"] == code


def test_unknown_cases_and_uncategorised_acceptance(client, world, db_session):
    t = world["t"]
    assert act(client, t["clerk"], 999_999, "accept").json["error"]["code"] == "CASE_NOT_FOUND"
    _, case_id = new_case(client, t, hint="other")
    assert act(client, t["clerk"], case_id, "accept").json["error"]["code"] == "CATEGORY_REQUIRED"
    assert act(client, t["clerk"], case_id, "accept", {"category_code": "event:05-01"}).json["status"] == \
        "awaiting_dispatch"
    assert act(client, t["dispatcher"], case_id, "dispatch").json["work_orders"][0]["routing_basis"] == "territorial"


def test_reopen_window_is_seven_days(client, world, db_session):
    t = world["t"]
    report_id, case_id = new_case(client, t)
    case = db_session.get(Case, case_id)
    case.status, case.closed_at = "closed", utcnow() - timedelta(days=8)
    db_session.commit()
    late = client.post(f"/reports/{report_id}/reopen", json={"reason": "又堆起来了"}, headers=t["alice"])
    assert late.status_code == 409 and late.json["error"]["code"] == "REOPEN_WINDOW_PASSED"
    early = client.post(f"/reports/{report_id}/rating", json={"score": 9}, headers=t["alice"])
    assert early.status_code == 400


def test_patrol_reports_are_accepted_on_creation(client, world):
    t = world["t"]
    body = {"description": "人行道井盖缺失", "lat": 23.1625, "lon": 113.2628, "category_code": "component:01-01"}
    created = client.post("/cases/patrol", json=body, headers=t["supervisor"])
    assert created.status_code == 201
    case = created.json
    assert (case["source"], case["status"], case["priority"]) == ("patrol", "awaiting_dispatch", "urgent")
    photo = client.post(f"/cases/{case['id']}/photos?kind=report_photo", data={"photo": (io.BytesIO(jpeg()), "p.jpg")},
                        headers=t["supervisor"], content_type="multipart/form-data")
    assert photo.status_code == 201
    assert client.post("/cases/patrol", json=body, headers=t["clerk"]).status_code == 403
    outside = client.post("/cases/patrol", json={**body, "lat": 22.54, "lon": 114.05}, headers=t["supervisor"])
    assert outside.json["error"]["code"] == "LOCATION_OUTSIDE_DISTRICT"


def test_hotline_transfers_keep_their_ticket_and_get_an_answer(client, world):
    t = world["t"]
    body = {"description": "市民来电反映噪音", "lat": 23.1625, "lon": 113.2628, "external_ticket_no": "GZ12345-0001"}
    case = client.post("/cases/hotline", json=body, headers=t["clerk"]).json
    assert (case["source"], case["status"], case["external_ticket_no"]) == ("hotline", "pending", "GZ12345-0001")
    assert case["hotline_answer"] is None
    refused = act(client, t["clerk"], case["id"], "refuse", {"reason": "属环保部门职责，已转办"}).json
    assert refused["hotline_answer"]["outcome"] == "refused"
    assert refused["hotline_answer"]["result"] == "属环保部门职责，已转办"


def test_provisional_deadlines_are_recomputed_when_the_year_arrives(client, world, db_session):
    t = world["t"]
    _, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    case = db_session.get(Case, case_id)
    case.dispatched_at = datetime(2026, 12, 31, 9, tzinfo=local(utcnow()).tzinfo)  # 1 working day runs into 2027
    case.deadline_provisional = True
    db_session.commit()
    calendar.import_years("date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n", "test notice")
    assert _in_unit(deadlines.recompute_provisional_deadlines) == 1
    case = db_session.get(Case, case_id)
    assert case.deadline_provisional is False
    # 12-31 09–12 and 14–18 (7 h), then 1/1 (now a holiday) to 1/3 skipped, Mon 1/4 08–09: 8 working hours
    assert local(case.deadline_at).isoformat()[:16] == "2027-01-04T09:00"


def test_an_oversized_case_photo_gets_the_photo_code(client, world):
    t = world["t"]
    _, case_id = new_case(client, t)
    huge = client.post(f"/cases/{case_id}/photos?kind=verification_photo",
                       data={"photo": (io.BytesIO(b"\xff\xd8" + b"\0" * (11 * 1024 * 1024)), "big.jpg")},
                       headers=t["supervisor"], content_type="multipart/form-data")
    assert huge.status_code == 413 and huge.json["error"]["code"] == "PHOTO_TOO_LARGE"


def test_progress_messages_name_the_category_staff_filed_not_the_citizens_hint(client, world, db_session):
    from api.notifications.models import Notification
    from api.notifications.templates import REPORT_PROGRESS_KEYS

    t = world["t"]
    report_id, case_id = new_case(client, t, hint="other")
    act(client, t["clerk"], case_id, "accept", {"category_code": "event:05-01"})  # 其他 → 店外经营 (a 小类)
    messages = db_session.scalars(sa.select(Notification).where(Notification.subject_id == report_id)
                                  .order_by(Notification.id)).all()
    titles = [m.data[REPORT_PROGRESS_KEYS[1]]["value"] for m in messages]
    assert titles[0] == "其他" and len(titles) >= 2  # received: not placed yet, the citizen's own hint
    filed = db_session.get(Case, case_id)
    from api.taxonomy.models import Category

    assert titles[-1] == db_session.get(Category, filed.category_id).name != "其他"


def test_staff_find_a_case_by_its_number_on_every_desk(client, world, db_session):
    from api.cases.queries import DESKS

    t = world["t"]
    _, case_id = new_case(client, t)
    _, other_id = new_case(client, t)
    number = db_session.get(Case, case_id).case_no
    found = client.get(f"/cases?desk=intake&case_no={number.lower()}", headers=t["command"]).json
    assert [row["id"] for row in found["items"]] == [case_id] and found["items"][0]["case_no"] == number
    for desk in set(DESKS) - {"intake", "triage"}:  # a number is a filter like the others: its desk shows it
        assert client.get(f"/cases?desk={desk}&case_no={number}", headers=t["command"]).json["items"] == []
    wrong_day = number[:2] + "19991231" + number[10:]
    assert client.get(f"/cases?desk=intake&case_no={wrong_day}", headers=t["command"]).json["items"] == []
    not_a_date = number[:2] + "20261399" + number[10:]
    assert client.get(f"/cases?desk=intake&case_no={not_a_date}", headers=t["command"]).json["items"] == []
    bad = client.get("/cases?desk=intake&case_no=BY2026", headers=t["command"])
    assert bad.status_code == 400 and bad.json["error"]["code"] == "VALIDATION_ERROR"
    assert other_id != case_id
