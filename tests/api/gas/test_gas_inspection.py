"""Gas inspection through the API: the register, plans and balanced assignment, the day list, the closed loop from
a failed item to a closed case, a leak's emergency case, refusals and no-shows, offline batches (twice, out of
order, one bad visit among good ones), reassignment conflicts, check-in distance, badges and cycles."""

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from api.cases.models import Case
from api.events.service import Actor
from api.gas import checklist, errors, users
from api.gas.models import GasAppliance, GasHazard, GasTask, GasUser, GasVisit
from api.identity.models import User
from api.notifications.models import StaffNotice
from api.timefmt import local, today
from tests.api.cases.conftest import act, after_photo
from tests.api.gas.conftest import HERE, gas_users_csv, new_id, passing, upload, visit
from tests.support import citizen_login, qr_text, staff_token

RESIDENTIAL_PIPELINE = [i.code for i in checklist.applicable("v1", "residential", "pipeline")]
CATERING_LPG = [i.code for i in checklist.applicable("v1", "catering", "lpg")]


def _plan(client, t) -> dict:
    answer = client.post("/gas/plans", json={"horizon_days": 0}, headers=t["boss"])
    assert answer.status_code == 200, answer.json
    return answer.json


def _tasks(client, token, **point) -> list[dict]:
    query = "&".join(f"{k}={v}" for k, v in point.items())
    return client.get(f"/gas/field/tasks?{query}", headers=token).json


def _all_to(client, gas, who="ins1") -> dict[str, dict]:
    """Plan, give every task to one inspector, and answer that inspector's day list by gas user number."""
    t = gas["t"]
    _plan(client, t)
    for task in gas["db"].scalars(sa.select(GasTask)):
        if task.inspector_id != gas["staff"][who].id:
            assert client.post(f"/gas/tasks/{task.id}/reassign", json={"inspector_id": gas["staff"][who].id,
                                                                        "reason": "集中安排"},
                               headers=t["boss"]).status_code == 200
    return {task["number"]: task for task in _tasks(client, t[who])}


def _sync(client, token, *visits) -> list[dict]:
    answer = client.post("/gas/field/visits", json={"visits": list(visits)}, headers=token)
    assert answer.status_code == 200, answer.json
    return answer.json["results"]


@pytest.fixture
def g(gas, db_session):
    gas["db"] = db_session
    return gas


def test_the_register_imports_all_or_nothing_and_sets_who_is_due(g, db_session):
    due = dict(db_session.execute(sa.select(GasUser.number, GasUser.next_due_on)).all())
    last = today() - timedelta(days=400)
    assert due["R0001"] == users.add_months(last, 12) and due["C0002"] == today() and due["N0004"] == today()
    assert due["R0003"] == users.add_months(today(), 12)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GasAppliance)) == 3
    bad = gas_users_csv(last.isoformat()).replace("G-0003", "G-9999").replace(",lpg,", ",coal,")
    with pytest.raises(errors.ImportRejected) as refused:
        users.import_users(bad, Actor.system(), today())
    assert [e["line"] for e in refused.value.details["errors"]] == [3, 4]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GasUser)) == 4
    assert users.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_plans_are_overdue_first_assigned_by_grid_with_balanced_loads_and_never_twice(client, g):
    t = g["t"]
    first = _plan(client, t)
    assert first["planned"] == 3 and first["assigned"] == {g["street"]: 3}  # R0003 was inspected today
    loads = {name: len(_tasks(client, t[name])) for name in ("ins1", "ins2")}
    assert sorted(loads.values()) == [1, 2]  # the grid's two users to one, the user with no grid to the other
    assert _plan(client, t)["planned"] == 0
    assert client.post("/gas/plans", json={}, headers=t["ins1"]).status_code == 403


