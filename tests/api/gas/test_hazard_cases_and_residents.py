"""Gas hazards as cases that carry their evidence and go to the gas office (a leak dispatched at once and the gas
company's repair line alerted), residents' visits and ratings, the documents' numbers, and badges (photo, expiry,
revocation, the page a phone opens, ids beyond 64 bits)."""

import dataclasses
import io
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from api.cases.models import Case
from api.config import get_config, init_config
from api.events.models import Event
from api.gas import alerts, badges, checklist
from api.gas.models import GasBadge, GasHazard, GasVisit
from api.identity.models import User
from api.notifications.models import StaffNotice
from api.outbox.models import OutboxJob
from api.routing import service as routing
from api.timefmt import local, today
from tests.api.gas.conftest import HERE, passing, upload, visit
from tests.api.gas.test_gas_inspection import CATERING_LPG, RESIDENTIAL_PIPELINE, _all_to, _sync, _tasks
from tests.support import citizen_login, jpeg, staff_token

KEY = "gas-repair-test-key-" + "k" * 20
RESTAURANT = (HERE[0] + 0.0009, HERE[1])


@pytest.fixture
def g(gas, db_session):
    gas["db"] = db_session
    return gas


class RepairLine(ThreadingHTTPServer):
    """A stand-in for the gas company's 24-hour repair platform: records what it receives, answers `status`."""

    def __init__(self):
        self.received, self.status = [], 200
        line = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                line.received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(line.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def repair_line(config):
    server = RepairLine()
    init_config(dataclasses.replace(config, GAS_REPAIR_ALERT_URL=f"http://127.0.0.1:{server.server_address[1]}/a",
                                    GAS_REPAIR_SIGNING_KEY=KEY, GAS_REPAIR_CONTACT="燃气集团抢修 96000"))
    yield server
    server.shutdown()


def _hazard_visit(client, g, number="R0001", failed=("hose_age",)) -> dict:
    """A periodic visit at R0001 (or the restaurant C0002) that fails `failed`, each with its photo."""
    day = _all_to(client, g)
    codes, at = (CATERING_LPG, RESTAURANT) if number == "C0002" else (RESIDENTIAL_PIPELINE, HERE)
    photos = {code: upload(client, g["t"]["ins1"]) for code in failed}
    answer = _sync(client, g["t"]["ins1"], visit(day[number], "hazards", passing(codes, **photos), at=at))
    assert answer[0]["status"] == "accepted", answer
    return answer[0]


def test_a_hazard_case_shows_the_inspectors_photo_and_the_lists_count_it(client, g, db_session):
    t = g["t"]
    _hazard_visit(client, g)
    hazard = db_session.scalar(sa.select(GasHazard))
    detail = client.get(f"/cases/{hazard.case_id}", headers=t["dispatcher"]).json
    assert detail["photo_count"] == 1
    (photo,) = detail["photos"]
    assert (photo["kind"], photo["uploader_type"], photo["uploader_name"]) == ("gas_photo", "staff", "安检员甲")
    assert client.get(photo["urls"]["thumb"].replace("http://localhost", "")).status_code == 200  # signed, served
    desk = client.get("/cases?desk=dispatch", headers=t["dispatcher"]).json["items"]
    assert [(c["id"], c["photo_count"], c["thumbnail_url"] is not None) for c in desk] == [(hazard.case_id, 1, True)]

    recheck = {task["kind"]: task for task in _tasks(client, t["ins1"])}["reinspection"]
    again = upload(client, t["ins1"], color=(10, 10, 200))
    _sync(client, t["ins1"], visit(recheck, "hazards", [{"code": "hose_age", "result": "fail", "photo_id": again}],
                                   minutes_ago=5))
    assert client.get(f"/cases/{hazard.case_id}", headers=t["dispatcher"]).json["photo_count"] == 2


def test_a_hazard_is_filed_under_its_items_gas_class_and_the_list_sends_it_to_the_gas_office(client, g, db_session):
    t = g["t"]
    _hazard_visit(client, g, failed=("valve",))
    case = db_session.get(Case, db_session.scalar(sa.select(GasHazard.case_id)))
    item = checklist.load("v1")["valve"]
    assert case.category_code == item.category == "event:07-07"
    assert {i.category for i in checklist.load("v1").values()} <= {
        c for c, in db_session.execute(sa.text("SELECT code FROM categories WHERE major_name = '燃气安全'"))}
    owner = routing.responsible(case.category_code, case.street_code)
    assert (owner.department.code, owner.department.name, owner.basis) == ("gas", "区燃气管理办公室", "district_rule")
    dispatched = client.post(f"/cases/{case.id}/dispatch", json={}, headers=t["dispatcher"]).json
    assert (dispatched["status"], dispatched["department_name"]) == ("dispatched", "区燃气管理办公室")


def test_an_item_without_a_loaded_gas_class_falls_back_to_the_configured_category(g):
    from api.gas import hazards

    valve, leak = checklist.load("v1")["valve"], checklist.load("v1")["leak"]
    assert hazards.category_of(valve).code == "event:07-07"
    assert hazards.category_of(dataclasses.replace(valve, category="")).code == "event:04-99"
    assert hazards.category_of(dataclasses.replace(leak, category="event:07-99")).code == "event:04-03"


def _send(hazard_id: int) -> str:
    """What workers.gas.alert_gas_repair does, inside the test's transaction: read, POST, record."""
    prepared = alerts.prepare(hazard_id)
    return "already sent" if prepared is None else alerts.mark_sent(hazard_id, alerts.post(*prepared))


def test_a_leak_is_dispatched_at_once_and_the_repair_line_is_alerted_with_the_measures(client, g, db_session,
                                                                                        repair_line):
    t, day = g["t"], _all_to(client, g)
    photo = upload(client, t["ins1"])
    leak = visit(day["C0002"], "hazards", passing(CATERING_LPG, leak=photo), at=RESTAURANT,
                 measures=["shut_valve", "evacuate"], note="表前阀门处检出泄漏")
    assert _sync(client, t["ins1"], leak)[0]["status"] == "accepted"
    hazard = db_session.scalar(sa.select(GasHazard))
    case = db_session.get(Case, hazard.case_id)
    assert (case.status, case.priority, case.category_code) == ("dispatched", "emergency", "event:07-01")
    dispatch = db_session.scalar(sa.select(Event).where(Event.subject_id == case.id, Event.subject_type == "case",
                                                        Event.action == "dispatch"))
    assert dispatch.actor_type == "system"
    assert case.id not in [c["id"] for c in client.get("/cases?desk=dispatch", headers=t["dispatcher"]).json["items"]]
    detail = client.get(f"/cases/{case.id}", headers=t["dispatcher"]).json
    assert (detail["department_name"], detail["photo_count"]) == ("区燃气管理办公室", 1)  # with the leak's photo
    notice = db_session.scalar(sa.select(StaffNotice).where(StaffNotice.kind == "gas_leak",
                                                             StaffNotice.user_id == g["staff"]["boss"].id))
    assert all(fact in notice.message for fact in ("区燃气管理办公室", "关阀、疏散", "已通知燃气企业抢修"))
    job = db_session.scalar(sa.select(OutboxJob).where(OutboxJob.func == "workers.gas.alert_gas_repair"))
    assert job.args == [hazard.id] and job.retries == 5 and hazard.repair_alert == "pending"

    assert _send(hazard.id) == "sent" and _send(hazard.id) == "already sent"  # the job, twice
    assert alerts.mark_sent(hazard.id, 200) == "already sent"  # a run that POSTed too records nothing more
    ((headers, body),) = repair_line.received
    assert headers["X-Signature"] == alerts.hmac.new(KEY.encode(), headers["X-Timestamp"].encode() + b"." + body,
                                                     alerts.hashlib.sha256).hexdigest()
    sent = json.loads(body)
    assert sent["alert_id"] == headers["X-Alert-Id"] == f"gas-leak-{hazard.id}"  # the company drops a repeat by it
    assert (sent["kind"], sent["case_no"], sent["gas_user"], sent["call_back"]) == (
        "gas_leak", case.case_no, "C0002", "燃气集团抢修 96000")
    assert [m["name"] for m in sent["measures"]] == ["关阀", "疏散"] and sent["note"] == "表前阀门处检出泄漏"
    assert db_session.get(GasHazard, hazard.id).repair_alert == "sent"


def test_a_repair_alert_that_never_arrives_ends_failed_and_the_staff_are_told_to_phone(client, g, db_session,
                                                                                      repair_line):
    repair_line.status = 503
    _hazard_visit(client, g, "C0002", failed=("leak",))
    hazard = db_session.scalar(sa.select(GasHazard))
    with pytest.raises(alerts.RepairLineError):
        _send(hazard.id)
    alerts.give_up(hazard.id, "RepairLineError: HTTP 503")  # what the job's last failure runs
    assert db_session.get(GasHazard, hazard.id).repair_alert == "failed"
    told = db_session.scalars(sa.select(StaffNotice).where(StaffNotice.kind == "gas_repair_alert_failed")).all()
    assert {n.user_id for n in told} >= {g["staff"]["boss"].id, g["world"]["staff"]["command"].id}
    assert all(n.flagged and "燃气集团抢修 96000" in n.message for n in told)
    assert db_session.get(Case, hazard.case_id).status == "dispatched"  # the leak's case went out regardless


def test_without_a_repair_line_no_alert_is_queued_and_the_notice_says_whom_to_phone(client, g, db_session):
    init_config(dataclasses.replace(get_config(), GAS_REPAIR_CONTACT="燃气集团抢修 96000"))
    _hazard_visit(client, g, "C0002", failed=("leak",))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboxJob).where(
        OutboxJob.func == "workers.gas.alert_gas_repair")) == 0
    notice = db_session.scalar(sa.select(StaffNotice).where(StaffNotice.kind == "gas_leak"))
    assert "请立即电话通知燃气集团抢修 96000" in notice.message


