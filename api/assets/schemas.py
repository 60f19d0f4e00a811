"""Asset schemas."""

import marshmallow as ma

from api.timefmt import LocalDateTime


class ComponentSchema(ma.Schema):
    code = ma.fields.String()
    category_code = ma.fields.String()
    name = ma.fields.String()
    owner_department_id = ma.fields.Integer(allow_none=True)
    state = ma.fields.String()
    lat = ma.fields.Float()
    lon = ma.fields.Float()
    grid_code = ma.fields.String(allow_none=True)
    street_code = ma.fields.String(allow_none=True)
    updated_at = LocalDateTime()


class StockArgsSchema(ma.Schema):
    material_code = ma.fields.String()


class StockSchema(ma.Schema):
    depot_code = ma.fields.String()
    depot_name = ma.fields.String()
    street_code = ma.fields.String(allow_none=True)
    material_code = ma.fields.String()
    material_name = ma.fields.String()
    unit = ma.fields.String()
    quantity = ma.fields.Integer()
