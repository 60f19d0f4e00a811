"""Case engine errors, named as facts."""

from api.errors import BadRequest, Conflict, Forbidden, NotFound


class CaseNotFound(NotFound):
    code, message = "CASE_NOT_FOUND", "No such case."


class IllegalCaseTransition(Conflict):
    code, message = "ILLEGAL_TRANSITION", "The case is not in a state that allows this action."


class ActionNotAllowed(Forbidden):
    code, message = "ROLE_NOT_ALLOWED", "Your role may not take this action on a case."


class OwnCheck(Forbidden):
    code, message = "OWN_CHECK", "The 核查 you passed yourself is approved by another 值班长 (four eyes)."


class CaseOutOfScope(Forbidden):
    code, message = "OUT_OF_SCOPE", "This case is outside your street or department."


class CategoryRequired(BadRequest):
    code, message = "CATEGORY_REQUIRED", "Set the case's category (小类) before this action."


class AfterPhotoRequired(BadRequest):
    code, message = "AFTER_PHOTO_REQUIRED", "The 结案条件 of this category needs at least one after-photo."


class ReopenWindowPassed(Conflict):
    code, message = "REOPEN_WINDOW_PASSED", "A case can be reopened only within the days after closing (default 7)."


class ReopenLimitReached(Conflict):
    code, message = "REOPEN_LIMIT_REACHED", "This report has been reopened as often as allowed."


class RatingWindowPassed(Conflict):
    code, message = "RATING_WINDOW_PASSED", "A result can be rated only within the days after closing (default 7)."


class AlreadyRated(Conflict):
    code, message = "ALREADY_RATED", "You have rated this outcome."


class CannotMergeIntoItself(BadRequest):
    code, message = "INVALID_MERGE_TARGET", "Merge into another open case."


class CloseConditionUnmet(Conflict):
    """A case source's own condition for closing is not met yet (its `before_close` hook); `details.condition`
    names it (a gas hazard: `gas_reinspection_passed`)."""

    code, message = "CLOSE_CONDITION_UNMET", "The case cannot close yet: its source requires more first."