def test_a_resident_lists_planned_and_made_visits_with_links_and_rates_with_a_score(client, g, db_session, wechat):
    citizen = citizen_login(client, wechat, "o-gas-resident")
    assert client.post("/gas/my/bind", json={"number": "R0001", "check": "陈一"}, headers=citizen).status_code == 201
    before = client.get("/gas/my/visits", headers=citizen).json
    assert before == []  # nothing planned yet
    made = _hazard_visit(client, g)
    rows = client.get("/gas/my/visits", headers=citizen).json
    assert [(r["state"], r["kind"]) for r in rows] == [("planned", "reinspection"), ("visited", "periodic")]
    planned, done = rows
    assert planned["visit_id"] is None and planned["may_rate"] is False and planned["due_on"]
    assert (done["visit_id"], done["outcome"], done["may_rate"], done["rating"]) == (made["visit_id"], "hazards",
                                                                                    True, None)
    assert done["record_url"] == f"http://localhost/gas/visits/{made['visit_id']}/record"
    (hazard,) = done["hazards"]
    assert (hazard["level_name"], hazard["status"]) == ("二级", "open")
    assert hazard["notice_url"].startswith("http://localhost/gas/hazards/")
    assert client.get(done["record_url"].replace("http://localhost", ""), headers=citizen).status_code == 200

    old = client.post(f"/gas/my/visits/{made['visit_id']}/rating", json={"stars": 4}, headers=citizen)
    assert old.status_code == 400 and old.json["error"]["code"] == "VALIDATION_ERROR"  # the field is `score`
    half = client.post(f"/gas/my/visits/{made['visit_id']}/rating", json={"score": 4.5}, headers=citizen)
    assert half.status_code == 400
    rated = client.post(f"/gas/my/visits/{made['visit_id']}/rating", json={"score": 4, "comment": "很专业"},
                        headers=citizen)
    assert rated.status_code == 201 and (rated.json["score"], rated.json["comment"]) == (4, "很专业")
    after = client.get("/gas/my/visits", headers=citizen).json[1]
    assert (after["rating"], after["may_rate"]) == (4, False)
    stranger = citizen_login(client, wechat, "o-gas-nobody")
    assert client.get("/gas/my/visits", headers=stranger).json == []


