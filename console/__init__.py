"""The staff console (/console): the desks where people carry cases, in Chinese, in a browser.

Server-rendered pages (Jinja) with htmx for partial updates and Leaflet for maps, both vendored under
`static/vendor/` (docs/console/vendor.md). The console is a client of the domains, like the API: it calls the same
services, queries and access rules (api/cases/actions.py decides which buttons a page shows, from the same table
that refuses the others) and imports no route module. No domain imports it (.importlinter).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")


def init_app(app: Flask) -> None:
    """Sessions, CSRF and headers, then the pages (registered by the composition root, create_app)."""
    from console import auth, cases, command, desks, evaluation, inbox, pages, security  # noqa: F401 - views

    security.init_app(app)
    auth.init_app(app)
    app.register_blueprint(bp)
