"""flask-smorest Api, the project Blueprint, and the process's Redis connection."""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, date, datetime

import marshmallow as ma
import redis
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from flask_smorest.utils import resolve_schema_instance
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.routing import IntegerConverter

from api import errors
from api.db import unit_of_work
from api.i18n import N_


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(metadata={"description": "Field errors or extra facts about the error"})


class ErrorEnvelopeSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 32
MAX_NUMBER_CHARS = 32
# Times a client may send: anything else is a typo or a probe, and some of it cannot even be stored in UTC.
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


class InvalidInput(errors.BadRequest):
    code, message = "VALIDATION_ERROR", "The request is not valid; see details."


class InvalidJson(errors.BadRequest):
    code, message = "INVALID_JSON", "The body is not JSON this API accepts."


def _bounded_number(text: str, kind):
    if len(text) > MAX_NUMBER_CHARS:
        raise InvalidJson(details={"reason": f"a number longer than {MAX_NUMBER_CHARS} characters"})
    return kind(text)


def _refuse_constant(name: str):
    raise InvalidJson(details={"reason": f"{name} is not a JSON number"})


def parse_json_strictly(raw: bytes):
    """JSON without NaN/Infinity, absurd numbers or absurd nesting (each would otherwise surface as a 500)."""
    text = raw.decode("utf-8")  # UnicodeDecodeError: webargs answers it as invalid JSON
    try:
        data = json.loads(text, parse_int=lambda t: _bounded_number(t, int),
                          parse_float=lambda t: _bounded_number(t, float), parse_constant=_refuse_constant)
    except RecursionError as exc:
        raise InvalidJson(details={"reason": "nested too deeply"}) from exc
    _check_depth(data)
    return data


def _check_depth(value, depth: int = 0) -> None:
    if depth > MAX_JSON_DEPTH:
        raise InvalidJson(details={"reason": f"nested deeper than {MAX_JSON_DEPTH} levels"})
    if isinstance(value, dict):
        for item in value.values():
            _check_depth(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth(item, depth + 1)


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_loaded(value, path: str = "") -> None:
    """What any schema loaded must also be: text PostgreSQL can store (no NUL, no lone surrogates), integers
    that fit 64 bits, times that exist in UTC between 1970 and 2200. One walk, so no endpoint can forget it."""
    if isinstance(value, dict):
        for key, item in value.items():
            check_loaded(key, path)
            check_loaded(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple | set):
        for index, item in enumerate(value):
            check_loaded(item, f"{path}.{index}" if path else str(index))
    else:
        problem = _scalar_problem(value)
        if problem:
            raise InvalidInput(details={"fields": {path or "_": [problem]}})


def _scalar_problem(value) -> str | None:
    if isinstance(value, str):
        if "\x00" in value:
            return N_("text may not contain NUL characters")
        if _SURROGATE.search(value):
            return N_("text may not contain unpaired surrogate characters")
    elif isinstance(value, int) and not isinstance(value, bool):
        if not -INT64_MAX - 1 <= value <= INT64_MAX:
            return N_("integer out of range (64 bits)")
    elif isinstance(value, datetime):
        return time_problem(value)
    elif isinstance(value, date) and not EARLIEST.date() <= value < LATEST.date():
        return N_("date out of range (1970–2199)")
    return None


def time_problem(value: datetime) -> str | None:
    """The API's rule for a time a client sends (it exists in UTC, 1970–2199), for what a schema loads on its own
    (a visit of an offline batch): None when it holds."""
    try:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        if EARLIEST <= aware.astimezone(UTC) < LATEST:
            return None
    except (OverflowError, ValueError):
        pass
    return N_("time out of range (1970–2199)")


class Parser(FlaskParser):
    # Bad input is a 400 with code VALIDATION_ERROR (webargs' default is 422).
    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        if not is_json_request(req):
            return core.missing
        return parse_json_strictly(req.get_data(cache=True))

    def parse(self, *args, **kwargs):
        loaded = super().parse(*args, **kwargs)
        check_loaded(loaded)
        return loaded


class Int64Converter(IntegerConverter):
    """`<int:…>` in every route: ids beyond 64 bits do not match (404) instead of failing in the database."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", INT64_MAX)
        super().__init__(url_map, *args, **kwargs)


class Api(_Api):
    ERROR_SCHEMA = ErrorEnvelopeSchema

    def _register_error_handlers(self):
        errors.register_error_handlers(self._app)


MUTATING_METHODS = ("post", "put", "patch", "delete")
UNIT_OF_WORK_ATTR = "_unit_of_work"


class Blueprint(_Blueprint):
    ARGUMENTS_PARSER = Parser()

    def route(self, rule, **options):
        """Register a view; each of its POST/PUT/PATCH/DELETE methods runs in one unit of work (committed when
        it answers, rolled back when it raises)."""
        register = super().route(rule, **options)

        def decorator(view):
            for name in MUTATING_METHODS:
                method = getattr(view, name, None)
                if method is not None and not getattr(method, UNIT_OF_WORK_ATTR, False):
                    setattr(view, name, _in_unit_of_work(method))
            return register(view)

        return decorator

    def arguments(self, schema, *args, **kwargs):
        """flask-smorest's, with the schema made once here: given a schema class, webargs makes an instance (and
        one of every nested schema) on every request — a tenth of a millisecond each, three per report creation.
        A marshmallow 4 schema keeps no state between loads, so one instance serves every request and thread."""
        return super().arguments(resolve_schema_instance(schema), *args, **kwargs)

    def errors(self, *kinds):
        """Declare the error kinds an endpoint can answer with: DomainError subclasses (their status and stable
        code go into the document, see api/apidoc.py) or bare statuses for framework errors."""
        from api import apidoc

        def decorator(func):
            statuses = sorted({k if isinstance(k, int) else k.status for k in kinds})
            for status in statuses:
                func = self.alt_response(status, schema=ErrorEnvelopeSchema)(func)
            apidoc.declare(func, kinds)
            return func

        return decorator


_redis: redis.Redis | None = None


def init_redis(url: str) -> redis.Redis:
    global _redis
    _redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
    return _redis


def get_redis() -> redis.Redis:
    if _redis is None:
        raise RuntimeError("Redis not initialised: call create_app() or the worker boot first")
    return _redis


def _in_unit_of_work(method):
    @functools.wraps(method)
    def wrapper(*args, **kwargs):
        with unit_of_work():
            return method(*args, **kwargs)

    setattr(wrapper, UNIT_OF_WORK_ATTR, True)
    return wrapper
