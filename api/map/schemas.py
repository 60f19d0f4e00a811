"""Map arguments."""

import math

import marshmallow as ma
from marshmallow import validate

from api.assets.models import COMPONENT_STATES
from api.cases.lifecycle import CaseStatus
from api.devices.models import DEVICE_KINDS


class BBox(ma.fields.Field):
    """min_lon,min_lat,max_lon,max_lat (WGS-84)."""

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            parts = [float(v) for v in str(value).split(",")]
        except ValueError as exc:
            raise ma.ValidationError("bbox must be four numbers: min_lon,min_lat,max_lon,max_lat") from exc
        if len(parts) != 4 or not all(math.isfinite(p) for p in parts) or not (
                -180 <= parts[0] < parts[2] <= 180 and -90 <= parts[1] < parts[3] <= 90):
            raise ma.ValidationError("bbox must be min_lon,min_lat,max_lon,max_lat with min < max")
        if parts[2] - parts[0] > 5 or parts[3] - parts[1] > 5:
            raise ma.ValidationError("bbox may span at most 5 degrees")
        return tuple(parts)


class LayerArgsSchema(ma.Schema):
    bbox = BBox(required=True, metadata={"description": "min_lon,min_lat,max_lon,max_lat in coord_system"})
    coord_system = ma.fields.String(load_default="wgs84", validate=validate.OneOf(("wgs84", "gcj02")), metadata={
        "description": "The bbox's datum; geometry is always WGS-84 (RFC 7946), GCJ-02 is in each feature's "
                       "properties"})
    zoom = ma.fields.Integer(required=True, validate=validate.Range(0, 22),
                             metadata={"description": "map zoom; below 15 the layer comes clustered"})
    status = ma.fields.List(ma.fields.String(validate=validate.OneOf([str(s) for s in CaseStatus])))
    category_code = ma.fields.String(validate=validate.Regexp(r"^(event|component):\d{2}-\d{2}$"))
    state = ma.fields.String(validate=validate.OneOf(COMPONENT_STATES))
    kind = ma.fields.String(validate=validate.OneOf(DEVICE_KINDS))


class FeatureCollectionSchema(ma.Schema):
    type = ma.fields.String()
    features = ma.fields.List(ma.fields.Dict())
    clustered = ma.fields.Boolean()
    truncated = ma.fields.Boolean()
    cell_degrees = ma.fields.Float()
    total = ma.fields.Integer()


class StreetSummarySchema(ma.Schema):
    street_code = ma.fields.String()
    name = ma.fields.String()
    cases = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                           metadata={"description": "open cases by status"})
    overdue = ma.fields.Integer()
    components = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(),
                                metadata={"description": "components by state"})
    devices = ma.fields.Integer()
    silent_devices = ma.fields.Integer()
