"""Local Swagger UI assets and the health endpoint."""

from __future__ import annotations

import sqlalchemy as sa
import swagger_ui_bundle
from flask import Flask, jsonify, send_from_directory

from api.access import public
from api.db import Session
from api.extensions import get_redis


def register_docs_assets(app: Flask) -> None:
    @public
    def docs_assets(filename: str):
        return send_from_directory(swagger_ui_bundle.swagger_ui_path, filename, max_age=86400)

    @public
    def health():
        """Liveness plus the state of the database and Redis."""
        checks = {"database": _check(lambda: Session.execute(sa.text("SELECT 1"))),
                  "redis": _check(lambda: get_redis().ping())}
        status = 200 if checks["database"] == "ok" else 503
        return jsonify({"status": "ok" if status == 200 else "degraded", "checks": checks}), status

    app.add_url_rule("/docs-assets/<path:filename>", "docs_assets", docs_assets)
    app.add_url_rule("/health", "health", health)


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # noqa: BLE001 - health reports any failure as text
        return f"error: {exc.__class__.__name__}"