def test_the_day_list_walks_from_where_the_inspector_stands(client, g):
    day = _all_to(client, g)
    start = {"lat": HERE[0] + 0.0009, "lon": HERE[1]}  # at the restaurant
    order = [task["number"] for task in _tasks(client, g["t"]["ins1"], **start)]
    assert order == ["C0002", "R0001", "N0004"]  # nearest first; the one with no point on the register last
    assert day["C0002"]["checklist"] == CATERING_LPG and "gas_alarm" in CATERING_LPG  # mandatory for catering
    assert "gas_alarm" not in RESIDENTIAL_PIPELINE and "lpg_cylinder" not in RESIDENTIAL_PIPELINE


def test_a_failed_item_becomes_a_hazard_and_a_case_that_closes_only_after_a_passed_reinspection(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    photo = upload(client, t["ins1"])
    signature = upload(client, t["ins1"], color=(250, 250, 250))
    answer = _sync(client, t["ins1"], visit(day["R0001"], "hazards",
                                            passing(RESIDENTIAL_PIPELINE, hose_age=photo),
                                            signature_photo_id=signature))
    assert answer[0]["status"] == "accepted"
    hazard = db_session.scalar(sa.select(GasHazard))
    assert (hazard.item_code, hazard.level, hazard.status) == ("hose_age", 2, "open")
    found_day = local(hazard.found_at).date()  # the visit's day in Beijing (not always today: midnight)
    assert hazard.deadline_on == found_day + timedelta(days=7)
    case = db_session.get(Case, hazard.case_id)
    assert (case.source, case.status, case.category_code) == ("gas_inspection", "awaiting_dispatch", "event:07-04")
    user = db_session.scalar(sa.select(GasUser).where(GasUser.number == "R0001"))
    assert user.last_inspected_on == found_day and user.next_due_on == users.add_months(found_day, 12)

    dispatched = act(client, t["dispatcher"], case.id, "dispatch", {"department_code": "sanitation"}).json
    assert dispatched["status"] == "dispatched"
    act(client, t["head"], case.id, "receive", {"handler_id": g["world"]["staff"]["handler"].id})
    after_photo(client, t["handler"], case.id)
    act(client, t["handler"], case.id, "result", {"result_text": "已更换为金属波纹管"})
    early = act(client, t["supervisor"], case.id, "check", {"passed": True})
    assert early.status_code == 409 and early.json["error"]["code"] == "CLOSE_CONDITION_UNMET"
    assert early.json["error"]["details"]["condition"] == "gas_reinspection_passed"

    recheck = {task["kind"]: task for task in _tasks(client, t["ins1"])}["reinspection"]
    assert recheck["hazard_id"] == hazard.id and recheck["due_on"] == hazard.deadline_on.isoformat()
    assert _sync(client, t["ins1"], visit(recheck, "passed", [{"code": "hose_age", "result": "pass"}],
                                          minutes_ago=5))[0]["status"] == "accepted"
    hazard = db_session.get(GasHazard, hazard.id)
    assert hazard.status == "rectified" and hazard.rectified_visit_id is not None
    closed = act(client, t["supervisor"], case.id, "check", {"passed": True}).json
    assert closed["status"] == "closed"


def test_a_failed_reinspection_keeps_the_hazard_open_with_a_new_deadline(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    photo = upload(client, t["ins1"])
    _sync(client, t["ins1"], visit(day["R0001"], "hazards", passing(RESIDENTIAL_PIPELINE, valve=photo)))
    recheck = {task["kind"]: task for task in _tasks(client, t["ins1"])}["reinspection"]
    again = upload(client, t["ins1"])
    assert _sync(client, t["ins1"], visit(recheck, "hazards", [{"code": "valve", "result": "fail",
                                                                "photo_id": again}], minutes_ago=5)
                 )[0]["status"] == "accepted"
    hazard = db_session.scalar(sa.select(GasHazard))
    assert hazard.status == "open"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GasTask).where(
        GasTask.kind == "reinspection", GasTask.status == "assigned")) == 1  # the next re-inspection


