"""Device use cases: register, captures → cases, readings → time series and alerts, drone batches, silence."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api.cases import acceptance
from api.cases.lifecycle import OPEN
from api.cases.models import Case
from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.devices import auth, queries
from api.devices.errors import DeviceCodeTaken, DeviceNotFound, UnknownDetection, WrongDeviceKind
from api.devices.models import (
    Capture,
    Device,
    SensorReading,
    SensorRollup,
    SensorState,
    SensorType,
    VehicleAlertDay,
)
from api.events.service import Actor, record
from api.media import derivatives, images
from api.media import service as media
from api.media.models import MediaKind
from api.organisation import grids
from api.organisation.grids import check_in_district
from api.timefmt import local

log = logging.getLogger(__name__)

# What a camera detects → the 小类 its case is filed under (GB/T 30428).
DETECTIONS = {
    "street_vending": ("event:05-01", "摄像头抓拍：无照经营游商/占道经营"),
    "store_front": ("event:05-04", "摄像头抓拍：店外经营"),
    "muck_truck": ("event:01-12", "哨兵抓拍：余泥渣土车违规（遗撒/未密闭）"),
    "blind_spot": ("event:03-99", "建筑废弃物运输车辆右侧盲区预警多次触发"),
}
BLIND_SPOT_CASE_AFTER = 3  # warnings of one vehicle on one day before it becomes a case
DRONE_CATEGORY = "event:01-01"  # 私搭乱建: drone patrols look for illegal construction
SILENCE_GRACE = 0.1  # silent for longer than the expected interval (+10 % for clock and network jitter)
MAINTENANCE = {"camera": "component:01-36", "sensor": "component:03-08", "drone": "component:03-08"}
# Default thresholds per sensor kind (an admin's edit is stored in sensor_types and wins). PM2.5: 115 μg/m³ is
# the top of 中度污染 in HJ 633-2012's 24-hour IAQI breakpoints, 75 the top of 良.
SENSOR_DEFAULTS = (  # kind, unit, alert above, clear below, 小类
    ("pm25", "μg/m³", 115.0, 75.0, "event:03-02"),
    ("odour", "OU", 20.0, 10.0, "event:01-99"),
    ("soil_moisture", "%", 95.0, 85.0, "event:04-06"),
)


def device_actor(device: Device) -> Actor:
    return Actor("device", device.id)


# -- registry ----------------------------------------------------------------------------------------------
def register(fields: dict, staff_id: int) -> tuple[Device, str]:
    """Register a device; the secret is returned once (stored sealed) for the device's configuration."""
    if queries.by_code(fields["code"]) is not None:
        raise DeviceCodeTaken(details={"code": fields["code"]})
    _check_detects(fields["kind"], fields["detects"])
    # a device stands in the district (not at 0,0 because a field was left empty)
    fields["lat"], fields["lon"] = check_in_district(fields["lat"], fields["lon"], "wgs84")
    secret = auth.new_secret()
    place = grids.codes_of(fields["lat"], fields["lon"])
    device = Device(code=fields["code"], kind=fields["kind"], name=fields["name"], detects=fields["detects"],
                    lat=fields["lat"], lon=fields["lon"], grid_code=place.grid_code, street_code=place.street_code,
                    expected_interval_s=fields["expected_interval_s"], secret_encrypted=auth.seal(secret))
    Session.add(device)
    Session.flush()
    record("device", device.id, "registered", Actor("staff", staff_id),
           payload={"code": device.code, "kind": device.kind, "detects": device.detects})
    return device, secret


def rotate_secret(device_id: int, staff_id: int) -> tuple[Device, str]:
    """A new secret, sealed; the caller shows it once and commits only after the answer is built, so a failure
    leaves the old secret in place (never a new one that nobody saw)."""
    device = Session.get(Device, device_id, with_for_update=True)
    if device is None:
        raise DeviceNotFound()
    secret = auth.new_secret()
    device.secret_encrypted = auth.seal(secret)
    record("device", device.id, "secret_rotated", Actor("staff", staff_id))
    Session.flush()
    return device, secret


