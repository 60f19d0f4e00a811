"""Admin endpoints for the 权责清单."""

from flask.views import MethodView

from api.access import current_user, requires
from api.events.service import Actor
from api.extensions import Blueprint
from api.roles import Role
from api.routing import service
from api.routing.errors import NoOwner, RuleNotFound, UnknownDepartment, UnknownStreet
from api.routing.schemas import (
    OwnerSchema,
    ResolveArgsSchema,
    ResponsibilityArgsSchema,
    ResponsibilitySchema,
    ResponsibilitySetSchema,
)
from api.taxonomy.errors import CategoryNotFound

blp = Blueprint("responsibilities", __name__, url_prefix="/admin/responsibilities",
                description="权责清单: 小类 × street → department, the street office as owner of last resort")
READERS = (Role.ADMIN, Role.DISPATCHER, Role.INTAKE_CLERK, Role.COMMAND_CENTRE, Role.DEPT_HEAD)


@blp.route("")
class Responsibilities(MethodView):
    @requires(*READERS)
    @blp.arguments(ResponsibilityArgsSchema, location="query")
    @blp.response(200, ResponsibilitySchema(many=True))
    def get(self, args):
        """The 权责清单, optionally for one class"""
        return service.list_rules(args.get("category_code"))

    @requires(Role.ADMIN)
    @blp.arguments(ResponsibilitySetSchema)
    @blp.response(200, ResponsibilitySchema)
    @blp.errors(UnknownDepartment, UnknownStreet, CategoryNotFound)
    def put(self, body):
        """Set who handles a class in a street (or district-wide when division_code is null)

        Creates or replaces the line (event `responsibility_set` with the previous department); later dispatches
        follow it.
        """
        return service.set_rule(body["category_code"], body["division_code"], body["department_code"],
                                Actor("staff", current_user().id))


@blp.route("/<int:rule_id>")
class ResponsibilityById(MethodView):
    @requires(Role.ADMIN)
    @blp.response(204)
    @blp.errors(RuleNotFound)
    def delete(self, rule_id: int):
        """Remove a line (the district rule or the street office then applies)

        Event `responsibility_deleted`.
        """
        service.delete_rule(rule_id, Actor("staff", current_user().id))


@blp.route("/resolve")
class ResponsibilityResolve(MethodView):
    @requires(*READERS)
    @blp.arguments(ResolveArgsSchema, location="query")
    @blp.response(200, OwnerSchema)
    @blp.errors(NoOwner, CategoryNotFound)
    def get(self, args):
        """Who is responsible for a class in a street, and on what basis"""
        return service.responsible(args["category_code"], args["street_code"])