def test_a_leak_opens_an_emergency_case_and_tells_the_supervisors_and_the_command_centre(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    photo = upload(client, t["ins1"])
    _sync(client, t["ins1"], visit(day["C0002"], "hazards", passing(CATERING_LPG, leak=photo),
                                   at=(HERE[0] + 0.0009, HERE[1])))
    hazard = db_session.scalar(sa.select(GasHazard))
    case = db_session.get(Case, hazard.case_id)
    assert (hazard.level, case.priority, case.category_code) == (1, "emergency", "event:07-01")
    told = set(db_session.scalars(sa.select(StaffNotice.user_id).where(StaffNotice.kind == "gas_leak",
                                                                       StaffNotice.flagged)))
    assert {g["staff"]["boss"].id, g["staff"]["chief"].id, g["world"]["staff"]["command"].id} <= told


def test_three_no_shows_hand_the_task_to_the_supervisor_and_a_refusal_is_replanned(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    for n in range(3):
        assert _sync(client, t["ins1"], visit(day["N0004"], "nobody_home", minutes_ago=300 - n * 60)
                     )[0]["status"] == "accepted"
    task = db_session.get(GasTask, day["N0004"]["task_id"])
    assert (task.status, task.misses, task.inspector_id) == ("taken_over", 3, None)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StaffNotice).where(
        StaffNotice.kind == "gas_no_show", StaffNotice.user_id == g["staff"]["boss"].id)) == 1
    late = _sync(client, t["ins1"], visit(day["N0004"], "nobody_home", minutes_ago=10))[0]
    assert late["status"] == "conflict"
    needing = {x["id"]: x["status"] for x in client.get("/gas/tasks", headers=t["boss"]).json}
    assert needing[task.id] == "taken_over" and needing[day["R0001"]["task_id"]] == "assigned"  # and the overdue

    refused = _sync(client, t["ins1"], visit(day["R0001"], "refused", note="户主拒绝入户"))[0]
    assert refused["status"] == "accepted" and db_session.get(GasTask, day["R0001"]["task_id"]).status == "refused"
    assert _plan(client, t)["planned"] == 1  # still due: planned again


def test_batches_sent_twice_or_out_of_order_lose_nothing_and_one_bad_visit_spoils_nothing(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    earlier = visit(day["R0001"], "nobody_home", minutes_ago=240)
    later = visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE), minutes_ago=30)
    first = _sync(client, t["ins1"], later)  # the second batch arrives first
    second = _sync(client, t["ins1"], earlier)
    assert first[0]["status"] == "accepted" and second[0]["status"] == "accepted"
    task = db_session.get(GasTask, day["R0001"]["task_id"])
    assert task.status == "done" and task.misses == 0  # the no-show is history: it changes nothing now
    again = _sync(client, t["ins1"], later, earlier)
    assert [a["status"] for a in again] == ["duplicate", "duplicate"]
    assert [a["visit_id"] for a in again] == [first[0]["visit_id"], second[0]["visit_id"]]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GasVisit)) == 2

    broken = visit(day["C0002"], "passed", passing(CATERING_LPG), client_id="not-a-uuid")
    mismatch = visit(day["C0002"], "hazards", passing(CATERING_LPG))  # `hazards` without a failed item
    good = visit(day["C0002"], "passed", passing(CATERING_LPG), at=(HERE[0] + 0.0009, HERE[1]))
    mixed = _sync(client, t["ins1"], broken, mismatch, good, "not an object")
    assert [a["status"] for a in mixed] == ["rejected", "rejected", "accepted", "rejected"]
    assert mixed[0]["error"]["code"] == "VALIDATION_ERROR" and "client_id" in mixed[0]["error"]["details"]["fields"]
    assert mixed[1]["error"]["code"] == "GAS_OUTCOME_MISMATCH"


