"""What every console page shares: the error pages, time and label filters, and the navigation per role.

Errors never reach the JSON envelope here: a refused action, an unknown case or a stale form is answered with a
page in the reader's language, with the status the API would give.
"""

from __future__ import annotations

import logging
from datetime import datetime

import marshmallow as ma
from flask import render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from api.errors import DomainError
from api.extensions import InvalidInput, check_loaded
from api.i18n import N_, current_locale, translate
from api.i18n import gettext as _
from api.timefmt import local
from console import bp

log = logging.getLogger(__name__)


STATUS_LABELS = {
    "pending": N_("Awaiting acceptance"), "verifying": N_("Awaiting on-site verification"),
    "awaiting_dispatch": N_("Awaiting dispatch"), "dispatched": N_("Awaiting handling"),
    "in_progress": N_("Being handled"), "awaiting_check": N_("Awaiting check"),
    "awaiting_close": N_("Awaiting closing approval"), "closed": N_("Closed"), "refused": N_("Not accepted"),
    "withdrawn": N_("Withdrawn"), "merged": N_("Merged"), "deferred": N_("Deferred"),
}
SOURCE_LABELS = {
    "citizen": N_("Citizen report"), "hotline": N_("12345 transfer"), "patrol": N_("Supervisor patrol"),
    "camera": N_("Camera capture"), "sensor": N_("Sensor alert"), "drone": N_("Drone photo"),
    "gas_inspection": N_("Gas inspection hazard"), "open311": N_("Open311 client"),
}
PRIORITY_LABELS = {"normal": N_("Normal"), "urgent": N_("Urgent"), "emergency": N_("Emergency")}
PHOTO_LABELS = {"report_photo": N_("Reported"), "device_snapshot": N_("Device snapshot"),
                "after_photo": N_("After handling"), "verification_photo": N_("Verification")}
RETURN_LABELS = {"not_our_responsibility": N_("Not our responsibility"), "wrong_location": N_("Wrong location"),
                 "cannot_handle": N_("Cannot be handled as filed"), "duplicate": N_("Duplicate"),
                 "other": N_("Other")}

EVENT_LABELS = {
    "opened": N_("Opened"), "accept": N_("Accepted"), "refuse": N_("Not accepted"), "withdraw": N_("Withdrawn"),
    "merge": N_("Merged"), "unmerge": N_("Merge undone"), "merged_in": N_("Duplicate merged in"),
    "unmerged": N_("Duplicate taken out"), "request_verification": N_("Verification asked"),
    "verification_assigned": N_("Verification assigned"), "record_verification": N_("Verified on site"),
    "dispatch": N_("Dispatched"), "receive": N_("Received"), "return": N_("Returned to dispatch"),
    "submit_result": N_("Result given"), "check_assigned": N_("Check assigned"), "check_pass": N_("Check passed"),
    "check_fail": N_("Check failed: rework"), "approve_close": N_("Closing approved"),
    "reject_close": N_("Sent back from closing"), "defer": N_("Deferred"), "resume": N_("Resumed"),
    "extend": N_("Deadline extended"), "extension_requested": N_("More time asked for"), "reopen": N_("Reopened"),
    "photo_attached": N_("Photo added"), "category_set": N_("Category set"), "component_set": N_("Component linked"),
    "priority_set": N_("Priority set"), "classified": N_("Recognised by the model"),
    "triage": N_("Left to a person by the automatic intake"), "rated": N_("Rated by the citizen"),
    "content_flagged": N_("Content flagged for review"), "report_withdrawn": N_("A report withdrawn"),
    "hotline_answered": N_("12345 answered"), "hotline_answer_failed": N_("12345 answer failed"),
    "deadline_recomputed": N_("Deadline recomputed"), "capture_added": N_("Device capture added"),
    "alert_cleared": N_("Device alert cleared"), "device_back": N_("Device back online"),
    "escalated": N_("Escalated"),
}


def load(schema: ma.Schema, data: dict) -> dict:
    """A form or query read by the API's schema and held to what every API input must also be (api.extensions'
    check_loaded: storable text, 64-bit integers, times 1970–2199), refusals as a marshmallow ValidationError."""
    loaded = schema.load(data)
    try:
        check_loaded(loaded)
    except InvalidInput as bad:
        raise ma.ValidationError(bad.details.get("fields") or {"_": [bad.message]}) from bad
    return loaded


def invalid_message(error: ma.ValidationError) -> str:
    """A refused form or query as one line the reader can act on: each field with its messages, translated."""
    parts = []
    for field, messages in error.messages.items():
        texts = messages if isinstance(messages, list) else [messages]
        parts.append(f"{field}：{'；'.join(translate(str(t)) for t in texts)}")
    return "；".join(parts)


def label(table: dict, value) -> str:
    text = table.get(str(value)) if value is not None else None
    return _(text) if text else (str(value) if value is not None else "")


@bp.app_template_filter("shanghai")
def shanghai(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time as staff read it: Asia/Shanghai."""
    return local(value).strftime(fmt) if value else ""


@bp.app_template_filter("remaining")
def remaining(seconds: int | None) -> str:
    """What remains of a deadline (or how long it is overdue), in days, hours and minutes."""
    if seconds is None:
        return ""
    left = abs(int(seconds))
    days, hours, minutes = left // 86400, left % 86400 // 3600, left % 3600 // 60
    span = (_("%(d)sd %(h)sh", d=days, h=hours) if days else
            _("%(h)sh %(m)smin", h=hours, m=minutes) if hours else _("%(m)smin", m=minutes))
    return _("overdue by %(span)s", span=span) if seconds < 0 else _("%(span)s left", span=span)


@bp.app_context_processor
def _labels() -> dict:
    return {"status_label": lambda v: label(STATUS_LABELS, v), "source_label": lambda v: label(SOURCE_LABELS, v),
            "priority_label": lambda v: label(PRIORITY_LABELS, v), "photo_label": lambda v: label(PHOTO_LABELS, v),
            "return_label": lambda v: label(RETURN_LABELS, v), "event_label": lambda v: label(EVENT_LABELS, v),
            "translate": translate,
            "html_lang": "zh-CN" if current_locale() == "zh" else "en"}


def error_page(status: int, message: str):
    return render_template("console/error.html", status=status, message=message), status


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError):
    return error_page(error.status, translate(error.message))


@bp.errorhandler(CSRFError)
def _csrf_error(error: CSRFError):
    return error_page(400, _("This form has expired or did not come from the console. Reload the page and try "
                             "again."))


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    messages = {404: N_("There is no such page."), 405: N_("This page does not accept that request."),
                413: N_("The upload is too large.")}
    return error_page(error.code or 500, _(messages.get(error.code, N_("The request cannot be processed."))))


@bp.errorhandler(StaleDataError)
def _changed_meanwhile(error: StaleDataError):
    return error_page(409, _("Someone else changed this case meanwhile; reload it and try again."))


@bp.errorhandler(Exception)
def _unexpected(error: Exception):
    log.exception("console page failed: %s %s", request.method, request.path)
    return error_page(500, _("An unexpected error occurred; it has been logged."))
