"""Admin endpoints for the 权责清单."""

from flask.views import MethodView

from api.events.service import Actor
from api.extensions import Blueprint
from api.identity.access import current_user, requires
from api.identity.roles import Role
from api.routing import service
from api.routing.schemas import (
    OwnerSchema,
    ResolveArgsSchema,
    ResponsibilityArgsSchema,
    ResponsibilitySchema,
    ResponsibilitySetSchema,
)

blp = Blueprint("responsibilities", __name__, url_prefix="/admin/responsibilities",
                description="权责清单: 小类 × street → department, the street office as owner of last resort")
READERS = (Role.ADMIN, Role.DISPATCHER, Role.INTAKE_CLERK, Role.COMMAND_CENTRE, Role.DEPT_HEAD)


@blp.route("")
class Responsibilities(MethodView):
    @requires(*READERS)
    @blp.arguments(ResponsibilityArgsSchema, location="query")
    @blp.response(200, ResponsibilitySchema(many=True))
    @blp.errors(400)
    def get(self, args):
        """The 权责清单, optionally for one class"""
        return service.list_rules(args.get("category_code"))

    @requires(Role.ADMIN)
    @blp.arguments(ResponsibilitySetSchema)
    @blp.response(200, ResponsibilitySchema)
    @blp.errors(400, 404)
    def put(self, body):
        """Set who handles a class in a street (or district-wide when division_code is null)"""
        return service.set_rule(body["category_code"], body["division_code"], body["department_code"],
                                Actor("staff", current_user().id))


@blp.route("/<int:rule_id>")
class ResponsibilityById(MethodView):
    @requires(Role.ADMIN)
    @blp.response(204)
    @blp.errors(404)
    def delete(self, rule_id: int):
        """Remove a line (the district rule or the street office then applies)"""
        service.delete_rule(rule_id, Actor("staff", current_user().id))


@blp.route("/resolve")
class ResponsibilityResolve(MethodView):
    @requires(*READERS)
    @blp.arguments(ResolveArgsSchema, location="query")
    @blp.response(200, OwnerSchema)
    @blp.errors(400, 404)
    def get(self, args):
        """Who is responsible for a class in a street, and on what basis"""
        return service.responsible(args["category_code"], args["street_code"])