def test_a_visit_recorded_before_a_reassignment_is_kept_as_a_conflict(client, g, db_session):
    t = g["t"]
    _plan(client, t)
    mine = _tasks(client, t["ins1"])[0]
    other = g["staff"]["ins2"].id
    assert client.post(f"/gas/tasks/{mine['task_id']}/reassign", json={"inspector_id": other, "reason": "请假"},
                       headers=t["boss"]).json["version"] == mine["version"] + 1
    offline = visit(mine, "refused")
    answer = _sync(client, t["ins1"], offline)[0]
    assert answer["status"] == "conflict", answer and answer["state"] == "conflict"
    task = db_session.get(GasTask, mine["task_id"])
    assert (task.status, task.inspector_id) == ("assigned", other)  # nothing overwritten
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StaffNotice).where(
        StaffNotice.kind == "gas_visit_conflict", StaffNotice.flagged)) >= 1


def test_a_check_in_far_from_the_premises_needs_a_reason_and_is_flagged(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    away = (HERE[0] + 0.01, HERE[1])  # about 1.1 km north
    far = _sync(client, t["ins1"], visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE), at=away))[0]
    assert far["status"] == "rejected" and far["error"]["code"] == "GAS_CHECKIN_TOO_FAR"
    assert far["error"]["details"]["distance_m"] > 1000
    ok = _sync(client, t["ins1"], visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE), at=away,
                                        override_reason="定位漂移，已在门口"))[0]
    assert ok["status"] == "accepted"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StaffNotice).where(
        StaffNotice.kind == "gas_checkin_override", StaffNotice.user_id == g["staff"]["boss"].id)) == 1


def test_a_failed_item_needs_its_photo_uploaded_first_and_the_same_visit_can_be_sent_again(client, g):
    t, day = g["t"], _all_to(client, g)
    photo = new_id()
    pending = visit(day["R0001"], "hazards", passing(RESIDENTIAL_PIPELINE, meter=photo))
    first = _sync(client, t["ins1"], pending)[0]
    assert first["status"] == "rejected" and first["error"]["code"] == "GAS_PHOTO_NOT_UPLOADED"
    upload(client, t["ins1"], photo)
    assert upload(client, t["ins1"], photo) == photo  # uploading again changes nothing
    assert client.put(f"/gas/field/photos/{photo}", data={}, headers=t["ins2"],
                      content_type="multipart/form-data").status_code == 400
    assert _sync(client, t["ins1"], pending)[0]["status"] == "accepted"


def test_anyone_checks_a_badge_and_a_citizen_learns_whether_a_visit_is_booked_today(client, g, db_session, wechat):
    t, day = g["t"], _all_to(client, g)
    badge = client.get("/gas/field/badge", headers=t["ins1"]).json
    anonymous = client.get(f"/gas/badges/verify?p={badge['payload']}").json
    assert anonymous["genuine"] and anonymous["valid"] and anonymous["name"] == "安检员甲"
    assert anonymous["advice"] == ("证件有效。登录小程序并绑定燃气户号后扫码，可核对今天是否有到您家的安检任务。"
                                   "入户安检免费，安检员不收取任何费用、不推销产品；如有疑问请拨打燃气企业客服或110。")
    english = client.get(f"/gas/badges/verify?p={badge['payload']}", headers={"Accept-Language": "en"}).json
    assert english["advice"].startswith("The badge is valid.") and english["advice"].endswith(
        "Periodic inspection is free: inspectors charge nothing and sell nothing. If in doubt, call the gas "
        "company's service line or 110.")
    forged = badge["payload"][:-1] + ("0" if badge["payload"][-1] != "0" else "1")
    assert client.get(f"/gas/badges/verify?p={forged}").json == {
        "genuine": False, "valid": False, "status": "forged",
        "advice": client.get(f"/gas/badges/verify?p={forged}").json["advice"]}
    citizen = citizen_login(client, wechat, "o-gas-chen")
    wrong = client.post("/gas/my/bind", json={"number": "R0001", "check": "王五"}, headers=citizen)
    assert wrong.json["error"]["code"] == "GAS_BINDING_CHECK_FAILED"
    assert client.post("/gas/my/bind", json={"number": "M0001", "check": "0001"}, headers=citizen).status_code == 201
    db_session.execute(sa.update(GasTask).where(GasTask.id == day["R0001"]["task_id"]).values(due_on=today()))
    db_session.commit()
    booked = client.get(f"/gas/badges/verify?p={badge['payload']}", headers=citizen).json
    assert booked["visit_booked_today"] is True
    stranger = client.get("/gas/field/badge", headers=staff_token(g["staff"]["ins2"])).json["payload"]
    warned = client.get(f"/gas/badges/verify?p={stranger}", headers=citizen).json
    assert warned["valid"] and warned["visit_booked_today"] is False and "请核实后再开门" in warned["advice"]
    assert [v["number"] for v in client.get("/gas/my/visits", headers=citizen).json] == ["R0001"]
    db_session.execute(sa.update(User).where(User.id == g["staff"]["ins2"].id).values(is_active=False))
    db_session.commit()
    assert client.get(f"/gas/badges/verify?p={stranger}").json["valid"] is False


