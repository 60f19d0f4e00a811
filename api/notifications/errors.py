"""Notification errors, named as facts."""

from api.errors import BadRequest


class UnknownTemplate(BadRequest):
    code, message = "UNKNOWN_TEMPLATE", "Unknown subscribe-message template id."
