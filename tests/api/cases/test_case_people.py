"""Who and where in the case view: the reporters (nickname or masked openid, a phone whole only for the roles
that call back), every event's actor by name, each photo's capture place against the reported point."""

from __future__ import annotations

import io
import json

import pytest

from api import geo
from api.db import unit_of_work
from api.devices.models import Device
from api.events.service import Actor, record
from tests.api.cases.conftest import act
from tests.factories.identity import StaffFactory
from tests.support import BAIYUN_GCJ, citizen_login, exif_bytes, jpeg, sql_statements, staff_token, submit_new_report

BOB = "oBobAAAAxxxxxxxxxxxxxxxxBOBz"  # 28 characters, as WeChat's openids are


def _report(client, headers, phone=None, photo=None, description="路边垃圾堆放") -> int:
    body = {"description": description, "location": BAIYUN_GCJ, "category_hint": "exposed_garbage"}
    if phone:
        body["contact_phone"] = phone
    report_id = client.post("/reports", json=body, headers=headers).json["id"]
    for raw in photo or [jpeg()]:
        uploaded = client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(raw), "p.jpg")},
                               headers=headers, content_type="multipart/form-data")
        assert uploaded.status_code == 201, uploaded.json
    assert client.post(f"/reports/{report_id}/submit", headers=headers).status_code == 200
    return report_id


def _two_reporters(client, world, wechat) -> tuple[int, int, int]:
    """Alice (nickname 街坊阿丽, phone) and Bob (no nickname, no phone) on one case; (case, alice's, bob's)."""
    t = world["t"]
    assert client.put("/me/profile", json={"nickname": "街坊阿丽"}, headers=t["alice"]).status_code == 200
    alice_report = _report(client, t["alice"], phone="138 1234 5678")
    master = client.get("/cases?desk=intake", headers=t["clerk"]).json["items"][0]["id"]
    bob = citizen_login(client, wechat, BOB)
    bob_report = _report(client, bob, description="同一处垃圾")
    duplicate = [c["id"] for c in client.get("/cases?desk=intake", headers=t["clerk"]).json["items"]
                 if c["id"] != master][0]
    assert act(client, t["clerk"], duplicate, "merge", {"into_case_id": master}).status_code == 200
    return master, alice_report, bob_report


def test_the_case_view_names_its_reporters_and_only_callers_back_see_the_phone(client, world, wechat, db_session):
    t = world["t"]
    case_id, alice_report, bob_report = _two_reporters(client, world, wechat)
    seen = client.get(f"/cases/{case_id}", headers=t["clerk"]).json
    assert [(r["report_id"], r["reporter_name"], r["contact_phone"], r["contact_phone_masked"])
            for r in seen["reporters"]] == [(alice_report, "街坊阿丽", "13812345678", False),
                                            (bob_report, "oBob****BOBz", None, False)]
    assert seen["reporters"][0]["report_no"].startswith("BY") and seen["reporters"][0]["submitted_at"]
    for who in ("command", "supervisor"):
        assert client.get(f"/cases/{case_id}", headers=t[who]).json["reporters"][0]["contact_phone"] == "13812345678"
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    billing = staff_token(StaffFactory(roles=("billing_clerk",)))
    for headers in (t["handler"], t["head"], t["dispatcher"], billing):
        view = client.get(f"/cases/{case_id}", headers=headers)
        assert view.status_code == 200
        assert view.json["reporters"][0]["contact_phone"] == "138****5678"
        assert view.json["reporters"][0]["contact_phone_masked"] is True
        assert "13812345678" not in view.get_data(as_text=True)
    for headers in (t["clerk"], t["handler"]):  # the openid is never shown whole, not even to staff
        assert BOB not in client.get(f"/cases/{case_id}", headers=headers).get_data(as_text=True)


def test_no_citizen_sees_another_citizens_phone_nickname_or_openid(client, world, wechat, db_session):
    t = world["t"]
    case_id, alice_report, bob_report = _two_reporters(client, world, wechat)
    bob = citizen_login(client, wechat, BOB)
    assert client.get(f"/cases/{case_id}", headers=bob).status_code == 403
    assert client.get(f"/reports/{alice_report}", headers=bob).status_code == 404
    mine = client.get(f"/reports/{bob_report}", headers=bob).get_data(as_text=True)
    assert not any(secret in mine for secret in ("13812345678", "138****5678", "街坊阿丽", "o-engine"))
    own = client.get(f"/reports/{alice_report}", headers=t["alice"]).json
    assert own["contact_phone"] == "13812345678" and BOB not in json.dumps(own)