def test_a_district_wide_supervisor_changes_a_cycle_and_due_dates_follow(client, g, db_session):
    t = g["t"]
    street_only = client.put("/gas/cycles?user_type=residential", json={"months": 24, "source": "区里决定"},
                             headers=t["boss"])
    assert street_only.status_code == 403 and street_only.json["error"]["code"] == "DISTRICT_WIDE_ONLY"
    changed = client.put("/gas/cycles?user_type=residential", json={"months": 24, "source": "区燃气办通知"},
                         headers=t["chief"])
    assert changed.status_code == 200 and changed.json["months"] == 24
    user = db_session.scalar(sa.select(GasUser).where(GasUser.number == "R0001"))
    assert user.next_due_on == users.add_months(user.last_inspected_on, 24)
    assert {c["user_type"]: c["months"] for c in client.get("/gas/cycles", headers=t["ins1"]).json} == {
        "catering": 1, "non_residential": 6, "residential": 24}


def test_the_visit_record_and_the_rectification_notice_are_pdfs_for_those_who_may_see_them(client, g, db_session,
                                                                                          wechat):
    t, day = g["t"], _all_to(client, g)
    photo, signature = upload(client, t["ins1"]), upload(client, t["ins1"], color=(255, 255, 255))
    answer = _sync(client, t["ins1"], visit(day["R0001"], "hazards", passing(RESIDENTIAL_PIPELINE, hose_age=photo),
                                            signature_photo_id=signature, note="已当场告知用户"))[0]
    record = client.get(f"/gas/visits/{answer['visit_id']}/record", headers=t["ins1"])
    assert record.status_code == 200 and record.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(record.data)).pages[0].extract_text()
    for fact in ("燃气入户安全检查记录", "R0001", "云城东路1号101房", "发现隐患", "安检员甲", "不合格", "二级",
                 "免费"):
        assert fact in text, fact
    assert qr_text(record.data).startswith("http") and "/gas/badges/verify?p=" in qr_text(record.data)
    hazard = db_session.scalar(sa.select(GasHazard))
    notice = client.get(f"/gas/hazards/{hazard.id}/notice", headers=t["boss"])
    notice_text = PdfReader(io.BytesIO(notice.data)).pages[0].extract_text()
    assert "燃气安全隐患整改通知书" in notice_text and hazard.deadline_on.isoformat() in notice_text
    assert db_session.get(Case, hazard.case_id).case_no in notice_text
    stranger = citizen_login(client, wechat, "o-gas-stranger")
    assert client.get(f"/gas/hazards/{hazard.id}/notice", headers=stranger).json["error"]["code"] == \
        "GAS_DOCUMENT_NOT_FOUND"
    assert client.get(f"/gas/visits/{answer['visit_id']}/record", headers=t["ins2"]).status_code == 404
    client.post("/gas/my/bind", json={"number": "R0001", "check": "陈一"}, headers=stranger)
    assert client.get(f"/gas/visits/{answer['visit_id']}/record", headers=stranger).status_code == 200


