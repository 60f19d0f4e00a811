"""Gas inspection schemas: the field app's batch and visits, the day list, plans, cycles, badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import marshmallow as ma
from marshmallow import validate

from api.gas.models import OUTCOMES, RESULTS, USER_TYPES
from api.timefmt import LocalDateTime, Month

CLIENT_ID = validate.Regexp(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                            error="must be a UUID")
CLOCK_SKEW = timedelta(minutes=10)


class PointSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = ma.fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    accuracy_m = ma.fields.Float(validate=validate.Range(min=0, max=10_000))


class AnswerSchema(ma.Schema):
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
    started_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    finished_at = ma.fields.AwareDateTime(required=True, default_timezone=None)
    checkin = ma.fields.Nested(PointSchema, required=True)
    override_reason = ma.fields.String(validate=validate.Length(min=2, max=200))
    checklist_version = ma.fields.String(required=True, validate=validate.Length(min=1, max=16))
    items = ma.fields.List(ma.fields.Nested(AnswerSchema), load_default=list, validate=validate.Length(max=40))
    signature_photo_id = ma.fields.String(validate=CLIENT_ID)
    note = ma.fields.String(validate=validate.Length(max=500))

    @ma.validates_schema
    def _times(self, data, **kwargs):
        if data["finished_at"] < data["started_at"]:
            raise ma.ValidationError("finished_at is before started_at", "finished_at")
        if data["finished_at"] > datetime.now(UTC) + CLOCK_SKEW:
            raise ma.ValidationError("finished_at is in the future", "finished_at")
        if data["finished_at"] - data["started_at"] > timedelta(hours=12):
            raise ma.ValidationError("a visit lasts at most 12 hours", "finished_at")


class BatchSchema(ma.Schema):
    visits = ma.fields.List(ma.fields.Raw(), required=True, validate=validate.Length(min=1, max=200),
                            metadata={"description": "visits (see VisitSchema), each answered on its own"})


class VisitAnswerSchema(ma.Schema):
    client_id = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "accepted | duplicate | conflict | rejected"})
    visit_id = ma.fields.Integer()
    state = ma.fields.String(metadata={"description": "applied | conflict"})
    conflict = ma.fields.String(allow_none=True)
    error = ma.fields.Dict(metadata={"description": "the error envelope's body, for a rejected visit"})


class BatchAnswerSchema(ma.Schema):
    results = ma.fields.List(ma.fields.Nested(VisitAnswerSchema))


class DayArgsSchema(ma.Schema):
    lat = ma.fields.Float(validate=validate.Range(min=-90, max=90))
    lon = ma.fields.Float(validate=validate.Range(min=-180, max=180))


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
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
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
    payload = ma.fields.String(metadata={"description": "what the badge's QR carries (signed)"})
    verify_url = ma.fields.String()


class BadgeArgsSchema(ma.Schema):
    p = ma.fields.String(required=True, validate=validate.Length(min=10, max=200))


class BadgeVerificationSchema(ma.Schema):
    genuine = ma.fields.Boolean()
    valid = ma.fields.Boolean(metadata={"description": "the inspector is active and holds the role today"})
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
    stars = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = ma.fields.String(validate=validate.Length(max=200))


class GasRatedSchema(ma.Schema):
    id = ma.fields.Integer()
    rating = ma.fields.Integer()
    rating_comment = ma.fields.String(allow_none=True)
    rated_at = LocalDateTime()
