"""Domain-error root and the single mapping from errors to the JSON error envelope.

Every error leaves the API as `{"error": {"code": "...", "message": "...", "details": {...}}}`.
Domain code raises subclasses of the kinds below; the kind fixes the HTTP status, the subclass the
stable `code`. Messages are written in English and translated here, when the envelope is rendered, into the
request's language (api/i18n: Chinese unless it asks for English); field messages in `details` too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from http import HTTPStatus

from flask import Flask, jsonify, request
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from api.i18n import N_, translate, translate_details

log = logging.getLogger(__name__)


class DomainError(Exception):
    status: int = 400
    code: str = "BAD_REQUEST"
    message: str = "The request cannot be processed."
    headers: dict[str, str] | None = None

    def __init__(self, message: str | None = None, *, details: dict | None = None, code: str | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details or {}
        if code:
            self.code = code


class BadRequest(DomainError):
    status, code = 400, "BAD_REQUEST"


class Unauthorized(DomainError):
    status, code, message = 401, "UNAUTHORIZED", "Authentication is required."


class Forbidden(DomainError):
    status, code, message = 403, "FORBIDDEN", "You may not do this."


class NotFound(DomainError):
    status, code, message = 404, "NOT_FOUND", "No such resource."


class Conflict(DomainError):
    status, code = 409, "CONFLICT"


class PayloadTooLarge(DomainError):
    status, code = 413, "PAYLOAD_TOO_LARGE"


class UnsupportedMedia(DomainError):
    status, code = 415, "UNSUPPORTED_MEDIA_TYPE"


class Unprocessable(DomainError):
    status, code = 422, "UNPROCESSABLE"


class RetryLater(DomainError):
    """An error that tells the client when to try again (Retry-After, and `retry_after` in the details)."""

    retry_after: int = 60

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, **kwargs):
        super().__init__(message, **kwargs)
        retry_after = self.retry_after if retry_after is None else retry_after
        self.headers = {"Retry-After": str(retry_after)}
        self.details.setdefault("retry_after", retry_after)


class TooManyRequests(RetryLater):
    status, code, message = 429, "RATE_LIMITED", "Too many requests; try again later."


class ServiceUnavailable(DomainError):
    status, code, message = 503, "SERVICE_UNAVAILABLE", "A dependency is unavailable; try again."


class ConcurrentUpdate(Conflict):
    code, message = "CONCURRENT_UPDATE", "The resource was changed by someone else; reload and retry."


class ServiceBusy(RetryLater, ServiceUnavailable):
    code, message, retry_after = "SERVICE_BUSY", "The service is busy; retry shortly.", 2


# Werkzeug's HTTP errors that reach the handler (routing, method, body size) get stable codes too.
_HTTP_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    428: "PRECONDITION_REQUIRED",
    429: "RATE_LIMITED",
}


INVALID_REQUEST = N_("The request is not valid; see details.")
UNEXPECTED = N_("An unexpected error occurred; it has been logged.")


def envelope(code: str, message: str, details: dict | None = None) -> dict:
    """The error body, its message and the sentences of its details in the request's language (codes, field
    names and values stay as they are)."""
    return {"error": {"code": code, "message": translate(message), "details": translate_details(details)}}


def error_body(error: DomainError) -> dict:
    """A domain error as the envelope's `error` object, translated like the envelope: for an answer that carries
    one error per item (a field app's batch: each visit answered on its own) while the answer itself succeeds."""
    return envelope(error.code, error.message, error.details)["error"]


def http_exception_payload(error: HTTPException) -> tuple[dict, int, dict]:
    """Envelope for werkzeug/flask-smorest HTTP errors (validation errors arrive here as 400)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    details: dict = {}
    code = _HTTP_CODES.get(status, HTTPStatus(status).name if status in HTTPStatus._value2member_map_ else "ERROR")
    message = data.get("message") or error.description or HTTPStatus(status).phrase
    if "messages" in data or "errors" in data:
        code = "VALIDATION_ERROR"
        message = INVALID_REQUEST
        details = {"fields": _flatten_locations(data.get("errors") or data.get("messages"))}
    return envelope(code, message, details), status, data.get("headers") or {}


def _flatten_locations(messages: dict) -> dict:
    # webargs nests errors under the location ("json", "query", "files"); the client wants the fields.
    flat: dict = {}
    for location, fields in (messages or {}).items():
        if isinstance(fields, dict):
            flat.update(fields)
        else:
            flat[location] = fields
    return flat


_PREFIXES: dict[str, Callable] = {}


def answer_under(prefix: str, handler: Callable) -> None:
    """Errors the router raises (no rule matched: 404, or a method no rule takes: 405) under `prefix` are answered
    by `handler` instead of our envelope — for a façade with its own error format (Open311)."""
    _PREFIXES[prefix] = handler


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        response = jsonify(envelope(error.code, error.message, error.details))
        response.status_code = error.status
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        for prefix, handler in _PREFIXES.items():
            if request.path.startswith(prefix):
                return handler(error)
        payload, status, headers = http_exception_payload(error)
        if status >= 500:
            log.error("http error", extra={"status": status})
        response = jsonify(payload)
        response.status_code = status
        response.headers.extend(headers)
        return response

    @app.errorhandler(StaleDataError)
    def _stale(error: StaleDataError):
        return _domain_error(ConcurrentUpdate())

    @app.errorhandler(sa_exc.TimeoutError)
    def _pool_exhausted(error: sa_exc.TimeoutError):
        # every pooled connection is busy: a client should retry shortly rather than see a failure
        log.warning("database connection pool exhausted")
        return _domain_error(ServiceBusy())

    @app.errorhandler(sa_exc.DBAPIError)
    def _database(error: sa_exc.DBAPIError):
        if "database is locked" in str(error.orig):  # the embedded SQLite default under concurrent writers
            return _domain_error(ServiceBusy())
        if error.connection_invalidated:  # PostgreSQL restarted under a busy connection: the pool reconnects
            log.warning("database connection lost; the pool reconnects: %s", error.orig)
            return _domain_error(ServiceBusy())
        return _unexpected(error)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error")
        response = jsonify(envelope("INTERNAL_ERROR", UNEXPECTED))
        response.status_code = 500
        return response
