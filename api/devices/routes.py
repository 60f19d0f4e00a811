"""Device registry (admin) and the signed webhooks devices call."""

from flask import current_app, request
from flask.views import MethodView

from api.access import current_user, requires
from api.devices import queries, service
from api.devices.auth import current_device, device_signed
from api.devices.errors import (
    DeviceCodeTaken,
    DeviceNotFound,
    DeviceRequestReplayed,
    DeviceRequestStale,
    DeviceSignatureInvalid,
    UnknownDetection,
    WrongDeviceKind,
)
from api.devices.schemas import (
    CaptureOutSchema,
    CaptureSchema,
    DeviceArgsSchema,
    DeviceRegisterSchema,
    DeviceSchema,
    DeviceWithSecretSchema,
    DroneBatchResultSchema,
    DroneBatchSchema,
    ReadingBatchSchema,
    ReadingResultSchema,
    SensorTypeSchema,
    SensorTypeSetSchema,
)
from api.extensions import Blueprint
from api.media.errors import NotAnImage, PhotoCorrupt, PhotoFormatUnsupported, PhotoTooLarge, PhotoTooManyPixels
from api.organisation.errors import LocationOutsideDistrict
from api.organisation.grids import check_in_district
from api.roles import STAFF_ROLES, Role

admin_blp = Blueprint("devices_admin", __name__, url_prefix="/admin",
                      description="Cameras, sensors and drones: registration, secrets, sensor thresholds")
blp = Blueprint("device_webhooks", __name__, url_prefix="/devices",
                description="Signed webhooks called by devices (X-Timestamp, X-Nonce, X-Signature: see "
                            "docs/devices-and-map.md)")


@blp.before_request
def _drone_batches_may_be_larger() -> None:
    """A drone batch carries several full-size photos: its own body limit instead of the app's."""
    if request.path.endswith("/drone-batches"):
        request.max_content_length = current_app.config["DRONE_BATCH_MAX_BYTES"]


SIGNED = (DeviceSignatureInvalid, DeviceRequestStale, DeviceRequestReplayed)
SNAPSHOT = (PhotoTooLarge, NotAnImage, PhotoFormatUnsupported, PhotoTooManyPixels, PhotoCorrupt)


def with_secret(device, secret: str) -> dict:
    """The device's fields (as objects: the response schema dumps them once) and its secret."""
    return {**{name: getattr(device, name) for name in DeviceSchema().fields}, "secret": secret}


@admin_blp.route("/devices")
class Devices(MethodView):
    @requires(*STAFF_ROLES)
    @admin_blp.arguments(DeviceArgsSchema, location="query")
    @admin_blp.response(200, DeviceSchema(many=True))
    def get(self, args):
        """Registered devices, with when each was last heard from"""
        return queries.list_devices(args.get("kind"))

    @requires(Role.ADMIN)
    @admin_blp.arguments(DeviceRegisterSchema)
    @admin_blp.response(201, DeviceWithSecretSchema)
    @admin_blp.errors(UnknownDetection, DeviceCodeTaken, LocationOutsideDistrict)
    def post(self, body):
        """Register a device; its signing secret is in the answer, once

        The device must stand in the district; its grid and street are found from its position; the secret is
        stored sealed (event `registered`).
        """
        device, secret = service.register(body, current_user().id)
        return with_secret(device, secret)


@admin_blp.route("/devices/<int:device_id>/rotate-secret")
class RotateSecret(MethodView):
    @requires(Role.ADMIN)
    @admin_blp.response(200, DeviceWithSecretSchema)
    @admin_blp.errors(DeviceNotFound)
    def post(self, device_id: int):
        """A new signing secret (the old one stops working at once)

        The new secret is in the answer, once, and is kept only if the answer can be given (event
        `secret_rotated`); any failure leaves the old secret working.
        """
        device, secret = service.rotate_secret(device_id, current_user().id)
        answer = with_secret(device, secret)
        DeviceWithSecretSchema().dump(answer)  # the answer can be given: only then (unit of work) is it kept
        return answer


@admin_blp.route("/sensor-types")
class SensorTypes(MethodView):
    @requires(*STAFF_ROLES)
    @admin_blp.response(200, SensorTypeSchema(many=True))
    def get(self):
        """Sensor kinds with their alert thresholds (hysteresis: alert above, clear below)"""
        return sorted(service.sensor_types().values(), key=lambda t: t.kind)


@admin_blp.route("/sensor-types/<kind>")
class SensorTypeByKind(MethodView):
    @requires(Role.ADMIN)
    @admin_blp.arguments(SensorTypeSetSchema)
    @admin_blp.response(200, SensorTypeSchema)
    @admin_blp.errors(UnknownDetection)
    def put(self, body, kind: str):
        """Set a sensor kind's thresholds

        Alert above `alert_above`, clear only below `clear_below` (hysteresis); applies to the next readings.
        """
        return service.set_sensor_type(kind, body["alert_above"], body["clear_below"], current_user().id)


@blp.route("/<code>/captures")
class Captures(MethodView):
    @device_signed
    @blp.arguments(CaptureSchema)
    @blp.response(201, CaptureOutSchema)
    @blp.errors(*SIGNED, WrongDeviceKind, UnknownDetection, *SNAPSHOT)
    def post(self, body):
        """A camera's detection with its snapshot: joins or opens the case of this camera, detection and grid

        Stores the capture and its snapshot, then joins the open case of this camera + detection + grid cell or
        opens one at the intake desk; a resent `event_id` answers the first capture; nothing is stored when the
        signature, the body or the snapshot is refused.
        """
        snapshot = body.pop("snapshot", None)
        return service.record_capture(current_device(), body, snapshot)


@blp.route("/<code>/readings")
class Readings(MethodView):
    @device_signed
    @blp.arguments(ReadingBatchSchema)
    @blp.response(201, ReadingResultSchema)
    @blp.errors(*SIGNED, WrongDeviceKind, UnknownDetection)
    def post(self, body):
        """A sensor's batch of readings (up to 5,000): stored, rolled up per hour, thresholds checked

        Inserts the readings, updates the hourly rollups and the alert state: above `alert_above` one alert case
        per sensor + kind, cleared only below `clear_below`.
        """
        return service.ingest_readings(current_device(), body["readings"])


@blp.route("/<code>/drone-batches")
class DroneBatches(MethodView):
    @device_signed
    @blp.arguments(DroneBatchSchema)
    @blp.response(201, DroneBatchResultSchema)
    @blp.errors(*SIGNED, WrongDeviceKind, LocationOutsideDistrict, *SNAPSHOT)
    def post(self, body):
        """Geotagged photos of suspected illegal construction: each a candidate case on the triage desk

        All photos valid or none stored; each becomes a case (source `drone`) with its photo and grid.
        """
        photos = []
        for p in body["photos"]:  # every point inside the district (422 otherwise), stored in WGS-84
            lat, lon = check_in_district(p["lat"], p["lon"], p["coord_system"])
            photos.append(({"lat": lat, "lon": lon, "captured_at": p["captured_at"]}, p["image"]))
        return {"case_ids": [c.id for c in service.record_drone_batch(current_device(), photos)]}


@blp.route("/<code>/heartbeat")
class Heartbeat(MethodView):
    @device_signed
    @blp.response(204)
    @blp.errors(*SIGNED)
    def post(self):
        """I am alive (devices with nothing to report; any signed call counts too)

        Records when the device was last heard from; a device back from silence gets `device_back` on its
        maintenance case.
        """
        service.heartbeat(current_device())

