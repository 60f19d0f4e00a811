"""Local Swagger UI assets, /health (liveness) and /ready (readiness)."""

from __future__ import annotations

import functools

import sqlalchemy as sa
import swagger_ui_bundle
from flask import Flask, jsonify, send_from_directory

from api.access import public
from api.db import Session
from api.extensions import get_redis
from api.migrate import alembic_config


def register_docs_assets(app: Flask) -> None:
    @public
    def docs_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    @public
    def health():
        """Liveness: the process answers. Touches nothing else (a database outage must not restart every web
        process); what the process can reach is /ready's."""
        return jsonify({"status": "ok"})

    @public
    def ready():
        """Readiness: the database and Redis answer and the database's migrations are at this code's head."""
        checks = {"database": _check(lambda: Session.execute(sa.text("SELECT 1"))),
                  "redis": _check(lambda: get_redis().ping()),
                  "migrations": _check(_migrations_at_head)}
        ok = all(value == "ok" for value in checks.values())
        return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), 200 if ok else 503

    app.add_url_rule("/docs-assets/<path:filename>", "docs_assets", docs_assets)
    app.add_url_rule("/health", "health", health)
    app.add_url_rule("/ready", "ready", ready)


@functools.cache
def _head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("")).get_current_head()


class MigrationsBehind(Exception):
    """The database's alembic_version is not the code's head (an upgrade has not run, or the code is older)."""


def _migrations_at_head() -> None:
    current = Session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    if current != _head():
        raise MigrationsBehind(current)


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - health reports any failure as text
        return f"error: {exc.__class__.__name__}"
