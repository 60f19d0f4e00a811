"""Device schemas: registration, and what each kind of device sends."""

import base64
import binascii
from datetime import UTC, datetime, timedelta

import marshmallow as ma
from marshmallow import validate

from api.devices.models import DEVICE_KINDS
from api.timefmt import LocalDateTime

MAX_SNAPSHOT_BYTES = 2 * 1024 * 1024


class Base64Bytes(ma.fields.Field):
    """Standard base64 in JSON → bytes (length-limited before decoding)."""

    def __init__(self, *, max_bytes: int, **kwargs):
        super().__init__(**kwargs)
        self.max_bytes = max_bytes

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > self.max_bytes * 4 // 3 + 4:
            raise ma.ValidationError(f"must be base64 of at most {self.max_bytes} bytes")
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ma.ValidationError("not valid base64") from exc


class DeviceRegisterSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{3,40}$"))
    kind = ma.fields.String(required=True, validate=validate.OneOf(DEVICE_KINDS))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    detects = ma.fields.List(ma.fields.String(), load_default=list, metadata={
        "description": "camera: street_vending, store_front, muck_truck, blind_spot; sensor: pm25, odour, "
                       "soil_moisture; drone: none"})
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90), metadata={"description": "WGS-84"})
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    expected_interval_s = ma.fields.Integer(load_default=3600, validate=validate.Range(min=10, max=7 * 86400))


class DeviceSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    kind = ma.fields.String()
    name = ma.fields.String()
    detects = ma.fields.List(ma.fields.String())
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    grid_code = ma.fields.String(allow_none=True)
    street_code = ma.fields.String(allow_none=True)
    expected_interval_s = ma.fields.Integer()
    active = ma.fields.Boolean()
    last_seen_at = LocalDateTime(allow_none=True)
    silent_case_id = ma.fields.Integer(allow_none=True)


class DeviceWithSecretSchema(DeviceSchema):
    secret = ma.fields.String(metadata={"description": "Shown once: the device signs its requests with it"})


class DeviceArgsSchema(ma.Schema):
    kind = ma.fields.String(validate=validate.OneOf(DEVICE_KINDS))


DEVICE_PAST = timedelta(days=366)  # a device that buffered offline may send up to a year late
DEVICE_FUTURE = timedelta(minutes=10)  # clock skew; anything later is a wrong clock


class DeviceTime(ma.fields.AwareDateTime):
    """When a device saw something: within the last year and not more than 10 minutes ahead of our clock."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault(
            "description", "ISO 8601 with offset; within the last 366 days, at most 10 minutes ahead")
        super().__init__(default_timezone=None, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        when = super()._deserialize(value, attr, data, **kwargs)
        now = datetime.now(UTC)
        try:
            in_window = now - DEVICE_PAST <= when.astimezone(UTC) <= now + DEVICE_FUTURE
        except OverflowError:
            in_window = False
        if not in_window:
            raise ma.ValidationError("Must lie within the last 366 days and at most 10 minutes ahead.")
        return when


def _now() -> datetime:
    return datetime.now(UTC)


class CaptureSchema(ma.Schema):
    event_id = ma.fields.String(required=True, validate=validate.Length(min=1, max=64),
                                metadata={"description": "The device's own id of this event: a resend is ignored"})
    detection = ma.fields.String(required=True, validate=validate.Length(max=32))
    label = ma.fields.String(load_default=None, validate=validate.Length(max=64))
    confidence = ma.fields.Float(required=True, validate=validate.Range(0, 1))
    captured_at = DeviceTime(required=True)
    plate = ma.fields.String(load_default=None, validate=validate.Length(max=16))
    snapshot = Base64Bytes(max_bytes=MAX_SNAPSHOT_BYTES, load_default=None, metadata={"description": "JPEG, base64"})


class CaptureOutSchema(ma.Schema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer(allow_none=True)
    media_id = ma.fields.Integer(allow_none=True)


class ReadingSchema(ma.Schema):
    kind = ma.fields.String(required=True, validate=validate.Length(max=24))
    measured_at = DeviceTime(load_default=_now, metadata={
        "description": "ISO 8601 with offset, within the last 366 days; omitted: when it arrives"})
    value = ma.fields.Float(required=True, allow_nan=False)


class ReadingBatchSchema(ma.Schema):
    readings = ma.fields.List(ma.fields.Nested(ReadingSchema), required=True,
                              validate=validate.Length(min=1, max=5000))


class ReadingResultSchema(ma.Schema):
    stored = ma.fields.Integer()
    alerts_opened = ma.fields.Integer()
    alerts_cleared = ma.fields.Integer()


class DronePhotoSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = ma.fields.String(load_default="wgs84", validate=validate.OneOf(("wgs84", "gcj02")))
    captured_at = DeviceTime(required=True)
    image = Base64Bytes(max_bytes=10 * 1024 * 1024, required=True)


class DroneBatchSchema(ma.Schema):
    photos = ma.fields.List(ma.fields.Nested(DronePhotoSchema), required=True, validate=validate.Length(min=1, max=20),
                            metadata={"description": "at most 20 photos and DRONE_BATCH_MAX_BYTES (64 MB) of body"})


class DroneBatchResultSchema(ma.Schema):
    case_ids = ma.fields.List(ma.fields.Integer())


class SensorTypeSchema(ma.Schema):
    kind = ma.fields.String()
    unit = ma.fields.String()
    alert_above = ma.fields.Float()
    clear_below = ma.fields.Float()
    category_code = ma.fields.String()


class SensorTypeSetSchema(ma.Schema):
    alert_above = ma.fields.Float(required=True)
    clear_below = ma.fields.Float(required=True)

    @ma.validates_schema
    def _hysteresis(self, data, **kwargs):
        if data["clear_below"] > data["alert_above"]:
            raise ma.ValidationError("clear_below must not exceed alert_above", "clear_below")