def test_the_record_number_is_not_a_case_number_and_the_notice_prints_the_case_number(client, g, db_session):
    t = g["t"]
    made = _hazard_visit(client, g)
    visit_row = db_session.get(GasVisit, made["visit_id"])
    record = client.get(f"/gas/visits/{made['visit_id']}/record", headers=t["ins1"])
    text = PdfReader(io.BytesIO(record.data)).pages[0].extract_text()
    number = f"JL{local(visit_row.finished_at):%Y%m%d}-{visit_row.id:08d}"
    assert f"记录编号：{number}" in text and f"AJ{visit_row.id:08d}" not in text  # was shaped like a case number
    assert f'filename="visit-{number}.pdf"' in record.headers["Content-Disposition"]
    hazard = db_session.scalar(sa.select(GasHazard))
    case = db_session.get(Case, hazard.case_id)
    notice = client.get(f"/gas/hazards/{hazard.id}/notice", headers=t["boss"])
    notice_text = PdfReader(io.BytesIO(notice.data)).pages[0].extract_text()
    assert f"案件编号：{case.case_no}" in notice_text and case.case_no.startswith("AJ")


def _photo(client, token, inspector_id, data=None):
    return client.put(f"/gas/inspectors/{inspector_id}/photo", headers=token, content_type="multipart/form-data",
                      data={"photo": (io.BytesIO(data or jpeg(width=1600, height=1200)), "me.jpg")})