def test_every_event_of_the_case_names_its_actor(client, world, wechat, db_session):
    t, staff = world["t"], world["staff"]
    case_id, _, _ = _two_reporters(client, world, wechat)
    act(client, t["clerk"], case_id, "accept")
    camera = Device(code="CAM-T-1", kind="camera", name="白云大道北摄像头", detects=["exposed_garbage"], lat=23.16,
                    lon=113.26, secret_encrypted="x")
    db_session.add(camera)
    db_session.flush()
    with unit_of_work():
        record("case", case_id, "capture_added", Actor("device", camera.id))
        record("case", case_id, "escalated", Actor.system())
    events = client.get(f"/cases/{case_id}", headers=t["dispatcher"]).json["events"]
    names = {(e["actor_type"], e["actor_name"]) for e in events}
    assert ("staff", staff["clerk"].display_name) in names
    assert ("device", "白云大道北摄像头") in names and ("system", "系统") in names
    assert {n for kind, n in names if kind == "citizen"} <= {"街坊阿丽", "oBob****BOBz"}
    assert any(kind == "citizen" for kind, _ in names)
    assert all(e["actor_name"] for e in events)


def _queries_for(client, headers, case_id, db_session) -> int:
    client.get(f"/cases/{case_id}", headers=headers)  # warm the per-process name tables first
    with sql_statements(db_session) as statements:
        assert client.get(f"/cases/{case_id}", headers=headers).status_code == 200
    return len(statements)


def test_more_reporters_and_actors_cost_no_more_queries(client, world, wechat, db_session):
    t = world["t"]
    submit_new_report(client, t["alice"])
    lone = client.get("/cases?desk=intake", headers=t["clerk"]).json["items"][0]["id"]
    act(client, t["clerk"], lone, "accept")
    crowded, _, _ = _two_reporters(client, world, wechat)
    for n in range(3):
        other = citizen_login(client, wechat, f"o-crowd-{n:024d}")
        assert client.put("/me/profile", json={"nickname": f"街坊{n}"}, headers=other).status_code == 200
        _report(client, other, phone=f"1391234567{n}", description="同一处垃圾")
        duplicate = [c["id"] for c in client.get("/cases?desk=intake", headers=t["clerk"]).json["items"]
                     if c["id"] not in (lone, crowded)][0]
        act(client, t["clerk"], duplicate, "merge", {"into_case_id": crowded})
    act(client, t["command"], crowded, "priority", {"priority": "urgent", "reason": "群众反映强烈"})
    act(client, t["clerk"], crowded, "accept")
    assert len(client.get(f"/cases/{crowded}", headers=t["clerk"]).json["reporters"]) == 5
    assert _queries_for(client, t["clerk"], crowded, db_session) == _queries_for(client, t["clerk"], lone, db_session)


def test_a_photos_capture_place_is_shown_with_its_distance_from_the_reported_point(client, world, db_session):
    t = world["t"]
    reported = geo.gcj02_to_wgs84(BAIYUN_GCJ["lat"], BAIYUN_GCJ["lon"])
    taken = (round(reported[0] + 0.0003, 6), round(reported[1], 6))  # ~33 m north, as the phone's GPS saw it
    expected = round(geo.distance_m(*taken, *reported))
    with_gps = jpeg(exif=exif_bytes(gps=taken))
    _report(client, t["alice"], photo=[with_gps, jpeg(color=(200, 30, 30))])
    case_id = client.get("/cases?desk=intake", headers=t["clerk"]).json["items"][0]["id"]
    first, second = client.get(f"/cases/{case_id}", headers=t["clerk"]).json["photos"]
    assert 30 <= expected <= 36
    assert first["capture_distance_m"] == pytest.approx(expected, abs=1)
    assert first["capture_place"] == f"距上报位置约 {first['capture_distance_m']} 米"
    assert first["capture_location"]["wgs84"] == pytest.approx({"lat": taken[0], "lon": taken[1]}, abs=1e-5)
    gcj = geo.wgs84_to_gcj02(*taken)
    assert first["capture_location"]["gcj02"] == pytest.approx({"lat": gcj[0], "lon": gcj[1]}, abs=1e-5)
    assert (second["capture_place"], second["capture_location"], second["capture_distance_m"]) == (
        "无拍摄位置", None, None)


def test_a_capture_place_far_away_is_given_in_kilometres():
    from api.cases.present import capture_place
    from api.media.models import Media

    far = capture_place(Media(exif_lat=23.20, exif_lon=113.26), (23.18, 113.26))
    assert far["capture_place"] == "距上报位置约 2.2 公里" and far["capture_distance_m"] == 2224
