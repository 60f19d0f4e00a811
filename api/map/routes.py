"""The one map for the command centre: layers and the per-street board."""

from flask.views import MethodView

from api.extensions import Blueprint
from api.identity.access import requires
from api.identity.roles import STAFF_ROLES
from api.map import queries
from api.map.schemas import FeatureCollectionSchema, LayerArgsSchema, StreetSummarySchema

blp = Blueprint("map", __name__, url_prefix="/map",
                description="一张地图: open cases, components, devices and sensors as GeoJSON; street summary")


@blp.route("/layers/<any(cases, components, devices, sensors):name>")
class Layer(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(LayerArgsSchema, location="query")
    @blp.response(200, FeatureCollectionSchema)
    @blp.errors(400)
    def get(self, args, name: str):
        """One layer inside a bbox (WGS-84): points at zoom ≥ 15, clusters with counts below"""
        return queries.layer(name, args["bbox"], args["zoom"], args)


@blp.route("/summary")
class Summary(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, StreetSummarySchema(many=True))
    def get(self):
        """Per street: open cases by status, overdue, components by state, devices (silent ones too)"""
        return queries.summary()