def test_the_streets_gas_supervisor_uploads_the_badge_photo_that_the_check_shows(client, g, db_session, wechat):
    t, ins1, boss = g["t"], g["staff"]["ins1"].id, g["staff"]["boss"].id
    other_street = staff_token(_other_supervisor(db_session))
    refused = _photo(client, other_street, ins1)
    assert refused.status_code == 404 and refused.json["error"]["code"] == "GAS_INSPECTOR_NOT_FOUND"
    assert _photo(client, t["boss"], boss).status_code == 404  # not an inspector
    assert _photo(client, t["boss"], ins1, b"not an image").status_code == 415
    assert _photo(client, t["ins1"], ins1).status_code == 403
    uploaded = _photo(client, t["boss"], ins1)
    assert uploaded.status_code == 200 and uploaded.json["photo_url"]
    badge = client.get("/gas/field/badge", headers=t["ins1"]).json
    assert badge["payload"] == uploaded.json["payload"] and badge["issued_on"] == today().isoformat()
    assert badge["valid_until"] == (today() + timedelta(days=get_config().GAS_BADGE_VALID_DAYS - 1)).isoformat()
    checked = client.get(f"/gas/badges/verify?p={badge['payload']}").json
    assert (checked["status"], checked["valid"], checked["name"]) == ("valid", True, "安检员甲")
    image = client.get(checked["photo_url"].replace("http://localhost", ""))
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    stored = db_session.get(GasBadge, ins1)
    assert max(_size(db_session, stored.photo_media_id)) <= badges.PHOTO_SIDE  # 1600 × 1200 sent


def _other_supervisor(db_session):
    from tests.factories.identity import StaffFactory

    user = StaffFactory(roles=("gas_supervisor",), scope_division_code="440111002000")
    db_session.commit()
    return user


