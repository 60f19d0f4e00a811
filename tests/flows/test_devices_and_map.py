"""Camera, sensor and drone feeds end to end, signed webhooks, silent devices, components on the map."""

import base64
import json
import secrets
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from api.assets.models import Component, Stock
from api.calendar.service import load_shipped
from api.cases.models import Case
from api.config import get_config
from api.db import Session
from api.devices import auth
from api.devices import service as devices
from api.devices.models import Capture, SensorReading, SensorRollup, SensorState
from api.events.models import Event
from api.organisation import grids
from api.organisation import queries as organisation
from api.organisation.service import load_demo_organisation, load_divisions
from api.taxonomy.service import load_national
from api.timefmt import local
from tests.factories.identity import StaffFactory
from tests.support import jpeg, staff_token

pytestmark = pytest.mark.flow
SANYUANLI = (23.1625, 113.2628)  # lat, lon (WGS-84) inside the demo grid


@pytest.fixture
def world(committed, client):
    load_divisions()
    load_demo_organisation()
    load_national()
    load_shipped()
    grids.import_geojson(grids.demo_grid(get_config().DISTRICT_BBOX, [s.code for s in organisation.streets()]),
                         demo=True)
    admin = StaffFactory(roles=("admin",))
    clerk = StaffFactory(roles=("intake_clerk",))
    Session.commit()
    return {"admin": staff_token(admin), "clerk": staff_token(clerk)}


def register(client, world, kind, detects, code=None, interval=600, where=SANYUANLI):
    body = {"code": code or f"{kind[:3].upper()}-{secrets.token_hex(3)}", "kind": kind, "name": f"测试{kind}",
            "detects": detects, "lat": where[0], "lon": where[1], "expected_interval_s": interval}
    response = client.post("/admin/devices", json=body, headers=world["admin"])
    assert response.status_code == 201, response.json
    return response.json


def signed(client, device, path, body, *, timestamp=None, nonce=None, secret=None, tamper=False):
    raw = json.dumps(body).encode()
    timestamp = str(timestamp if timestamp is not None else int(time.time()))
    nonce = nonce or secrets.token_hex(8)
    url = f"/devices/{device['code']}/{path}"
    signature = auth.sign(secret or device["secret"], timestamp, nonce, "POST", url, raw)
    if tamper:
        raw = raw.replace(b"0.9", b"0.1")
    return client.post(url, data=raw, content_type="application/json",
                       headers={"X-Timestamp": timestamp, "X-Nonce": nonce, "X-Signature": signature})


def capture(event_id, detection="street_vending", **extra):
    return {"event_id": event_id, "detection": detection, "label": "vendor_cart", "confidence": 0.93,
            "captured_at": datetime.now(UTC).isoformat(), **extra}


def count(model, *where):
    Session.remove()
    return Session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_a_camera_capture_opens_a_case_and_a_repeat_joins_it(client, world):
    camera = register(client, world, "camera", ["street_vending", "muck_truck"])
    snapshot = base64.b64encode(jpeg(1280, 720)).decode()
    first = signed(client, camera, "captures", capture("evt-1", snapshot=snapshot))
    assert first.status_code == 201, first.json
    again = signed(client, camera, "captures", capture("evt-2"))
    resent = signed(client, camera, "captures", capture("evt-1"))  # the device resends an event: recognised
    other = signed(client, camera, "captures", capture("evt-3", detection="muck_truck"))
    assert again.json["case_id"] == first.json["case_id"] == resent.json["case_id"] != other.json["case_id"]
    assert first.json["media_id"] and count(Capture) == 3

    case = Session.get(Case, first.json["case_id"])
    assert (case.source, case.status, case.category_code) == ("camera", "pending", "event:05-01")
    assert case.grid_code is not None
    desk = client.get("/cases?desk=intake&source=camera", headers=world["clerk"]).json
    assert desk["total"] == 2
    unknown = signed(client, camera, "captures", capture("evt-4", detection="store_front"))
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "UNKNOWN_DETECTION"
    not_a_jpeg = base64.b64encode(b"\xff\xd8 not a jpeg").decode()
    corrupt = signed(client, camera, "captures", capture("evt-5", snapshot=not_a_jpeg))
    assert corrupt.status_code == 415 and count(Capture) == 3  # nothing half-written


def test_blind_spot_warnings_become_a_case_only_past_the_daily_threshold(client, world):
    camera = register(client, world, "camera", ["blind_spot"])
    answers = [signed(client, camera, "captures", capture(f"bs-{n}", detection="blind_spot", plate="粤A12345"))
               for n in range(4)]
    assert [a.json["case_id"] is None for a in answers] == [True, True, False, False]
    assert answers[2].json["case_id"] == answers[3].json["case_id"]
    other = signed(client, camera, "captures", capture("bs-x", detection="blind_spot", plate="粤A99999"))
    assert other.json["case_id"] is None
    unread = [signed(client, camera, "captures", capture(f"bs-u{n}", detection="blind_spot")) for n in range(4)]
    assert all(u.status_code == 201 and u.json["case_id"] is None for u in unread)  # no plate: not added up


