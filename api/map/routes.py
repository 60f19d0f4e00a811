"""The one map for the command centre: layers and the per-street board."""

from flask.views import MethodView

from api.extensions import Blueprint
from api.geo import gcj02_to_wgs84
from api.identity.access import current_user, requires
from api.identity.roles import STAFF_ROLES
from api.map import queries
from api.map.schemas import FeatureCollectionSchema, LayerArgsSchema, StreetSummarySchema


def to_wgs84_bbox(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A bbox drawn on a GCJ-02 map, as the WGS-84 bbox of its corners (the shift is ~500 m and near-uniform)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    corners = [gcj02_to_wgs84(lat, lon) for lat, lon in ((min_lat, min_lon), (max_lat, max_lon),
                                                          (min_lat, max_lon), (max_lat, min_lon))]
    lats, lons = [c[0] for c in corners], [c[1] for c in corners]
    return min(lons), min(lats), max(lons), max(lats)


blp = Blueprint("map", __name__, url_prefix="/map",
                description="一张地图: open cases, components, devices and sensors as GeoJSON; street summary")


@blp.route("/layers/<any(cases, components, devices, sensors):name>")
class Layer(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(LayerArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    def get(self, args, name: str):
        """One layer inside a bbox (WGS-84): points at zoom ≥ 15, clusters with counts below"""
        bbox = args["bbox"]
        if args["coord_system"] == "gcj02":
            bbox = to_wgs84_bbox(bbox)
        return queries.layer(current_user(), name, bbox, args["zoom"], args)


@blp.route("/summary")
class Summary(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, StreetSummarySchema(many=True))
    def get(self):
        """Per street: open cases by status, overdue, components by state, devices (silent ones too)"""
        return queries.summary(current_user())
