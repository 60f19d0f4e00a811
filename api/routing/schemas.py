"""权责清单 schemas."""

import marshmallow as ma
from marshmallow import validate

CODE = validate.Regexp(r"^(event|component):\d{2}-\d{2}$")


class ResponsibilitySchema(ma.Schema):
    id = ma.fields.Integer()
    category_code = ma.fields.String()
    division_code = ma.fields.String(allow_none=True, metadata={"description": "NULL: district-wide"})
    department_id = ma.fields.Integer()


class ResponsibilitySetSchema(ma.Schema):
    category_code = ma.fields.String(required=True, validate=CODE)
    division_code = ma.fields.String(load_default=None, allow_none=True, validate=validate.Regexp(r"^\d{12}$"))
    department_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))


class ResponsibilityArgsSchema(ma.Schema):
    category_code = ma.fields.String(validate=CODE)


class ResolveArgsSchema(ma.Schema):
    category_code = ma.fields.String(required=True, validate=CODE)
    street_code = ma.fields.String(load_default=None, validate=validate.Regexp(r"^\d{12}$"))


class OwnerSchema(ma.Schema):
    department_id = ma.fields.Function(lambda o: o.department.id)
    department_code = ma.fields.Function(lambda o: o.department.code)
    department_name = ma.fields.Function(lambda o: o.department.name)
    basis = ma.fields.String(metadata={"description": "street_rule | district_rule | territorial (属地兜底)"})
