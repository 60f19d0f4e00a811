"""The citizen's report views and actions: list, detail with progress and timeline, withdraw, reopen, rate."""

import marshmallow as ma
from marshmallow import validate

from api.citizen.status import CITIZEN_STATUS_CODES
from api.paging import PageArgs
from api.reports.schemas import PhotoSchema, ReportSchema, not_blank
from api.timefmt import LocalDateTime


class ReportViewSchema(ReportSchema):
    status = ma.fields.String(metadata={"description": "Citizen-facing status code",
                                        "enum": list(CITIZEN_STATUS_CODES)})


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


class MyReportsArgsSchema(PageArgs):
    status = ma.fields.String(validate=validate.OneOf(CITIZEN_STATUS_CODES))


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


class ReportDetailSchema(ReportViewSchema):
    progress = ma.fields.Nested(ProgressSchema, allow_none=True, metadata={
        "description": "What you can do next and until when; null for a draft"})
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema))
    result = ma.fields.Nested(ResultSchema, metadata={"description": "Once resolved: what was done, after-photos"})


class ReportPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ReportViewSchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer()
