"""Admin endpoints for the GB/T 30428 classes (versioned)."""

from flask.views import MethodView

from api.access import current_user, requires
from api.events.service import Actor
from api.extensions import Blueprint
from api.roles import Role
from api.taxonomy import service
from api.taxonomy.errors import CategoryExists, CategoryNotFound, CategoryVersionConflict, NothingChanged
from api.taxonomy.schemas import CategoryArgsSchema, CategoryCreateSchema, CategoryEditSchema, CategorySchema

blp = Blueprint("categories", __name__, url_prefix="/admin/categories",
                description="GB/T 30428 事件/部件 classes: conditions, time limits, versions")
READERS = (Role.ADMIN, Role.DISPATCHER, Role.INTAKE_CLERK, Role.COMMAND_CENTRE, Role.DEPT_HEAD)


def _actor() -> Actor:
    return Actor("staff", current_user().id)


@blp.route("")
class Categories(MethodView):
    @requires(*READERS)
    @blp.arguments(CategoryArgsSchema, location="query")
    @blp.response(200, CategorySchema(many=True))
    def get(self, args):
        """Current version of every class, filterable by kind and 大类"""
        return service.list_current(args.get("kind"), args.get("major_code"))

    @requires(Role.ADMIN)
    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategorySchema)
    @blp.errors(CategoryExists)
    def post(self, body):
        """Add an extension (扩展) class

        Version 1 of a new class (event `category_created`); existing classes are edited with PATCH.
        """
        return service.add_extension(body, _actor())


@blp.route("/<string:code>")
class CategoryByCode(MethodView):
    @requires(*READERS)
    @blp.response(200, CategorySchema)
    @blp.errors(CategoryNotFound)
    def get(self, code: str):
        """The current version of one class (code like `event:01-02`)"""
        return service.current(code)

    @requires(Role.ADMIN)
    @blp.arguments(CategoryEditSchema)
    @blp.response(200, CategorySchema)
    @blp.errors(CategoryNotFound, CategoryVersionConflict, NothingChanged)
    def patch(self, body, code: str):
        """Edit a class: writes a new version (cases keep the version they were filed under)

        `expected_version` must be the current version (409 CATEGORY_VERSION_CONFLICT otherwise).
        """
        expected = body.pop("expected_version")
        return service.edit(code, expected, body, _actor())


@blp.route("/<string:code>/versions")
class CategoryVersions(MethodView):
    @requires(*READERS)
    @blp.response(200, CategorySchema(many=True))
    @blp.errors(CategoryNotFound)
    def get(self, code: str):
        """Every version of one class, oldest first"""
        return service.history(code)
