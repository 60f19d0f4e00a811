"""Admin endpoints: divisions, departments, unit grids, point → grid."""

from flask.views import MethodView

from api import geo
from api.access import current_user, requires
from api.events.service import Actor
from api.extensions import Blueprint
from api.organisation import grids, queries, service
from api.organisation.errors import NoGridHere
from api.organisation.schemas import (
    DepartmentCreateSchema,
    DepartmentSchema,
    DivisionSchema,
    GridArgsSchema,
    GridHitSchema,
    GridPageSchema,
    LocateArgsSchema,
)
from api.organisation.service import DepartmentExists
from api.roles import STAFF_ROLES, Role

blp = Blueprint("organisation", __name__, url_prefix="/admin",
                description="Streets, communities, departments and unit grids")
STAFF = tuple(STAFF_ROLES)


@blp.route("/divisions")
class Divisions(MethodView):
    @requires(*STAFF)
    @blp.response(200, DivisionSchema(many=True))
    def get(self):
        """The district, its 20 streets and 4 towns (official codes), and communities"""
        return queries.divisions()


@blp.route("/departments")
class Departments(MethodView):
    @requires(*STAFF)
    @blp.response(200, DepartmentSchema(many=True))
    def get(self):
        """District departments and street offices"""
        return queries.departments()

    @requires(Role.ADMIN)
    @blp.arguments(DepartmentCreateSchema)
    @blp.response(201, DepartmentSchema)
    @blp.errors(DepartmentExists)
    def post(self, body):
        """Add a district department

        Event `department_added`; it can then be named in the 权责清单 and staff scoped to it.
        """
        return service.add_department(body["code"], body["name"], Actor("staff", current_user().id))


@blp.route("/grids")
class Grids(MethodView):
    @requires(*STAFF)
    @blp.arguments(GridArgsSchema, location="query")
    @blp.response(200, GridPageSchema)
    def get(self, args):
        """Unit grids (单元网格) with their polygons, by street, paged"""
        items, total = queries.grids_page(args.get("street_code"), args["page"], args["page_size"])
        return {"items": items, "page": args["page"], "page_size": args["page_size"], "total": total}


@blp.route("/grids/locate")
class GridLocate(MethodView):
    @requires(*STAFF)
    @blp.arguments(LocateArgsSchema, location="query")
    @blp.response(200, GridHitSchema)
    @blp.errors(NoGridHere)
    def get(self, args):
        """The grid a point falls in (or the nearest within 200 m)"""
        lat, lon = geo.to_wgs84(args["lat"], args["lon"], args["coord_system"])
        hit = grids.place_of(lat, lon)
        if hit is None:
            raise NoGridHere(details={"lat": lat, "lon": lon})
        return hit
