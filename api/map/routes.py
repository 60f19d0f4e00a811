"""The one map for the command centre: layers and the per-street board."""

from flask.views import MethodView

from api.access import current_user, requires
from api.extensions import Blueprint
from api.geo import bbox_to_wgs84
from api.map import queries
from api.map.schemas import FeatureCollectionSchema, LayerArgsSchema, StreetSummarySchema
from api.roles import STAFF_ROLES

blp = Blueprint("map", __name__, url_prefix="/map",
                description="一张地图: open cases, components, devices and sensors as GeoJSON; street summary")


@blp.route("/layers/<any(cases, components, devices, sensors):name>")
class Layer(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(LayerArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    def get(self, args, name: str):
        """One layer inside a bbox: points at zoom ≥ 15, clusters with counts below

        The bbox is WGS-84, or GCJ-02 with `coord_system=gcj02`; geometry is WGS-84 (RFC 7946) and each feature
        carries its GCJ-02 point in `properties.gcj02`. Within the caller's scope, as the desks.
        """
        bbox = args["bbox"]
        if args["coord_system"] == "gcj02":
            bbox = bbox_to_wgs84(bbox)
        return queries.layer(current_user(), name, bbox, args["zoom"], args)


@blp.route("/summary")
class Summary(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, StreetSummarySchema(many=True))
    def get(self):
        """Per street: open cases by status, overdue, components by state, devices (silent ones too)"""
        return queries.summary(current_user())
