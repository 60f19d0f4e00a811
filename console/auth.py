"""Signing in and out of the console.

The same accounts, password rules and lock-outs as POST /auth/staff-login (identity's `signed_in_staff`). The
cookie carries a random session id only; Redis maps it to the staff member for CONSOLE_IDLE_S, refreshed by each
request the person makes (not the desks' automatic refresh) — so a session ends after that long idle, after
SESSION_MAX_S in any case, at sign-out (the key is deleted, whatever copy of the cookie is
left), and as soon as the account is disabled or signed out everywhere (POST /auth/sign-out, or an administrator's
POST /admin/staff/{id}/sign-out: the session keeps the token epoch it began in). The loader reads the user through
identity's cache, which any change to the user invalidates at once (api/identity/cache.py).
"""

from __future__ import annotations

import secrets
import time
from functools import wraps
from urllib.parse import urlsplit

import marshmallow as ma
from flask import Flask, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from api.access import ACCESS_ATTR, RoleNotAllowed, public
from api.config import get_config
from api.db import unit_of_work
from api.errors import DomainError
from api.extensions import UNIT_OF_WORK_ATTR, get_redis
from api.i18n import gettext as _
from api.i18n import translate
from api.identity import service as identity
from api.identity.models import User
from api.identity.schemas import StaffLoginSchema
from api.roles import STAFF_ROLES
from console import bp
from console.pages import load

SESSION_KEY = "console:session:{}"
SESSION_MAX_S = 24 * 3600  # then sign in again, however busy the session (a wall screen: once a day)
POLL_HEADER = "X-Console-Poll"  # the desks' automatic refresh: it does not count as the person being there
login_manager = LoginManager()


class Staff(UserMixin):
    """The signed-in staff member as Flask-Login sees them: the session id is what the cookie carries."""

    def __init__(self, sid: str, user: User):
        self.sid, self.user = sid, user

    def get_id(self) -> str:
        return self.sid


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "strong"  # another address or browser: the session is dropped
    login_manager.login_view = "console.sign_in"
    login_manager.login_message = "Please sign in to use the console."
    login_manager.localize_callback = _


@login_manager.user_loader
def _load(sid: str) -> Staff | None:
    key = SESSION_KEY.format(sid)
    pipe = get_redis().pipeline(transaction=False)  # one round trip: read it and, for a person's request, renew it
    pipe.get(key)
    if not request.headers.get(POLL_HEADER):
        pipe.expire(key, get_config().CONSOLE_IDLE_S)  # a key already gone stays gone
    value = pipe.execute()[0]
    user_id, started, epoch = ((value or b"").decode().split(":") + ["", "", ""])[:3]
    fresh = started.isdigit() and time.time() - int(started) < SESSION_MAX_S
    user = identity.get_active_user(int(user_id)) if fresh and user_id.isdigit() else None
    if user is None or user.kind != "staff" or str(user.token_epoch) != (epoch or "0"):  # signed out since
        get_redis().delete(key)
        return None
    return Staff(sid, user)


@login_manager.unauthorized_handler
def _unauthorized():
    if request.headers.get("HX-Request"):  # an htmx swap: send the whole page to the sign-in form
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url_for("console.sign_in")
        return response
    flash(_("Please sign in to use the console."), "info")
    return redirect(url_for("console.sign_in", next=request.full_path if request.method == "GET" else None))


def staff() -> User:
    """The signed-in staff member (inside a view wrapped by `signed_in`)."""
    return current_user.user


def signed_in(view):
    """A console page for staff: signed in, and the session still alive (what each role sees is the page's own
    rule: its desks, the cases in its scope, the actions api/cases/actions.py allows). Declared like the API's
    endpoints (api.access), so that the check that every endpoint says who may use it covers the pages too."""
    wrapped = login_required(view)
    setattr(wrapped, ACCESS_ATTR, STAFF_ROLES)
    return wrapped


def roles_required(*roles):
    """A console page for these roles only (a 403 page for other staff), signed in first; declared like the
    API's endpoints."""
    allowed = frozenset(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not staff().roles & allowed:
                raise RoleNotAllowed(details={"allowed_roles": sorted(allowed)})
            return view(*args, **kwargs)

        wrapped = login_required(wrapper)
        setattr(wrapped, ACCESS_ATTR, allowed)
        return wrapped

    return decorator


def own_unit_of_work(view):
    """A console POST that runs its change inside one `with unit_of_work()` of its own — committed, or rolled back
    and the page shown again with why (the API's Blueprint wraps the whole method instead)."""
    setattr(view, UNIT_OF_WORK_ATTR, True)
    return view


def _safe_next(target: str | None) -> str | None:
    """Only a path inside the console (no other host, no scheme-relative URL) is followed after sign-in."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/") or target.startswith("//"):
        return None
    return target


@bp.route("/sign-in", methods=["GET", "POST"])
@own_unit_of_work
@public
def sign_in():
    if current_user.is_authenticated:
        return redirect(url_for("console.home"))
    error, status, username = None, 200, ""
    if request.method == "POST":
        username = request.form.get("username", "")[:64]
        try:
            body = load(StaffLoginSchema(), {"username": request.form.get("username", ""),
                                             "password": request.form.get("password", "")})
            with unit_of_work():
                user = identity.signed_in_staff(body["username"], body["password"], request.remote_addr or "unknown")
        except ma.ValidationError:
            error, status = _("Enter your user name and password."), 400
        except DomainError as refused:
            error, status = translate(refused.message), refused.status
        else:
            sid = secrets.token_urlsafe(32)
            get_redis().set(SESSION_KEY.format(sid), f"{user.id}:{int(time.time())}:{user.token_epoch}",
                            ex=get_config().CONSOLE_IDLE_S)
            session.clear()  # no state carried over from before the sign-in (session fixation)
            login_user(Staff(sid, user))
            return redirect(_safe_next(request.args.get("next")) or url_for("console.home"))
    return render_template("console/sign_in.html", error=error, username=username), status


@bp.route("/sign-out", methods=["POST"])
@own_unit_of_work  # nothing in the database: the session's key in Redis is deleted
@signed_in
def sign_out():
    get_redis().delete(SESSION_KEY.format(current_user.sid))
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("console.sign_in"))