def _size(db_session, media_id):
    from api.media.models import Media

    media = db_session.get(Media, media_id)
    return media.width, media.height


def test_an_expired_or_revoked_badge_says_so_plainly(client, g, db_session):
    t, ins1 = g["t"], g["staff"]["ins1"].id
    assert client.get("/gas/field/badge", headers=t["ins1"]).status_code == 200  # issued on first use
    valid_days = get_config().GAS_BADGE_VALID_DAYS
    db_session.execute(sa.update(GasBadge).where(GasBadge.inspector_id == ins1)
                       .values(issued_on=today() - timedelta(days=valid_days)))
    db_session.commit()
    old = badges.payload(db_session.get(GasBadge, ins1))
    expired = client.get(f"/gas/badges/verify?p={old}").json
    assert (expired["genuine"], expired["valid"], expired["status"]) == (True, False, "expired")
    end = badges.valid_until(today() - timedelta(days=valid_days))
    assert expired["advice"].startswith(f"该证件已于{end.year}年{end.month}月{end.day}日过期，请勿开门")
    in_english = client.get(f"/gas/badges/verify?p={old}", headers={"Accept-Language": "en"}).json["advice"]
    assert in_english.startswith(f"This badge expired on {end.isoformat()}: do not open the door")
    renewed = client.get("/gas/field/badge", headers=t["ins1"]).json  # the app gets a new one
    assert renewed["issued_on"] == today().isoformat() and renewed["payload"] != old
    assert client.get(f"/gas/badges/verify?p={renewed['payload']}").json["status"] == "valid"
    legacy = f"{ins1}.{get_config().signature(badges.LEGACY, str(ins1))}"  # the first badges' QR
    replaced = client.get(f"/gas/badges/verify?p={legacy}").json
    assert (replaced["genuine"], replaced["status"]) == (True, "revoked") and "作废" in replaced["advice"]
    db_session.execute(sa.update(User).where(User.id == ins1).values(is_active=False))
    db_session.commit()
    revoked = client.get(f"/gas/badges/verify?p={renewed['payload']}").json
    assert (revoked["status"], revoked["valid"]) == ("revoked", False) and "注销" in revoked["advice"]


def test_a_phone_gets_a_chinese_page_without_script_or_anything_external(client, g, db_session):
    t = g["t"]
    _photo(client, t["boss"], g["staff"]["ins1"].id)
    payload = client.get("/gas/field/badge", headers=t["ins1"]).json["payload"]
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = client.get(f"/gas/badges/verify?p={payload}", headers=browser)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    for fact in ("证件有效", "安检员甲", get_config().GAS_EMPLOYER, "免费", 'src="data:image/jpeg;base64,'):
        assert fact in html, fact
    assert "<script" not in html.lower() and "http://" not in html and "https://" not in html
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "img-src data:" in csp and "script" not in csp
    forged = client.get(f"/gas/badges/verify?p={payload[:-1]}0", headers=browser).get_data(as_text=True)
    assert "非本系统签发" in forged
    api = client.get(f"/gas/badges/verify?p={payload}", headers={"Accept": "application/json"})
    assert api.mimetype == "application/json" and api.json["status"] == "valid"
    assert client.get(f"/gas/badges/verify?p={payload}").mimetype == "application/json"  # no Accept: JSON


@pytest.mark.parametrize("head", [str(10 ** 30), str(2 ** 64), "²³", "-1", "9" * 19])
def test_a_signed_id_beyond_64_bits_or_not_a_plain_number_is_never_a_500(client, g, head):
    day = today().strftime("%Y%m%d")
    for payload in (f"{head}.{day}.{get_config().signature(badges.PURPOSE, f'{head}.{day}')}",
                    f"{head}.{get_config().signature(badges.LEGACY, head)}"):
        answer = client.get(f"/gas/badges/verify?p={payload}")
        assert answer.status_code == 200 and answer.json["genuine"] is False
