"""Report errors, named as facts."""

from api.errors import BadRequest, Conflict, NotFound, Unprocessable


class ReportNotFound(NotFound):
    code, message = "REPORT_NOT_FOUND", "No such report."


class IllegalReportTransition(Conflict):
    code, message = "ILLEGAL_TRANSITION", "The report is not in a state that allows this action."


class ReportNotDraft(Conflict):
    code, message = "REPORT_NOT_DRAFT", "A report can only be changed while it is a draft."


class PhotoRequired(BadRequest):
    code, message = "PHOTO_REQUIRED", "Attach at least one photo before submitting."


class TooManyPhotos(Conflict):
    code, message = "TOO_MANY_PHOTOS", "A report takes at most 9 photos."


class UnknownCategory(BadRequest):
    code, message = "UNKNOWN_CATEGORY", "Unknown category; see GET /reports/categories."


class ContentRisky(Unprocessable):
    code, message = "CONTENT_RISKY", "The text was refused by the content-security check."


class PhotoNotFound(NotFound):
    code, message = "PHOTO_NOT_FOUND", "No such photo on this report."


class IdempotencyKeyReused(Unprocessable):
    code, message = "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request."
