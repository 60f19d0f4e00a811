"""The classifier's model versions, for admins: list them, promote one (workers pick it up, no restart)."""

from flask.views import MethodView

from api.access import current_user, requires
from api.classification import versions
from api.classification.errors import ModelIntegrityError, ModelVersionNotFound, PromotionRefused
from api.classification.schemas import ModelVersionSchema, PromoteSchema
from api.events.service import Actor
from api.extensions import Blueprint
from api.roles import Role

blp = Blueprint("classifier", __name__, url_prefix="/classifier",
                description="The classifier's model versions (train with `flask model train`)")


@blp.route("/versions")
class Versions(MethodView):
    @requires(Role.ADMIN, Role.INTAKE_CLERK, Role.DISPATCHER, Role.COMMAND_CENTRE)  # who labels reads how it does
    @blp.response(200, ModelVersionSchema(many=True))
    def get(self):
        """Trained versions, newest first, with their held-out metrics (train with `flask model train`)"""
        return versions.list_versions()


@blp.route("/versions/<name>/promote")
class Promote(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(PromoteSchema)
    @blp.response(200, ModelVersionSchema)
    @blp.errors(ModelVersionNotFound, ModelIntegrityError, PromotionRefused)
    def post(self, body, name: str):
        """Make a version the one workers use; they load it before their next job, without a restart

        The bundle's checksum is checked first (409 MODEL_BUNDLE_INVALID when it does not match); event
        `model_promoted`. `cold-start` is the way back to no trained model: the promoted version is retired. The
        promotion gate's verdict must have passed against today's production version (409 MODEL_GATE_REFUSED
        with the reasons), unless `force_reason` says why it is promoted anyway (recorded with the promotion).
        """
        return versions.promote(name, Actor("staff", current_user().id), force_reason=body.get("force_reason"))