def test_a_sensor_breach_opens_one_alert_that_clears_with_hysteresis(client, world):
    sensor = register(client, world, "sensor", ["pm25"])
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)

    def batch(values, offset_min=0):
        return {"readings": [{"kind": "pm25", "value": v, "measured_at": (start + timedelta(
            minutes=offset_min + i)).isoformat()} for i, v in enumerate(values)]}

    quiet = signed(client, sensor, "readings", batch([40, 60, 80]))
    assert quiet.json == {"stored": 3, "alerts_opened": 0, "alerts_cleared": 0}
    breach = signed(client, sensor, "readings", batch([130, 150, 90, 140], offset_min=3))  # 90: not below 75
    assert breach.json["alerts_opened"] == 1
    again = signed(client, sensor, "readings", batch([160], offset_min=7))
    assert again.json["alerts_opened"] == 0
    state = Session.get(SensorState, (sensor["id"], "pm25"))
    assert state.alerting and state.last_value == 160
    alert_case = Session.get(Case, state.case_id)
    assert (alert_case.source, alert_case.category_code) == ("sensor", "event:03-02")

    cleared = signed(client, sensor, "readings", batch([70], offset_min=8))
    assert cleared.json["alerts_cleared"] == 1
    assert count(Event, Event.subject_id == alert_case.id, Event.action == "alert_cleared") == 1
    assert count(Case, Case.source == "sensor") == 1
    rollup = Session.get(SensorRollup, (sensor["id"], "pm25", start))
    assert (rollup.n, rollup.vmin, rollup.vmax) == (9, 40, 160) and rollup.vsum == pytest.approx(920)
    assert count(SensorReading) == 9
    layer = client.get("/map/layers/sensors?bbox=113.2,23.1,113.3,23.2&zoom=16", headers=world["clerk"]).json
    assert layer["features"][0]["properties"]["readings"][0] == {
        "kind": "pm25", "value": 70.0, "at": local(start + timedelta(minutes=8)).isoformat(), "alerting": False}


