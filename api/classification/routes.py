"""The classifier for staff: what it said about a case; for admins: versions and thresholds."""

from flask.views import MethodView

from api.access import current_user, requires
from api.cases import queries as case_queries
from api.cases.errors import CaseNotFound, CaseOutOfScope
from api.classification import queries, registry, service
from api.classification.errors import ModelIntegrityError, ModelVersionNotFound, UnknownCategory
from api.classification.schemas import (
    CODE,
    CaseClassificationSchema,
    ModelVersionSchema,
    ThresholdListSchema,
    ThresholdSchema,
    ThresholdSetSchema,
)
from api.config import get_config
from api.events.service import Actor
from api.extensions import Blueprint, InvalidInput
from api.roles import STAFF_ROLES, Role

blp = Blueprint("classifier", __name__, url_prefix="/classifier",
                description="Automatic intake: predictions per case, model versions, auto-dispatch thresholds")


@blp.route("/cases/<int:case_id>")
class CaseClassification(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, CaseClassificationSchema)
    @blp.errors(CaseNotFound, CaseOutOfScope)
    def get(self, case_id: int):
        """What the classifier said about a case's reports and photos, and what the pipeline did"""
        case = case_queries.get_for_staff(current_user(), case_id)
        return queries.for_case(case.id)


@blp.route("/versions")
class Versions(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, ModelVersionSchema(many=True))
    def get(self):
        """Trained versions, newest first, with their held-out metrics (train with `flask model train`)"""
        return registry.list_versions()


@blp.route("/versions/<name>/promote")
class Promote(MethodView):
    @requires(Role.ADMIN)
    @blp.response(200, ModelVersionSchema)
    @blp.errors(ModelVersionNotFound, ModelIntegrityError)
    def post(self, name: str):
        """Make a version the one workers use; they load it before their next job, without a restart

        The bundle's checksum is checked first (409 MODEL_BUNDLE_INVALID when it does not match); event
        `model_promoted`.
        """
        return registry.promote(name, Actor("staff", current_user().id))


@blp.route("/thresholds")
class Thresholds(MethodView):
    @requires(Role.ADMIN, Role.DISPATCHER)
    @blp.response(200, ThresholdListSchema)
    def get(self):
        """Per-小类 auto-dispatch thresholds (the default applies to the rest)"""
        return {"default": get_config().CLASSIFY_THRESHOLD, "items": service.list_thresholds()}


@blp.route("/thresholds/<category_code>")
class ThresholdByCategory(MethodView):
    @requires(Role.ADMIN)
    @blp.arguments(ThresholdSetSchema)
    @blp.response(200, ThresholdSchema)
    @blp.errors(InvalidInput, UnknownCategory)
    def put(self, body, category_code: str):
        """Set a 小类's threshold: above it a confident case is accepted and dispatched automatically

        Stored per 小类 (event `threshold_set`); the classify workers read it on their next decision.
        """
        try:
            CODE(category_code)
        except Exception as exc:  # noqa: BLE001 - marshmallow's ValidationError for a path segment
            raise InvalidInput(details={"fields": {"category_code": ["Must look like event:01-02."]}}) from exc
        return service.set_threshold(category_code, body["threshold"], current_user().id)
