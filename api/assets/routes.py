"""Components and material stock (imports are CLI commands: `flask components-import`, `materials-import`)."""

from flask.views import MethodView

from api.access import requires
from api.assets import service
from api.assets.errors import ComponentNotFound
from api.assets.models import Component
from api.assets.schemas import ComponentSchema, StockArgsSchema, StockSchema
from api.db import Session
from api.extensions import Blueprint
from api.roles import STAFF_ROLES

blp = Blueprint("assets", __name__, url_prefix="/admin", description="城市部件 and 城管物资 registries")


@blp.route("/components/<code>")
class ComponentByCode(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, ComponentSchema)
    @blp.errors(ComponentNotFound)
    def get(self, code: str):
        """One component by its 16-digit code"""
        component = Session.get(Component, code)
        if component is None:
            raise ComponentNotFound()
        return component


@blp.route("/stock")
class MaterialStock(MethodView):
    @requires(*STAFF_ROLES)
    @blp.arguments(StockArgsSchema, location="query")
    @blp.response(200, StockSchema(many=True))
    def get(self, args):
        """Materials in stock by depot"""
        return service.stock(args.get("material_code"))
