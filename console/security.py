"""The console's protections: the session cookie, CSRF on every mutating request, and the headers of each answer.

- The session cookie is HttpOnly, SameSite=Lax, scoped to /console, Secure in production; it carries only a
  random session id (auth.py keeps the rest in Redis).
- CSRF (Flask-WTF): every POST carries the session's token (a hidden field in forms; htmx sends it as a header,
  from `hx-headers` on <body>). The JSON API is not affected: it authenticates by bearer token, not by cookie.
- Content-Security-Policy: scripts, styles, images and requests from this origin only, no inline script or style,
  no plugin, no framing by any origin (also X-Frame-Options for older browsers).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from flask_wtf.csrf import CSRFProtect

from api.config import get_config
from console import bp
from console.cases import upload_limit

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{media}; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    app.config.update(
        WTF_CSRF_CHECK_DEFAULT=False,  # checked for the console's blueprint only (below)
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session (idle timeout: CONSOLE_IDLE_S)
        SESSION_COOKIE_NAME="suiyun_console", SESSION_COOKIE_PATH="/console", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=get_config().ENV == "production")
    csrf.init_app(app)


def _media_origins() -> str:
    """Photos come from this origin, or from where the media links point (MEDIA_PUBLIC_BASE, the object store)."""
    config = get_config()
    origins = {f"{p.scheme}://{p.netloc}" for p in map(urlsplit, (config.MEDIA_PUBLIC_BASE, config.S3_ENDPOINT_URL))
               if p.scheme in ("http", "https") and p.netloc}
    return "".join(f" {origin}" for origin in sorted(origins))


@bp.before_request
def _check_csrf() -> None:
    if request.method not in SAFE_METHODS:
        if request.endpoint == "console.add_photos":  # several photos at once: set before the form is parsed
            request.max_content_length = upload_limit()
        csrf.protect()


@bp.after_request
def _headers(response):
    response.headers["Content-Security-Policy"] = CSP.format(media=_media_origins())
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"  # pages show people's data and what is true now
    return response
