"""The desks: each role lands on its own work lists, scoped to its street or department by the same query as
GET /cases?desk=… (api.cases.queries.desk), filtered and paged by the API's own argument schema."""

from __future__ import annotations

import time
from datetime import datetime

import marshmallow as ma
from flask import abort, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from api.cases import present, queries
from api.cases.schemas import DeskArgsSchema
from api.db import utcnow
from api.i18n import N_, current_locale
from api.i18n import gettext as _
from api.organisation import queries as organisation
from api.roles import LABELS_ZH, Role
from api.taxonomy import service as taxonomy
from console import bp
from console.auth import signed_in, staff
from console.pages import invalid_message, load

DESK_LABELS = {
    "intake": N_("Intake"), "triage": N_("Left by the automatic intake"), "verifying": N_("On-site verification"),
    "dispatch": N_("Dispatch"), "deferred": N_("Deferred"), "department": N_("Department work orders"),
    "mine": N_("Assigned to me"), "verification": N_("Checks"), "close_approval": N_("Closing approval"),
    "overdue": N_("Overdue"), "closed": N_("Closed"),
}
# Each role's desks, the first one its landing page (order of roles: a person holding several lands on the first).
ROLE_DESKS: dict[Role, tuple[str, ...]] = {
    Role.INTAKE_CLERK: ("intake", "triage"),
    Role.DISPATCHER: ("dispatch", "deferred", "overdue"),
    Role.DEPT_HANDLER: ("mine", "department", "overdue"),
    Role.DEPT_HEAD: ("department", "overdue"),
    Role.SUPERVISOR: ("verification", "verifying"),
    Role.SHIFT_LEAD: ("close_approval", "overdue"),
    Role.COMMAND_CENTRE: ("overdue", "dispatch", "closed"),  # and the big screen, its landing page (home)
    Role.ADMIN: ("intake", "dispatch", "department", "verification", "closed"),
}
ROLE_ORDER = tuple(ROLE_DESKS)


def desks_of(user) -> list[str]:
    seen: dict[str, None] = {}
    for role in ROLE_ORDER:
        if role in user.roles:
            seen.update(dict.fromkeys(ROLE_DESKS[role]))
    return list(seen)


@bp.app_context_processor
def _navigation() -> dict:
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return {}
    user = current_user.user
    from console.command import WATCHERS
    from console.evaluation import READERS

    return {"nav_desks": [(d, _(DESK_LABELS[d])) for d in desks_of(user)], "me": user,
            "can_watch": bool(user.roles & set(WATCHERS)), "can_evaluate": bool(user.roles & set(READERS)),
            "my_roles": "、".join(LABELS_ZH[r] if current_locale() == "zh" else str(r) for r in sorted(user.roles))}


@bp.route("/")
@signed_in
def home():
    user = staff()
    if user.roles & {Role.COMMAND_CENTRE}:
        return redirect(url_for("console.command"))
    desks = desks_of(user)
    if not desks:  # billing, gas and administration screens come with later parts of the console
        return render_template("console/no_desk.html")
    return redirect(url_for("console.desk", name=desks[0]))


def _with_until(requests: list) -> list:
    """Each request with the deadline it asks for as a time (shown in Shanghai time, whatever zone it came in)."""
    out = []
    for case, event in requests:
        try:
            until = datetime.fromisoformat((event.payload or {}).get("until", ""))
        except (TypeError, ValueError):
            until = None
        out.append((case, event, until if until is None or until.tzinfo else None))
    return out


CATEGORIES_S = 300  # the 小类 list a page offers may be this old (a new version appears within five minutes)
_categories: list = [0.0, [], []]  # [loaded at (monotonic), [(code, name)], [(code, <option>, <option selected>)]]


def _load_categories() -> None:
    if time.monotonic() - _categories[0] > CATEGORIES_S or not _categories[1]:
        pairs = [(c.code, c.name) for c in taxonomy.list_current()]
        _categories[2] = [(code, f'<option value="{escape(code)}">{escape(name)}</option>',
                           f'<option value="{escape(code)}" selected>{escape(name)}</option>') for code, name in pairs]
        _categories[1], _categories[0] = pairs, time.monotonic()


def categories() -> list[tuple[str, str]]:
    """The current 小类 as (code, name), read once per CATEGORIES_S per process: every desk page and the intake's
    case page offer them, and reading and rendering a few hundred rows per page was a third of its time."""
    _load_categories()
    return _categories[1]


def category_options(selected: str | None) -> Markup:
    """The <option>s of a 小类 select, escaped once when loaded and joined per page."""
    _load_categories()
    return Markup("".join(chosen if code == selected else plain for code, plain, chosen in _categories[2]))


FILTERS = ("street_code", "category_code", "priority", "source", "case_no", "page")


@bp.route("/desks/<name>")
@signed_in
def desk(name: str):
    user = staff()
    if name not in desks_of(user):
        abort(404)
    raw = {k: v for k, v in request.args.items() if k in FILTERS and v.strip()}
    error = None
    try:
        args = load(DeskArgsSchema(), {**raw, "desk": name})
    except ma.ValidationError as invalid:
        error = invalid_message(invalid)
        args = DeskArgsSchema().load({"desk": name})
    query = queries.desk(user, name, args, utcnow())
    items, total, more = queries.page_of(query, args["page"], args["page_size"], queries.order_for(name))
    rows = present.listed(items, request.host_url)
    returned = queries.returned_orders({c.id for c in items}) if name == "dispatch" else {}
    context = {"name": name, "title": _(DESK_LABELS[name]), "rows": rows, "total": total, "more": more,
               "args": args, "filters": raw, "paging": {k: v for k, v in raw.items() if k != "page"},
               "error": error, "returned": returned,
               "extension_requests": _with_until(queries.extension_requests(user)) if name == "dispatch" else [],
               "streets": organisation.streets() if user.is_district_wide else [],
               "category_options": category_options(raw.get("category_code"))}
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        return render_template("console/_desk_rows.html", **context)  # the filter and the refresh swap the list

    return render_template("console/desk.html", **context), 400 if error else 200