@pytest.mark.parametrize("when", [datetime(1971, 1, 1, tzinfo=UTC), datetime(2199, 12, 31, tzinfo=UTC),
                                  "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_readings_far_in_the_past_or_future_are_refused_and_nothing_stored(client, world, when):
    sensor = register(client, world, "sensor", ["pm25"])
    at = when if isinstance(when, str) else when.isoformat()
    refused = signed(client, sensor, "readings", {"readings": [{"kind": "pm25", "value": 1, "measured_at": at}]})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "VALIDATION_ERROR"
    assert count(SensorReading) == 0


def test_a_reading_without_a_time_is_taken_as_now(client, world):
    sensor = register(client, world, "sensor", ["pm25"])
    assert signed(client, sensor, "readings", {"readings": [{"kind": "pm25", "value": 12}]}).status_code == 201
    assert count(SensorReading) == 1


def test_a_silent_device_gets_one_maintenance_case(client, world):
    camera = register(client, world, "camera", ["street_vending"], interval=600)
    assert devices.scan_silent_devices(datetime.now(UTC) + timedelta(minutes=10)) == 0  # within its interval
    later = datetime.now(UTC) + timedelta(minutes=12)
    assert devices.scan_silent_devices(later) == 1
    assert devices.scan_silent_devices(later + timedelta(hours=1)) == 0  # one open maintenance case is enough
    case = Session.scalar(sa.select(Case).where(Case.category_code == "component:01-36"))
    assert case.source == "camera" and case.status == "pending"
    assert signed(client, camera, "heartbeat", {}).status_code == 204
    assert count(Event, Event.subject_id == case.id, Event.action == "device_back") == 1
    listed = client.get("/admin/devices?kind=camera", headers=world["clerk"]).json
    assert listed[0]["last_seen_at"] and listed[0]["silent_case_id"] is None


def test_a_drone_batch_becomes_candidate_cases_on_the_triage_desk(client, world):
    drone = register(client, world, "drone", [])
    photos = [{"lat": SANYUANLI[0] + 0.01 * i, "lon": SANYUANLI[1], "captured_at": datetime.now(UTC).isoformat(),
               "image": base64.b64encode(jpeg(color=(90, 90, 90 + i))).decode()} for i in range(3)]
    answer = signed(client, drone, "drone-batches", {"photos": photos})
    assert answer.status_code == 201 and len(answer.json["case_ids"]) == 3
    triage = client.get("/cases?desk=triage&source=drone", headers=world["clerk"]).json
    assert triage["total"] == 3 and all(c["grid_code"] for c in triage["items"])
    assert {c["category_code"] for c in triage["items"]} == {"event:01-01"}
    broken = signed(client, drone, "drone-batches", {"photos": [{**photos[0], "image": base64.b64encode(
        b"not a photo").decode()}]})
    assert broken.status_code == 415 and count(Case, Case.source == "drone") == 3  # nothing half-written


@pytest.mark.parametrize("fault", ["bad_signature", "tampered", "stale", "future", "replayed", "unknown_device",
                                   "wrong_secret"])
def test_bad_webhooks_are_refused_and_store_nothing(client, world, fault):
    sensor = register(client, world, "sensor", ["pm25"])
    body = {"readings": [{"kind": "pm25", "value": 0.9, "measured_at": datetime.now(UTC).isoformat()}]}
    if fault == "replayed":
        assert signed(client, sensor, "readings", body, nonce="nonce-0001").status_code == 201
        response = signed(client, sensor, "readings", body, nonce="nonce-0001")
        expected_rows = 1
    else:
        expected_rows = 0
        kwargs = {"bad_signature": {"secret": "x" * 43}, "tampered": {"tamper": True},
                  "stale": {"timestamp": int(time.time()) - 301}, "future": {"timestamp": int(time.time()) + 301},
                  "unknown_device": {}, "wrong_secret": {"secret": sensor["secret"][::-1]}}[fault]
        device = {**sensor, "code": "NOPE-0000"} if fault == "unknown_device" else sensor
        response = signed(client, device, "readings", body, **kwargs)
    assert response.status_code == 401
    assert response.json["error"]["code"] == {"stale": "DEVICE_REQUEST_STALE", "future": "DEVICE_REQUEST_STALE",
                                              "replayed": "DEVICE_REQUEST_REPLAYED"}.get(
        fault, "DEVICE_SIGNATURE_INVALID")
    assert count(SensorReading) == expected_rows


def test_registration_is_for_admins_and_a_rotated_secret_replaces_the_old(client, world):
    body = {"code": "CAM-X1", "kind": "camera", "name": "x", "detects": ["street_vending"], "lat": 23.16,
            "lon": 113.26}
    assert client.post("/admin/devices", json=body, headers=world["clerk"]).status_code == 403
    camera = register(client, world, "camera", ["street_vending"], code="CAM-X1")
    assert client.post("/admin/devices", json=body, headers=world["admin"]).json["error"]["code"] == \
        "DEVICE_CODE_TAKEN"
    assert "secret" not in client.get("/admin/devices", headers=world["admin"]).json[0]
    rotated = client.post(f"/admin/devices/{camera['id']}/rotate-secret", headers=world["admin"]).json
    assert signed(client, camera, "heartbeat", {}).status_code == 401
    assert signed(client, {**camera, "secret": rotated["secret"]}, "heartbeat", {}).status_code == 204


def components_geojson(n: int) -> dict:
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [113.26 + i * 0.0005, 23.16]},
                 "properties": {"code": f"4401110103{i:06d}", "name": f"雨水井盖{i}", "owner": "municipal",
                                "state": "damaged" if i == 0 else "normal"}} for i in range(n)]
    return {"type": "FeatureCollection", "features": features}


def test_components_imported_from_geojson_show_on_the_map(client, world, app, tmp_path):
    path = tmp_path / "components.geojson"
    path.write_text(json.dumps(components_geojson(30)), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["components-import", str(path)])
    assert result.exit_code == 0 and "30 components imported" in result.output
    bad = components_geojson(2)
    bad["features"][1]["properties"]["code"] = "4401119999000001"  # no such 小类
    path.write_text(json.dumps(bad), encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["components-import", str(path)])
    assert refused.exit_code != 0 and "IMPORT_REJECTED" in refused.output
    assert count(Component) == 30

    near = client.get("/map/layers/components?bbox=113.25,23.15,113.28,23.17&zoom=17", headers=world["clerk"]).json
    assert not near["clustered"] and len(near["features"]) == 30
    assert near["features"][0]["properties"]["category_code"] == "component:01-03"
    far = client.get("/map/layers/components?bbox=113.1,23.1,113.5,23.4&zoom=10", headers=world["clerk"]).json
    assert far["clustered"] and far["total"] == 30 and len(far["features"]) < 30
    damaged = client.get("/map/layers/components?bbox=113.25,23.15,113.28,23.17&zoom=17&state=damaged",
                         headers=world["clerk"]).json
    assert len(damaged["features"]) == 1
    board = {row["street_code"]: row for row in client.get("/map/summary", headers=world["clerk"]).json}
    assert sum(row["components"].get("normal", 0) for row in board.values()) == 29
    assert client.get("/map/layers/components?bbox=1,2,3&zoom=10", headers=world["clerk"]).status_code == 400

    case = client.post("/cases/hotline", json={"description": "井盖破损", "lat": 23.16, "lon": 113.26,
                                                "external_ticket_no": "GZ-1"}, headers=world["clerk"]).json
    linked = client.post(f"/cases/{case['id']}/component", json={"component_code": "4401110103000000"},
                         headers=world["clerk"])
    assert linked.json["component_code"] == "4401110103000000"
    missing = client.post(f"/cases/{case['id']}/component", json={"component_code": "4401110103999999"},
                          headers=world["clerk"])
    assert missing.status_code == 404


