"""Notification errors, named as facts."""

from api.errors import BadRequest, NotFound


class UnknownTemplate(BadRequest):
    code, message = "UNKNOWN_TEMPLATE", "Unknown subscribe-message template id."


class NoticeNotFound(NotFound):
    code, message = "NOTICE_NOT_FOUND", "No such notice in your inbox."
