"""The automatic intake for staff: what it said and did about a case; for admins: the auto-dispatch thresholds."""

from flask.views import MethodView

from api.access import current_user, requires
from api.cases import queries as case_queries
from api.cases.errors import CaseNotFound, CaseOutOfScope
from api.classification.errors import UnknownCategory
from api.config import get_config
from api.extensions import Blueprint, InvalidInput
from api.intake import queries, thresholds
from api.intake.schemas import (
    CODE,
    CaseClassificationSchema,
    ThresholdListSchema,
    ThresholdSchema,
    ThresholdSetSchema,
)
from api.roles import STAFF_ROLES, Role

blp = Blueprint("intake", __name__, url_prefix="/classifier",
                description="Automatic intake: what it said and did per case, auto-dispatch thresholds")


@blp.route("/cases/<int:case_id>")
class CaseClassification(MethodView):
    @requires(*STAFF_ROLES)
    @blp.response(200, CaseClassificationSchema)
    @blp.errors(CaseNotFound, CaseOutOfScope)
    def get(self, case_id: int):
        """What the classifier said about a case's reports and photos, and what the pipeline did"""
        case = case_queries.get_for_staff(current_user(), case_id)
        return queries.for_case(case.id)


@blp.route("/thresholds")
class Thresholds(MethodView):
    @requires(Role.ADMIN, Role.DISPATCHER)
    @blp.response(200, ThresholdListSchema)
    def get(self):
        """Per-小类 auto-dispatch thresholds (the default applies to the rest)"""
        return {"default": get_config().CLASSIFY_THRESHOLD, "items": thresholds.list_thresholds()}


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
        return thresholds.set_threshold(category_code, body["threshold"], current_user().id)