def test_statistics_count_coverage_refusals_no_shows_and_hazards_and_export_them(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    photo = upload(client, t["ins1"])
    _sync(client, t["ins1"],
          visit(day["R0001"], "hazards", passing(RESIDENTIAL_PIPELINE, hose_age=photo)),
          visit(day["C0002"], "refused", at=(HERE[0] + 0.0009, HERE[1])),
          visit(day["N0004"], "nobody_home"))
    month = today().strftime("%Y-%m")
    first = (today() - timedelta(days=40)).strftime("%Y-%m")
    rows = client.get(f"/gas/reports/coverage?month_from={first}&month_to={month}", headers=t["boss"]).json
    assert [(r["due"], r["inspected"], r["refused"], r["no_show"], r["coverage"], r["refusal_rate"]) for r in rows] \
        == [(3, 1, 1, 1, "33.33%", "33.33%")]
    by_inspector = client.get(f"/gas/reports/coverage?month_from={first}&month_to={month}&group_by=inspector",
                              headers=t["chief"]).json
    assert [(r["group"], r["due"]) for r in by_inspector] == [("安检员甲", 3)]
    days = f"day_from={today() - timedelta(days=1)}&day_to={today()}"  # the visit finished 30 minutes ago
    found = client.get(f"/gas/reports/hazards?{days}", headers=t["boss"]).json
    assert [(r["group"], r["level"], r["found"], r["rectified"], r["rectification_rate"]) for r in found] == [
        ("hose_age", 2, 1, 0, "0.00%")]
    sheet = client.get(f"/gas/reports/hazards?{days}&format=csv", headers=t["boss"])
    table = list(csv.reader(io.StringIO(sheet.data.decode("utf-8-sig"))))
    assert table[0] == ["检查项目", "隐患等级", "发现隐患数", "已整改", "整改率", "平均整改天数"]
    assert table[1][1:5] == ["二级", "1", "0", "0.00%"]
    english = client.get(f"/gas/reports/hazards?{days}&format=xlsx", headers={**t["boss"], "Accept-Language": "en"})
    book = load_workbook(io.BytesIO(english.data)).active
    assert book.title == "Hazards" and [c.value for c in book[1]] == [
        "Checklist item", "Hazard level", "Hazards found", "Rectified", "Rectification rate", "Mean days to rectify"]
    assert [c.value for c in book[2]][1:4] == ["Level 2", 1, 0] and book.cell(row=3, column=1).value == "Total"
    unassigned = client.get(f"/gas/reports/coverage?month_from={first}&month_to={month}&group_by=inspector&format=csv",
                            headers={**t["chief"], "Accept-Language": "en"}).data.decode("utf-8-sig").splitlines()
    assert unassigned[0].startswith("Street/town,Inspector,Due,Inspected,Coverage,")
    opened = client.get("/gas/hazards", headers=t["boss"]).json
    assert [(h["number"], h["level"], h["overdue"]) for h in opened] == [("R0001", 2, False)]
    backwards = client.get(f"/gas/reports/coverage?month_from={month}&month_to={first}", headers=t["boss"])
    assert backwards.status_code == 422 and backwards.json["error"]["code"] == "GAS_RANGE_INVALID"
    assert client.get(f"/gas/reports/coverage?month_from={first}&month_to={month}", headers=t["ins1"]
                      ).status_code == 403


def test_a_resident_books_a_slot_is_told_the_day_before_and_rates_the_visit(client, g, db_session, wechat,
                                                                             mock_server):
    from api.config import get_config
    from api.gas import residents
    from api.notifications.models import Notification

    t, day = g["t"], _all_to(client, g)
    citizen = citizen_login(client, wechat, "o-gas-booker")
    assert client.post("/gas/my/bind", json={"number": "R0001", "check": "陈一"}, headers=citizen).status_code == 201
    task_id = day["R0001"]["task_id"]
    tomorrow = today() + timedelta(days=1)
    too_late = client.put(f"/gas/my/visits/{task_id}/booking", json={"day": str(today() + timedelta(days=90)),
                                                                      "slot": "am"}, headers=citizen)
    assert too_late.json["error"]["code"] == "GAS_BOOKING_DAY_INVALID"
    other = client.put(f"/gas/my/visits/{day['C0002']['task_id']}/booking", json={"day": str(tomorrow), "slot": "am"},
                       headers=citizen)
    assert other.json["error"]["code"] == "GAS_TASK_NOT_FOUND"  # not a gas user this citizen bound
    booked = client.put(f"/gas/my/visits/{task_id}/booking", json={"day": str(tomorrow), "slot": "pm"},
                        headers=citizen).json
    assert (booked["booked_for"], booked["booked_slot"]) == (str(tomorrow), "pm")
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StaffNotice).where(
        StaffNotice.kind == "gas_booking", StaffNotice.user_id == g["staff"]["ins1"].id)) == 1

    assert residents.notices(today()) == 1  # the booked visit, the day before; nobody else bound anything
    assert residents.notices(today()) == 0  # once
    sent = db_session.scalar(sa.select(Notification).where(Notification.template_id == get_config().TEMPLATE_GAS_VISIT))
    assert sent.data["character_string1"]["value"] == "R0001" and "免费" in sent.data["thing5"]["value"]

    _sync(client, t["ins1"], visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE)))
    visit_id = db_session.scalar(sa.select(GasVisit.id).where(GasVisit.task_id == task_id))
    rated = client.post(f"/gas/my/visits/{visit_id}/rating", json={"score": 5, "comment": "准时、出示证件"},
                        headers=citizen)
    assert rated.status_code == 201 and rated.json["score"] == 5
    again = client.post(f"/gas/my/visits/{visit_id}/rating", json={"score": 1}, headers=citizen)
    assert again.status_code == 409 and again.json["error"]["code"] == "GAS_VISIT_ALREADY_RATED"