def _check_detects(kind: str, detects: list[str]) -> None:
    known = set(DETECTIONS) if kind == "camera" else {k for k, *_ in SENSOR_DEFAULTS} if kind == "sensor" else set()
    unknown = [d for d in detects if d not in known]
    if unknown:
        raise UnknownDetection(details={"unknown": unknown, "known": sorted(known)})


def _heard(device: Device, now: datetime) -> None:
    device.last_seen_at = now
    if device.silent_case_id is not None:
        record("case", device.silent_case_id, "device_back", device_actor(device))
        device.silent_case_id = None


def heartbeat(device: Device) -> None:
    _heard(device, utcnow())


# -- cameras -----------------------------------------------------------------------------------------------
def record_capture(device: Device, fields: dict, snapshot: bytes | None) -> Capture:
    """A detection: joins the open case of this camera, detection and grid cell, or opens one (blind-spot
    warnings are tallied per vehicle per day and become a case past the threshold). Idempotent by event_id."""
    if device.kind != "camera":
        raise WrongDeviceKind(details={"kind": device.kind})
    if fields["detection"] not in device.detects:
        raise UnknownDetection(details={"detection": fields["detection"], "registered": device.detects})
    # one camera's events are handled one at a time (row lock), so two first captures cannot open two cases
    Session.execute(sa.select(Device.id).where(Device.id == device.id).with_for_update())
    existing = Session.scalar(sa.select(Capture).where(Capture.device_id == device.id,
                                                       Capture.event_id == fields["event_id"]))
    if existing is not None:
        return existing
    now = utcnow()
    capture = Capture(device_id=device.id, event_id=fields["event_id"], detection=fields["detection"],
                      label=fields.get("label"), confidence=fields["confidence"], plate=fields.get("plate"),
                      captured_at=fields["captured_at"])
    try:
        with Session.begin_nested():  # a resend racing the original: the unique (device, event_id) decides
            Session.add(capture)
    except IntegrityError:
        return Session.scalar(sa.select(Capture).where(Capture.device_id == device.id,
                                                       Capture.event_id == fields["event_id"]))
    if snapshot:
        config = get_config()
        photo = images.process_upload(snapshot, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS,
                                      preview=False)  # our own camera: no content-security check
        # a snapshot no larger than the display size is its own display copy: no derivative job per capture
        capture.media_id = media.store_photo(photo, kind=MediaKind.CAMERA_SNAPSHOT, owner_type="capture",
                                             owner_id=capture.id, uploaded_by=None,
                                             derivatives=max(photo.width, photo.height) > derivatives.DISPLAY_SIDE).id
    if capture.detection == "blind_spot":
        capture.case_id = _tally_vehicle(device, capture)
    else:
        capture.case_id = _case_for_capture(device, capture).id
    _heard(device, now)
    return capture


def _case_for_capture(device: Device, capture: Capture) -> Case:
    """One open case per camera + detection + grid cell."""
    open_case = Session.scalar(
        sa.select(Case).join(Capture, Capture.case_id == Case.id)
        .where(Capture.device_id == device.id, Capture.detection == capture.detection,
               Case.status.in_([str(s) for s in OPEN]), Case.grid_code.is_not_distinct_from(device.grid_code))
        .order_by(Case.id.desc()).limit(1).with_for_update(of=Case))
    if open_case is not None:
        record("case", open_case.id, "capture_added", device_actor(device),
               payload={"capture_id": capture.id, "confidence": capture.confidence})
        return open_case
    code, text = DETECTIONS[capture.detection]
    description = f"{text}（{device.name}，置信度{capture.confidence:.2f}）"
    case = acceptance.open_from_device("camera", code, device.lat, device.lon, description, device_actor(device))
    record("case", case.id, "capture_added", device_actor(device), payload={"capture_id": capture.id})
    return case