def test_materials_stock_is_imported_by_depot(client, world, app, tmp_path):
    path = tmp_path / "stock.csv"
    path.write_text("depot_code,depot_name,lat,lon,material_code,material_name,unit,quantity\n"
                    "D1,三元里物资点,23.16,113.26,M-SANDBAG,沙袋,个,500\n"
                    "D1,三元里物资点,23.16,113.26,M-PUMP,抽水泵,台,4\n"
                    "D2,京溪物资点,23.19,113.33,M-SANDBAG,沙袋,个,120\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["materials-import", str(path)])
    assert result.exit_code == 0, result.output
    assert count(Stock) == 3
    sandbags = client.get("/admin/stock?material_code=M-SANDBAG", headers=world["clerk"]).json
    assert [(s["depot_code"], s["quantity"]) for s in sandbags] == [("D1", 500), ("D2", 120)]


def test_drone_batches_have_their_own_body_limit(client, world, app):
    drone = register(client, world, "drone", [])
    camera = register(client, world, "camera", ["street_vending"])
    big = base64.b64encode(jpeg(800, 600, pattern=True, quality=95)).decode()  # ~100 KB of base64
    photo = {"lat": SANYUANLI[0], "lon": SANYUANLI[1], "captured_at": datetime.now(UTC).isoformat(), "image": big}
    limits = app.config["MAX_CONTENT_LENGTH"], app.config["DRONE_BATCH_MAX_BYTES"]
    app.config["MAX_CONTENT_LENGTH"], app.config["DRONE_BATCH_MAX_BYTES"] = 50_000, 5 * len(big)
    try:
        assert signed(client, drone, "drone-batches", {"photos": [photo]}).status_code == 201
        assert signed(client, camera, "captures", capture("big-1", snapshot=big)).status_code == 413
        too_big = signed(client, drone, "drone-batches", {"photos": [photo] * 6})
        assert too_big.status_code == 413 and too_big.json["error"]["code"] == "PAYLOAD_TOO_LARGE"
    finally:
        app.config["MAX_CONTENT_LENGTH"], app.config["DRONE_BATCH_MAX_BYTES"] = limits
    assert count(Case, Case.source == "drone") == 1


def test_a_device_that_has_reported_can_have_its_secret_rotated(client, world):
    camera = register(client, world, "camera", ["street_vending"])
    assert signed(client, camera, "captures", capture("ev-rot-1")).status_code == 201
    assert signed(client, camera, "heartbeat", {}).status_code == 204
    rotated = client.post(f"/admin/devices/{camera['id']}/rotate-secret", headers=world["admin"])
    assert rotated.status_code == 200 and rotated.json["secret"] != camera["secret"]
    assert signed(client, {**camera, "secret": rotated.json["secret"]}, "heartbeat", {}).status_code == 204
    again = client.post(f"/admin/devices/{camera['id']}/rotate-secret", headers=world["admin"])
    assert again.status_code == 200 and again.json["secret"] != rotated.json["secret"]


def test_a_capture_whose_snapshot_is_refused_stores_nothing(client, world):
    camera = register(client, world, "camera", ["street_vending"])
    broken = base64.b64encode(jpeg()[:500]).decode()
    refused = signed(client, camera, "captures", capture("ev-bad-1", snapshot=broken))
    assert refused.status_code == 415 and count(Capture) == 0 and count(Case) == 0
    good = base64.b64encode(jpeg()).decode()
    resent = signed(client, camera, "captures", capture("ev-bad-1", snapshot=good))
    assert resent.status_code == 201 and resent.json["case_id"] and resent.json["media_id"]
    assert count(Capture) == 1 and count(Case) == 1


def test_a_device_must_stand_in_the_district(client, world):
    for where in ((0, 0), (39.9, 116.4)):
        body = {"code": f"CAM-{int(where[0])}", "kind": "camera", "name": "x", "detects": ["street_vending"],
                "lat": where[0], "lon": where[1]}
        refused = client.post("/admin/devices", json=body, headers=world["admin"])
        assert refused.status_code == 422 and refused.json["error"]["code"] == "LOCATION_OUTSIDE_DISTRICT"
