"""The mini-program's stand-in: a phone-sized web page, served by the simulator at /h5/, that does what the WeChat
mini-program does — through the same public API and the same WeChat calls (docs/h5.md).

Plain HTML, CSS and ES modules (no build step); the libraries it needs are vendored from npm (vendor/manifest.json,
`make vendor`). The page learns where the API is from /h5/config.json (the simulator is told at start:
`create_mock_app(h5=…)`); the API answers the page's origin only when its CORS_ORIGINS names it (development).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, jsonify, redirect, send_from_directory

from miniprogram_mock.state import DEFAULT_TEMPLATES

HERE = Path(__file__).resolve().parent
bp = Blueprint("h5", __name__)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _secured(response):
    """What a page that holds a citizen's token needs: scripts and styles from here only, requests to here and to
    the API only, no framing, no referrer leaving the page."""
    api = _origin(current_app.config.get("H5", {}).get("api", ""))
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {api}; "
        f"connect-src 'self' {api}; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'; form-action 'none'").replace("  ", " ")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Permissions-Policy"] = "camera=(self), geolocation=(self)"
    return response


@bp.get("/h5")
def h5_root():
    return redirect("/h5/", code=308)


@bp.get("/h5/")
def index():
    return _secured(send_from_directory(HERE / "static", "index.html", max_age=0))


@bp.get("/h5/config.json")
def config():
    """Where the API is, which subscribe-message templates the app asks for, and the district's box (WGS-84) for
    choosing a point on the map."""
    settings = current_app.config.get("H5", {})
    return _secured(jsonify({"api": settings.get("api", ""), "templates": list(DEFAULT_TEMPLATES),
                             "district_bbox": settings.get("district_bbox"),
                             "demo_point_gcj02": settings.get("demo_point_gcj02"),
                             "demo_openid": settings.get("demo_openid", "demo-citizen")}))


@bp.get("/h5/static/<path:name>")
def static(name: str):
    return _secured(send_from_directory(HERE / "static", name, max_age=0))


@bp.get("/h5/vendor/<path:name>")
def vendor(name: str):
    if name == "manifest.json":
        abort(404)
    return _secured(send_from_directory(HERE / "vendor", name, max_age=3600))