def _tally_vehicle(device: Device, capture: Capture) -> int | None:
    if not capture.plate:
        return None  # kept as a capture, but warnings cannot be added up per vehicle without its plate
    day, plate = local(capture.captured_at).date(), capture.plate
    tally = Session.get(VehicleAlertDay, (plate, day), with_for_update=True)
    if tally is None:
        tally = VehicleAlertDay(plate=plate, day=day, count=0, last_device_id=device.id)
        Session.add(tally)
    tally.count += 1
    tally.last_device_id = device.id
    if tally.case_id is None and tally.count >= BLIND_SPOT_CASE_AFTER:
        code, text = DETECTIONS["blind_spot"]
        description = f"{text}：车牌{plate}，{day:%Y-%m-%d}已{tally.count}次"
        case = acceptance.open_from_device("camera", code, device.lat, device.lon, description, device_actor(device))
        tally.case_id = case.id
    return tally.case_id


# -- sensors ----------------------------------------------------------------------------------------------
def ingest_readings(device: Device, readings: list[dict]) -> dict:
    """Bulk-insert a batch, fold it into the hourly rollups, and move each kind's alert state (hysteresis):
    above `alert_above` opens one case per sensor + kind; below `clear_below` clears it."""
    if device.kind != "sensor":
        raise WrongDeviceKind(details={"kind": device.kind})
    unknown = sorted({r["kind"] for r in readings} - set(device.detects))
    if unknown:
        raise UnknownDetection(details={"kinds": unknown, "registered": device.detects})
    readings = sorted(({**r, "measured_at": r["measured_at"].astimezone(UTC)} for r in readings),
                      key=lambda r: r["measured_at"])
    Session.execute(sa.insert(SensorReading), [{"device_id": device.id, "kind": r["kind"],
                                                "measured_at": r["measured_at"], "value": r["value"]}
                                               for r in readings])
    _rollup(device.id, readings)
    opened, cleared = _move_alerts(device, readings)
    _heard(device, utcnow())
    return {"stored": len(readings), "alerts_opened": opened, "alerts_cleared": cleared}


def _rollup(device_id: int, readings: list[dict]) -> None:
    groups: dict[tuple[str, datetime], list[float]] = {}
    for r in readings:
        hour = r["measured_at"].replace(minute=0, second=0, microsecond=0)
        groups.setdefault((r["kind"], hour), []).append(r["value"])
    rows = [{"device_id": device_id, "kind": kind, "hour": hour, "n": len(v), "vmin": min(v), "vmax": max(v),
             "vsum": sum(v)} for (kind, hour), v in groups.items()]
    insert, t = insert_for(SensorRollup), SensorRollup.__table__.c
    postgres = Session.get_bind().dialect.name == "postgresql"  # SQLite's two-argument min/max are least/greatest
    least, greatest = (sa.func.least, sa.func.greatest) if postgres else (sa.func.min, sa.func.max)
    Session.execute(insert.on_conflict_do_update(index_elements=[t.device_id, t.kind, t.hour], set_={
        "n": t.n + insert.excluded.n, "vmin": least(t.vmin, insert.excluded.vmin),
        "vmax": greatest(t.vmax, insert.excluded.vmax), "vsum": t.vsum + insert.excluded.vsum}), rows)


def _move_alerts(device: Device, readings: list[dict]) -> tuple[int, int]:
    types = sensor_types()
    opened = cleared = 0
    for kind in {r["kind"] for r in readings}:
        state = Session.get(SensorState, (device.id, kind), with_for_update=True)
        series = [r for r in readings if r["kind"] == kind]
        if state is None:
            state = SensorState(device_id=device.id, kind=kind, last_value=series[0]["value"],
                                last_at=series[0]["measured_at"], alerting=False)
            try:
                with Session.begin_nested():  # two first batches of one sensor at once: one state row wins
                    Session.add(state)
            except IntegrityError:
                state = Session.get(SensorState, (device.id, kind), with_for_update=True, populate_existing=True)
        spec = types.get(kind)
        for r in series:
            if state.last_at and r["measured_at"] < state.last_at:
                continue  # a late reading is stored and rolled up, but does not move the state back in time
            state.last_value, state.last_at = r["value"], r["measured_at"]
            if spec is None:
                continue
            if not state.alerting and r["value"] > spec.alert_above:
                case = acceptance.open_from_device(
                    "sensor", spec.category_code, device.lat, device.lon,
                    f"传感器超标：{device.name} {kind} {r['value']:g}{spec.unit}（阈值{spec.alert_above:g}）",
                    device_actor(device))
                state.alerting, state.case_id = True, case.id
                opened += 1
            elif state.alerting and r["value"] < spec.clear_below:
                record("case", state.case_id, "alert_cleared", device_actor(device),
                       payload={"kind": kind, "value": r["value"], "at": r["measured_at"].isoformat()})
                state.alerting, state.case_id = False, None
                cleared += 1
    return opened, cleared


