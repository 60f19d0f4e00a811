"""The automatic intake for staff: what it said and did about a case; for admins: the auto-dispatch thresholds."""

from flask.views import MethodView

from api.access import current_user, requires
from api.cases import queries as case_queries
from api.cases.errors import CaseNotFound, CaseOutOfScope
from api.classification.errors import UnknownCategory
from api.config import get_config
from api.events.service import Actor
from api.extensions import Blueprint, InvalidInput
from api.intake import queries, switches, thresholds
from api.intake.schemas import (
    CODE,
    AutoDispatchSchema,
    AutoDispatchStateSchema,
    CaseClassificationSchema,
    ThresholdBatchSchema,
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


    @requires(Role.ADMIN)
    @blp.arguments(ThresholdBatchSchema)
    @blp.response(200, ThresholdSchema(many=True))
    @blp.errors(UnknownCategory)
    def put(self, body):
        """Set many 小类's thresholds at once, all or none (an unknown 小类 refuses the whole batch)

        Event `threshold_set` per 小类; the classify workers read them on their next decision.
        """
        return thresholds.set_thresholds(body["items"], current_user().id)


@blp.route("/auto-dispatch")
class AutoDispatch(MethodView):
    @requires(Role.ADMIN, Role.DISPATCHER, Role.COMMAND_CENTRE, Role.INTAKE_CLERK)
    @blp.response(200, AutoDispatchStateSchema)
    def get(self):
        """Whether confident cases are accepted and dispatched automatically now, and why not"""
        return _state()

    @requires(Role.ADMIN)
    @blp.arguments(AutoDispatchSchema)
    @blp.response(200, AutoDispatchStateSchema)
    def put(self, body):
        """The emergency brake: switch automatic dispatch off (or on again) for every worker at once, no restart

        The classify workers read the switch on each decision: off, every case waits at a desk with the model's
        suggestions (event `auto_dispatch_switched` with the reason). AUTO_DISPATCH=0 in the deployment overrides
        an `on` here.
        """
        switches.set_auto_dispatch(body["enabled"], body["reason"], Actor("staff", current_user().id))
        return _state()


def _state() -> dict:
    row = switches.auto_dispatch()
    return {"enabled": switches.auto_dispatch_on(), "switch": row.enabled, "deployment": get_config().AUTO_DISPATCH,
            "reason": row.reason, "updated_at": row.updated_at}


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
