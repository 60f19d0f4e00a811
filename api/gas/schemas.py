"""Gas inspection schemas: the field app's batch and visits, the day list, plans, cycles, badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import marshmallow as ma
from marshmallow import validate

from api.extensions import time_problem
from api.gas.models import MEASURES, OUTCOMES, RESULTS, USER_TYPES
from api.reports.schemas import LocationOutSchema
from api.timefmt import LocalDateTime, Month

CLIENT_ID = validate.Regexp(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                            error="must be a UUID")
CLOCK_SKEW = timedelta(minutes=10)
COORD_SYSTEM = {"load_default": "gcj02", "validate": validate.OneOf(("gcj02", "wgs84")),
                "metadata": {"description": "the datum of lat/lon: wx.getLocation gives gcj02 by default"}}


def _api_time(value: datetime) -> None:
    problem = time_problem(value)
    if problem:
        raise ma.ValidationError(problem)


class CheckinSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = ma.fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    coord_system = ma.fields.String(**COORD_SYSTEM)
    accuracy_m = ma.fields.Float(validate=validate.Range(min=0, max=10_000))


class ChecklistAnswerSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    result = ma.fields.String(required=True, validate=validate.OneOf(RESULTS))
    photo_id = ma.fields.String(validate=CLIENT_ID, metadata={"description": "an uploaded photo's client id"})
    note = ma.fields.String(validate=validate.Length(max=200))


class VisitSchema(ma.Schema):
    """One visit as the field app recorded it (validated one by one: a bad visit does not refuse its batch)."""

    client_id = ma.fields.String(required=True, validate=CLIENT_ID)
    task_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    task_version = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    outcome = ma.fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    started_at = ma.fields.AwareDateTime(required=True, default_timezone=None, validate=_api_time)
    finished_at = ma.fields.AwareDateTime(required=True, default_timezone=None, validate=_api_time)
    checkin = ma.fields.Nested(CheckinSchema, required=True)
    override_reason = ma.fields.String(validate=validate.Length(min=2, max=200))
    checklist_version = ma.fields.String(required=True, validate=validate.Length(min=1, max=16))
    items = ma.fields.List(ma.fields.Nested(ChecklistAnswerSchema), load_default=list, validate=validate.Length(max=40))
    signature_photo_id = ma.fields.String(validate=CLIENT_ID)
    note = ma.fields.String(validate=validate.Length(max=500))
    measures = ma.fields.List(ma.fields.String(validate=validate.OneOf(MEASURES)), load_default=list,
                              validate=validate.Length(max=len(MEASURES)),
                              metadata={"description": "on-site measures taken: shut_valve (关阀), ventilate (通风), "
                                                       "evacuate (疏散)"})

    @ma.validates_schema
    def _times(self, data, **kwargs):
        if data["finished_at"] < data["started_at"]:
            raise ma.ValidationError("finished_at is before started_at", "finished_at")
        if data["finished_at"] > datetime.now(UTC) + CLOCK_SKEW:
            raise ma.ValidationError("finished_at is in the future", "finished_at")
        if data["finished_at"] - data["started_at"] > timedelta(hours=12):
            raise ma.ValidationError("a visit lasts at most 12 hours", "finished_at")
        if len(set(data["measures"])) != len(data["measures"]):
            raise ma.ValidationError("a measure is named twice", "measures")


class SealedVisit:
    """A visit of a batch as it came, held away from the request-wide input rules (the parser's walk refuses the
    whole body): the sync checks each visit against them on its own, so one bad visit never refuses its batch —
    an offline app resending that batch would otherwise fail forever."""

    __slots__ = ("raw",)

    def __init__(self, raw):
        self.raw = raw


class _SealedVisitField(ma.fields.Nested):
    """Documented as the Visit schema (a $ref in the OpenAPI document); loaded sealed, checked by the sync."""

    def __init__(self, **kwargs):
        super().__init__(VisitSchema, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return SealedVisit(value)


class BatchSchema(ma.Schema):
    visits = ma.fields.List(_SealedVisitField(), required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "visits (see the Visit schema), each answered on its own"})


class VisitAnswerSchema(ma.Schema):
    client_id = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "accepted | duplicate | conflict | rejected"})
    visit_id = ma.fields.Integer()
    state = ma.fields.String(metadata={"description": "applied | conflict"})
    conflict = ma.fields.String(allow_none=True)
    measures = ma.fields.List(ma.fields.String(), metadata={"description": "the on-site measures recorded"})
    error = ma.fields.Dict(metadata={"description": "the error envelope's body, for a rejected visit"})


class BatchAnswerSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(VisitAnswerSchema))


class DayArgsSchema(ma.Schema):
    lat = ma.fields.Float(validate=validate.Range(min=-90, max=90))
    lon = ma.fields.Float(validate=validate.Range(min=-180, max=180))
    coord_system = ma.fields.String(**COORD_SYSTEM)


class DayTaskSchema(ma.Schema):
    task_id = ma.fields.Integer()
    version = ma.fields.Integer(metadata={"description": "send it back with the visit"})
    kind = ma.fields.String()
    hazard_id = ma.fields.Integer(allow_none=True)
    due_on = ma.fields.Date()
    overdue = ma.fields.Boolean()
    misses = ma.fields.Integer()
    gas_user_id = ma.fields.Integer()
    number = ma.fields.String()
    user_type = ma.fields.String()
    supply = ma.fields.String()
    contact_name = ma.fields.String()
    phone = ma.fields.String()
    address = ma.fields.String()
    lat = ma.fields.Float(allow_none=True, metadata={"description": "WGS-84 (also in location)"})
    lon = ma.fields.Float(allow_none=True, metadata={"description": "WGS-84 (also in location)"})
    location = ma.fields.Nested(LocationOutSchema, allow_none=True, metadata={
        "description": "the gas user's point (else its premises'), WGS-84 and GCJ-02; null when there is none"})
    checklist = ma.fields.List(ma.fields.String(), metadata={"description": "the items that apply"})


class ChecklistItemSchema(ma.Schema):
    code = ma.fields.String()
    title = ma.fields.String()
    applies_to = ma.fields.String()
    level_on_fail = ma.fields.Integer()
    mandatory = ma.fields.Boolean()


class ChecklistSchema(ma.Schema):
    version = ma.fields.String()
    items = ma.fields.List(ma.fields.Nested(ChecklistItemSchema))


class GasPhotoUploadSchema(ma.Schema):
    photo = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class PhotoAnswerSchema(ma.Schema):
    client_id = ma.fields.String()
    media_id = ma.fields.Integer()


class PlanRequestSchema(ma.Schema):
    horizon_days = ma.fields.Integer(load_default=30, strict=True, validate=validate.Range(min=0, max=366))
    street_code = ma.fields.String(validate=validate.Length(max=12))


class PlanAnswerSchema(ma.Schema):
    planned = ma.fields.Integer()
    assigned = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())


class ReassignSchema(ma.Schema):
    inspector_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class TaskSchema(ma.Schema):
    id = ma.fields.Integer()
    gas_user_id = ma.fields.Integer()
    street_code = ma.fields.String()
    kind = ma.fields.String()
    hazard_id = ma.fields.Integer(allow_none=True)
    due_on = ma.fields.Date()
    status = ma.fields.String()
    inspector_id = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer()
    misses = ma.fields.Integer()
    done_at = LocalDateTime(allow_none=True)


class CycleSchema(ma.Schema):
    user_type = ma.fields.String(dump_only=True)
    months = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=60))
    source = ma.fields.String(required=True, validate=validate.Length(min=2, max=200),
                              metadata={"description": "the rule or decision behind the cycle"})
    updated_at = LocalDateTime(dump_only=True, allow_none=True)


class CycleArgsSchema(ma.Schema):
    user_type = ma.fields.String(required=True, validate=validate.OneOf(USER_TYPES))


class BadgeSchema(ma.Schema):
    inspector_id = ma.fields.Integer()
    payload = ma.fields.String(metadata={"description": "what the badge's QR carries (signed, with its issue day)"})
    verify_url = ma.fields.String()
    issued_on = ma.fields.Date()
    valid_until = ma.fields.Date(metadata={"description": "the last day it is valid (GAS_BADGE_VALID_DAYS)"})
    photo_url = ma.fields.String(allow_none=True, metadata={"description": "signed, expiring link"})


class BadgeArgsSchema(ma.Schema):
    p = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "the payload the badge's QR carries; a damaged or forged one is "
                                                  "answered forged (a phone gets the page saying so)"})


class BadgeVerificationSchema(ma.Schema):
    genuine = ma.fields.Boolean()
    valid = ma.fields.Boolean(metadata={"description": "status is valid: the badge is current and its holder an "
                                                       "active gas inspector today"})
    status = ma.fields.String(validate=validate.OneOf(("valid", "expired", "revoked", "forged")), metadata={
        "description": "valid | expired (past valid_until) | revoked (the holder is no longer an active inspector, "
                       "or a newer badge replaced this one) | forged (not signed by us)"})
    issued_on = ma.fields.Date(allow_none=True)
    valid_until = ma.fields.Date(allow_none=True)
    name = ma.fields.String()
    employer = ma.fields.String()
    photo_url = ma.fields.String(allow_none=True)
    visit_booked_today = ma.fields.Boolean(allow_none=True, metadata={
        "description": "with a citizen's token: a visit by this inspector is planned today at premises you bound"})
    advice = ma.fields.String()


class BindGasSchema(ma.Schema):
    number = ma.fields.String(required=True, validate=validate.Length(min=1, max=32),
                              metadata={"description": "燃气户号 or meter number"})
    check = ma.fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "the contact's full name or the phone's last four digits"})


class GasUserViewSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    user_type = ma.fields.String()
    supply = ma.fields.String()
    supplier = ma.fields.String()
    next_due_on = ma.fields.Date()


class UpcomingSchema(ma.Schema):
    task_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "periodic | reinspection"})
    due_on = ma.fields.Date()
    booked_for = ma.fields.Date(allow_none=True)
    booked_slot = ma.fields.String(allow_none=True, metadata={"description": "am | pm"})
    number = ma.fields.String()
    address = ma.fields.String()
    inspector = ma.fields.String(allow_none=True, metadata={"description": "the inspector's name, once assigned"})


class MyHazardSchema(ma.Schema):
    id = ma.fields.Integer()
    title = ma.fields.String()
    level_name = ma.fields.String(metadata={"description": "一级 | 二级 | 三级"})
    deadline_on = ma.fields.Date()
    status = ma.fields.String(metadata={"description": "open | rectified"})
    notice_url = ma.fields.String(metadata={"description": "the rectification notice (PDF, with your token)"})


class MyVisitSchema(UpcomingSchema):
    state = ma.fields.String(metadata={"description": "planned (a task to come) | visited (a visit made)"})
    visit_id = ma.fields.Integer(allow_none=True)
    visited_at = LocalDateTime(allow_none=True)
    outcome = ma.fields.String(allow_none=True, metadata={"description": "passed | hazards | refused | nobody_home"})
    record_url = ma.fields.String(allow_none=True, metadata={"description": "the visit record (PDF, with your token)"})
    hazards = ma.fields.List(ma.fields.Nested(MyHazardSchema))
    rating = ma.fields.Integer(allow_none=True, metadata={"description": "your score, once given"})
    may_rate = ma.fields.Boolean()


class InspectorArgsSchema(ma.Schema):
    inspector_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))


FORMATS = ("json", "csv", "xlsx")


class CoverageArgsSchema(ma.Schema):
    month_from = Month(required=True, metadata={"description": "first due month, YYYY-MM"})
    month_to = Month(required=True, metadata={"description": "last due month, YYYY-MM"})
    group_by = ma.fields.String(load_default="street", validate=validate.OneOf(("street", "community", "inspector")))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class HazardArgsSchema(ma.Schema):
    day_from = ma.fields.Date(required=True, metadata={"description": "first day found (Beijing)"})
    day_to = ma.fields.Date(required=True)
    group_by = ma.fields.String(load_default="item",
                                validate=validate.OneOf(("item", "street", "community", "inspector")))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class CoverageRowSchema(ma.Schema):
    street_code = ma.fields.String()
    street_name = ma.fields.String()
    group = ma.fields.String(metadata={"description": "the community or the inspector, when grouped so"})
    due = ma.fields.Integer()
    inspected = ma.fields.Integer()
    coverage = ma.fields.String(metadata={"description": "inspected / due, e.g. 87.50%"})
    refused = ma.fields.Integer()
    refusal_rate = ma.fields.String()
    no_show = ma.fields.Integer(metadata={"description": "tasks with at least one nobody-home visit"})
    no_show_rate = ma.fields.String()
    taken_over = ma.fields.Integer()


class HazardRowSchema(ma.Schema):
    group = ma.fields.String(metadata={"description": "the item code, community or inspector"})
    street_code = ma.fields.String()
    title = ma.fields.String()
    level = ma.fields.Integer()
    level_name = ma.fields.String()
    found = ma.fields.Integer()
    rectified = ma.fields.Integer()
    rectification_rate = ma.fields.String()
    mean_days_to_rectify = ma.fields.Float(allow_none=True)


class OpenHazardSchema(ma.Schema):
    id = ma.fields.Integer()
    item_code = ma.fields.String()
    level = ma.fields.Integer()
    deadline_on = ma.fields.Date()
    overdue = ma.fields.Boolean()
    case_id = ma.fields.Integer(allow_none=True)
    found_at = LocalDateTime()
    number = ma.fields.String()
    address = ma.fields.String()
    street_code = ma.fields.String()


class BookingSchema(ma.Schema):
    day = ma.fields.Date(required=True)
    slot = ma.fields.String(required=True, validate=validate.OneOf(("am", "pm")), metadata={"description": "am | pm"})


class GasRatingSchema(ma.Schema):
    """As a report is rated (api/citizen/schemas.py RatingSchema): `score`, a whole number 1–5."""

    score = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5),
                              metadata={"description": "A whole number 1–5 (1.5 is refused, not rounded)"})
    comment = ma.fields.String(validate=validate.Length(max=200), allow_none=True)


class GasRatedSchema(ma.Schema):
    id = ma.fields.Integer()
    score = ma.fields.Integer(attribute="rating")
    comment = ma.fields.String(attribute="rating_comment", allow_none=True)
    rated_at = LocalDateTime()
