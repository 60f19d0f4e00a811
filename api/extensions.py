"""flask-smorest Api, the project Blueprint, and the process's Redis connection."""

from __future__ import annotations

import re

import marshmallow as ma
import redis
from flask_smorest import Api as _Api
from flask_smorest import Blueprint as _Blueprint
from webargs.flaskparser import FlaskParser

from api import errors


class ErrorBodySchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable machine-readable code"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(metadata={"description": "Field errors or extra facts about the error"})


class ErrorEnvelopeSchema(ma.Schema):
    error = ma.fields.Nested(ErrorBodySchema, required=True)


class Parser(FlaskParser):
    # Bad input is a 400 with code VALIDATION_ERROR (webargs' default is 422).
    DEFAULT_VALIDATION_STATUS = 400


class Api(_Api):
    ERROR_SCHEMA = ErrorEnvelopeSchema

    def _register_error_handlers(self):
        errors.register_error_handlers(self._app)


class Blueprint(_Blueprint):
    ARGUMENTS_PARSER = Parser()

    def errors(self, *statuses: int):
        """Document the error responses an endpoint can give (all use the error envelope)."""

        def decorator(func):
            for status in statuses:
                func = self.alt_response(status, schema=ErrorEnvelopeSchema)(func)
            return func

        return decorator


_CLIENT_INFO_FIELD = re.compile(r"([\w-]+)=(\([^)]*\)|\S*)")


class AppRedis(redis.Redis):
    """redis.Redis whose CLIENT INFO parsing tolerates the embedded dev server.

    fakeredis's TcpFakeServer (the Redis stand-in of `make run`) answers `addr=('127.0.0.1', 5)`, with a
    space, which redis-py's parser cannot split; RQ's Worker calls client_info() at start-up.
    """

    def client_info(self, **kwargs):
        raw = self.execute_command("CLIENT", "INFO", **kwargs)
        text = raw.decode() if isinstance(raw, bytes) else str(raw)
        return {key: value for key, value in _CLIENT_INFO_FIELD.findall(text)}


_redis: redis.Redis | None = None


def init_redis(url: str) -> redis.Redis:
    global _redis
    _redis = AppRedis.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
    return _redis


def get_redis() -> redis.Redis:
    if _redis is None:
        raise RuntimeError("Redis not initialised: call create_app() or the worker boot first")
    return _redis
