"""Classification errors, named as facts."""

from api.errors import BadRequest, Conflict, NotFound


class ModelVersionNotFound(NotFound):
    code, message = "MODEL_VERSION_NOT_FOUND", "No such model version."


class ModelIntegrityError(Conflict):
    code, message = "MODEL_BUNDLE_INVALID", "The model bundle is missing or does not match its recorded checksum."


class NotEnoughLabels(BadRequest):
    code, message = "NOT_ENOUGH_LABELS", "Too few staff-confirmed cases to train and evaluate a model."


class UnknownCategory(NotFound):
    code, message = "CATEGORY_NOT_FOUND", "No current 小类 with this code."


class PromotionRefused(Conflict):
    """The promotion gate refused the candidate (its reasons in `details.reasons`), or its verdict was made against
    another production version than today's (`details.stale`): re-run `flask model evaluate NAME`, or promote
    with a reason to override, which is recorded."""

    code, message = "MODEL_GATE_REFUSED", "The promotion gate refused this version; see the reasons."