def sensor_types() -> dict[str, SensorType]:
    """Every known kind: the stored thresholds where an admin set them, the defaults otherwise."""
    types = {kind: SensorType(kind=kind, unit=unit, alert_above=above, clear_below=below, category_code=code)
             for kind, unit, above, below, code in SENSOR_DEFAULTS}
    types.update({t.kind: t for t in Session.scalars(sa.select(SensorType))})
    return types


def set_sensor_type(kind: str, alert_above: float, clear_below: float, staff_id: int) -> SensorType:
    default = sensor_types().get(kind)
    if default is None:
        raise UnknownDetection(details={"kind": kind, "known": [k for k, *_ in SENSOR_DEFAULTS]})
    spec = Session.get(SensorType, kind)
    if spec is None:
        spec = SensorType(kind=kind, unit=default.unit, category_code=default.category_code)
        Session.add(spec)
    record("sensor_type", 0, "thresholds_set", Actor("staff", staff_id),
           payload={"kind": kind, "from": [default.alert_above, default.clear_below],
                    "to": [alert_above, clear_below]})
    spec.alert_above, spec.clear_below = alert_above, clear_below
    return spec


# -- drones -----------------------------------------------------------------------------------------------
def record_drone_batch(device: Device, photos: list[tuple[dict, bytes]]) -> list[Case]:
    """Each geotagged photo of suspected illegal construction becomes a candidate case on the triage desk."""
    if device.kind != "drone":
        raise WrongDeviceKind(details={"kind": device.kind})
    config = get_config()
    processed = [(meta, images.process_upload(raw, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS,
                                              preview=False)) for meta, raw in photos]
    cases = []
    for meta, photo in processed:  # all photos are valid before anything is written
        case = acceptance.open_from_device(
            "drone", DRONE_CATEGORY, meta["lat"], meta["lon"],
            f"无人机巡查疑似违法建设（{device.name}，{local(meta['captured_at']):%Y-%m-%d %H:%M}）",
            device_actor(device), triage_reason="drone_candidate: 无人机疑似违法建设，待核实")
        media.store_photo(photo, kind=MediaKind.REPORT_PHOTO, owner_type="case", owner_id=case.id, uploaded_by=None)
        cases.append(case)
    _heard(device, utcnow())
    return cases


# -- silence ----------------------------------------------------------------------------------------------
def scan_silent_devices(now: datetime | None = None) -> int:
    """Active devices not heard from for longer than their expected interval get one maintenance case each."""
    now = now or utcnow()
    opened = 0
    for device in Session.scalars(sa.select(Device).where(Device.active, Device.silent_case_id.is_(None))):
        last = device.last_seen_at or device.created_at
        if now - last <= timedelta(seconds=(1 + SILENCE_GRACE) * device.expected_interval_s):
            continue
        case = acceptance.open_from_device(
            device.kind, MAINTENANCE[device.kind], device.lat, device.lon,
            f"设备离线：{device.name}（{device.code}）自{local(last):%Y-%m-%d %H:%M}起无数据", Actor.system())
        device.silent_case_id = case.id
        record("device", device.id, "silent", Actor.system(), payload={"case_id": case.id,
                                                                      "last_seen_at": last.isoformat()})
        opened += 1
    return opened
