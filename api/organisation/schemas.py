"""Organisation schemas."""

import marshmallow as ma
from marshmallow import validate

from api.paging import page_args


class DivisionSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    parent_code = ma.fields.String(allow_none=True)
    is_demo = ma.fields.Boolean()


class DepartmentSchema(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "district | street_office"})
    division_code = ma.fields.String(allow_none=True)


class DepartmentCreateSchema(ma.Schema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_-]{1,31}$"))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))


class GridSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    community_code = ma.fields.String()
    street_code = ma.fields.String()
    is_demo = ma.fields.Boolean()
    geometry = ma.fields.Dict(metadata={"description": "GeoJSON, WGS-84"})


class GridArgsSchema(page_args(50, 500)):
    street_code = ma.fields.String(validate=validate.Regexp(r"^\d{12}$"))


class GridPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(GridSchema))
    page = ma.fields.Integer()
    page_size = ma.fields.Integer()
    total = ma.fields.Integer()


class LocateArgsSchema(ma.Schema):
    lat = ma.fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = ma.fields.Float(required=True, validate=validate.Range(-180, 180))
    coord_system = ma.fields.String(load_default="wgs84", validate=validate.OneOf(("gcj02", "wgs84")))


class GridHitSchema(ma.Schema):
    code = ma.fields.String()
    street_code = ma.fields.String()
    community_code = ma.fields.String()
    distance_m = ma.fields.Float(metadata={"description": "0 inside the grid; else the distance to the nearest"})
