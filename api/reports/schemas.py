"""Report request and response schemas."""

import marshmallow as ma
from marshmallow import validate

from api.reports.categories import CATEGORIES
from api.reports.status import CITIZEN_STATUS_CODES
from api.timefmt import LocalDateTime


class LocationInSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = ma.fields.String(load_default="gcj02", validate=validate.OneOf(("gcj02", "wgs84")),
                                    metadata={"description": "wx.getLocation gives gcj02 by default"})


def not_blank(value: str) -> None:
    if not value.strip():
        raise ma.ValidationError("May not be blank.")


class CreateReportSchema(ma.Schema):
    description = ma.fields.String(required=True, validate=validate.And(validate.Length(min=2, max=500), not_blank))
    location = ma.fields.Nested(LocationInSchema, required=True)
    category_hint = ma.fields.String(validate=validate.OneOf([c.key for c in CATEGORIES]), allow_none=True)
    address_text = ma.fields.String(validate=validate.Length(max=200), allow_none=True)


class IdempotencyHeaderSchema(ma.Schema):
    idempotency_key = ma.fields.String(data_key="Idempotency-Key", validate=validate.Regexp(r"^[A-Za-z0-9_\-]{8,64}$"),
                                       metadata={"description": "Repeat a create safely: the same key answers "
                                                                "200 with the original report"})

    class Meta:
        unknown = ma.EXCLUDE


class PhotoUploadSchema(ma.Schema):
    photo = ma.fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ReasonSchema(ma.Schema):
    reason = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class RequiredReasonSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.And(validate.Length(min=2, max=500), not_blank))


class RatingSchema(ma.Schema):
    score = ma.fields.Integer(required=True, strict=True, validate=validate.Range(1, 5),
                              metadata={"description": "A whole number 1–5 (1.5 is refused, not rounded)"})
    comment = ma.fields.String(validate=validate.Length(max=500), allow_none=True)


class RatingOutSchema(RatingSchema):
    id = ma.fields.Integer()
    case_id = ma.fields.Integer()
    round = ma.fields.Integer()
    created_at = LocalDateTime()


class MyReportsArgsSchema(ma.Schema):
    page = ma.fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    page_size = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    status = ma.fields.String(validate=validate.OneOf(CITIZEN_STATUS_CODES))


class PointSchema(ma.Schema):
    lat = ma.fields.Float()
    lon = ma.fields.Float()


class LocationOutSchema(ma.Schema):
    wgs84 = ma.fields.Nested(PointSchema)
    gcj02 = ma.fields.Nested(PointSchema, metadata={"description": "For the mini-program's map"})


class PhotoSchema(ma.Schema):
    id = ma.fields.Integer()
    width = ma.fields.Integer()
    height = ma.fields.Integer()
    content_type = ma.fields.String()
    captured_at = LocalDateTime(allow_none=True)
    urls = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String(),
                          metadata={"description": "Expiring links: original, display, thumb"})


class TimelineEntrySchema(ma.Schema):
    action = ma.fields.String()
    label = ma.fields.String()
    at = LocalDateTime()
    remark = ma.fields.String(allow_none=True, metadata={
        "description": "Your own reason (withdraw, reopen) or the remark the office wrote for you"})


class ResultSchema(ma.Schema):
    text = ma.fields.String(allow_none=True)
    closed_at = LocalDateTime(allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema), metadata={"description": "After-photos"})


class ReportSchema(ma.Schema):
    id = ma.fields.Integer()
    report_no = ma.fields.String()
    case_no = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"description": "Citizen-facing status code",
                                        "enum": list(CITIZEN_STATUS_CODES)})
    status_label = ma.fields.String()
    description = ma.fields.String()
    category_hint = ma.fields.String(allow_none=True)
    category_label = ma.fields.String(allow_none=True)
    address_text = ma.fields.String(allow_none=True)
    location = ma.fields.Nested(LocationOutSchema)
    created_at = LocalDateTime()
    submitted_at = LocalDateTime(allow_none=True)
    photos = ma.fields.List(ma.fields.Nested(PhotoSchema))


class MyRatingSchema(ma.Schema):
    score = ma.fields.Integer()
    comment = ma.fields.String(allow_none=True)
    round = ma.fields.Integer(metadata={"description": "1, or 2 and up for the outcome after a reopen"})
    created_at = LocalDateTime()


class ProgressSchema(ma.Schema):
    department_name = ma.fields.String(allow_none=True, metadata={"description": "Who is handling it"})
    expected_finish_at = LocalDateTime(allow_none=True, metadata={"description": "The handling deadline"})
    rating = ma.fields.Nested(MyRatingSchema, allow_none=True, metadata={"description": "Your latest rating"})
    round = ma.fields.Integer(metadata={"description": "The outcome round a rating now would rate"})
    can_withdraw = ma.fields.Boolean()
    can_rate = ma.fields.Boolean()
    can_reopen = ma.fields.Boolean()
    reopens_left = ma.fields.Integer()
    until = LocalDateTime(allow_none=True, metadata={"description": "Rate or reopen until then"})


class ReportDetailSchema(ReportSchema):
    progress = ma.fields.Nested(ProgressSchema, allow_none=True, metadata={
        "description": "What you can do next and until when; null for a draft"})
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))
    result = ma.fields.Nested(ResultSchema, metadata={"description": "Once resolved: what was done, after-photos"})


class ReportPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ReportSchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer()


class CitizenCategorySchema(ma.Schema):
    key = ma.fields.String()
    label = ma.fields.String()
    gbt_hints = ma.fields.List(ma.fields.String())