def test_a_premises_with_no_point_takes_any_check_in_and_a_needless_reason_flags_nothing(client, g, db_session):
    t, day = g["t"], _all_to(client, g)
    answer = _sync(client, t["ins1"], visit(day["N0004"], "passed", passing(
        [i.code for i in checklist.applicable("v1", "non_residential", "pipeline")]), at=(23.3, 113.4),
        override_reason="登记册无坐标"))[0]
    assert answer["status"] == "accepted"
    assert db_session.get(GasVisit, answer["visit_id"]).distance_m is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StaffNotice).where(
        StaffNotice.kind == "gas_checkin_override")) == 0


def test_a_resident_is_told_of_a_visit_coming_up_never_of_a_due_date_already_past(client, g, db_session, wechat):
    from api.gas import residents

    _all_to(client, g)
    citizen = citizen_login(client, wechat, "o-gas-overdue")
    assert client.post("/gas/my/bind", json={"number": "R0001", "check": "陈一"}, headers=citizen).status_code == 201
    task = db_session.scalar(sa.select(GasTask).join(GasUser, GasUser.id == GasTask.gas_user_id)
                             .where(GasUser.number == "R0001"))
    task.due_on, task.booked_for = today() - timedelta(days=30), None  # overdue, not booked
    db_session.commit()
    assert residents.notices(today()) == 0
    task.due_on = today() + timedelta(days=2)
    db_session.commit()
    assert residents.notices(today()) == 1
