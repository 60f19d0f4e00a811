"""Automatic intake schemas: what the pipeline did per report, the per-小类 thresholds."""

import marshmallow as ma
from marshmallow import validate

from api.classification.schemas import PhotoPredictionSchema
from api.timefmt import LocalDateTime

CODE = validate.Regexp(r"^(event|component):\d{2}-\d{2}$")


class ThresholdSchema(ma.Schema):
    category_code = ma.fields.String()
    threshold = ma.fields.Float()
    updated_at = LocalDateTime()


class ThresholdSetSchema(ma.Schema):
    threshold = ma.fields.Float(required=True, validate=validate.Range(min=0.05, max=1.0))


class ThresholdItemSchema(ThresholdSetSchema):
    category_code = ma.fields.String(required=True, validate=CODE)


class ThresholdBatchSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ThresholdItemSchema), required=True,
                           validate=validate.Length(min=1, max=500))


class AutoDispatchSchema(ma.Schema):
    enabled = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))


class AutoDispatchStateSchema(ma.Schema):
    enabled = ma.fields.Boolean(metadata={"description": "Whether confident cases are dispatched automatically now"})
    switch = ma.fields.Boolean(metadata={"description": "The operator's switch (PUT /classifier/auto-dispatch)"})
    deployment = ma.fields.Boolean(metadata={"description": "AUTO_DISPATCH, the deployment's setting"})
    reason = ma.fields.String(allow_none=True)
    updated_at = LocalDateTime(allow_none=True)


class ThresholdListSchema(ma.Schema):
    default = ma.fields.Float(metadata={"description": "CLASSIFY_THRESHOLD, for 小类 without their own"})
    items = ma.fields.List(ma.fields.Nested(ThresholdSchema))


class ReportClassificationSchema(ma.Schema):
    report_id = ma.fields.Integer()
    model_version = ma.fields.String()
    category_code = ma.fields.String(allow_none=True)
    confidence = ma.fields.Float()
    top3 = ma.fields.List(ma.fields.Dict())
    signals = ma.fields.Dict()
    decision = ma.fields.String(metadata={"description": "auto_accepted | verification | triage | merged | "
                                                         "staff_first"})
    reason = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()


class CaseClassificationSchema(ma.Schema):
    case_id = ma.fields.Integer()
    reports = ma.fields.List(ma.fields.Nested(ReportClassificationSchema))
    photos = ma.fields.List(ma.fields.Nested(PhotoPredictionSchema))
