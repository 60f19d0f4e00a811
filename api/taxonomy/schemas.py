"""Taxonomy schemas."""

import marshmallow as ma
from marshmallow import validate

from api.taxonomy.models import CLOCK_TYPES
from api.timefmt import LocalDateTime


class CategorySchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    kind = ma.fields.String()
    major_code = ma.fields.String()
    major_name = ma.fields.String()
    minor_code = ma.fields.String()
    name = ma.fields.String()
    filing_condition = ma.fields.String(metadata={"description": "立案条件"})
    closing_condition = ma.fields.String(metadata={"description": "结案条件"})
    time_limit = ma.fields.Float(metadata={"description": "处置时限, in the clock type's unit"})
    clock_type = ma.fields.String()
    needs_verification = ma.fields.Boolean()
    requires_after_photo = ma.fields.Boolean()
    is_safety = ma.fields.Boolean()
    version = ma.fields.Integer()
    is_current = ma.fields.Boolean()
    created_at = LocalDateTime()


class CategoryArgsSchema(ma.Schema):
    kind = ma.fields.String(validate=validate.OneOf(("event", "component")))
    major_code = ma.fields.String(validate=validate.Regexp(r"^\d{2}$"))


class _EditableFields(ma.Schema):
    name = ma.fields.String(validate=validate.Length(min=1, max=64))
    filing_condition = ma.fields.String(validate=validate.Length(min=1, max=2000))
    closing_condition = ma.fields.String(validate=validate.Length(min=1, max=2000))
    time_limit = ma.fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=24 * 365))
    clock_type = ma.fields.String(validate=validate.OneOf(CLOCK_TYPES))
    needs_verification = ma.fields.Boolean()
    requires_after_photo = ma.fields.Boolean()
    is_safety = ma.fields.Boolean()


class CategoryEditSchema(_EditableFields):
    expected_version = ma.fields.Integer(required=True, metadata={"description": "The version you edited"})


class CategoryCreateSchema(_EditableFields):
    kind = ma.fields.String(required=True, validate=validate.OneOf(("event", "component")))
    major_code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{2}$"))
    major_name = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    minor_code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{2}$"))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    filing_condition = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    closing_condition = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    time_limit = ma.fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False, max=24 * 365))
    clock_type = ma.fields.String(required=True, validate=validate.OneOf(CLOCK_TYPES))
