"""@requires(...) / @public: every endpoint declares who may call it (and the docs say so)."""

from __future__ import annotations

import copy
import functools

from flask import current_app, g, request

from api.identity import service, tokens
from api.identity.errors import RoleNotAllowed, TokenInvalid, TokenMissing
from api.identity.models import User
from api.identity.roles import Role

ACCESS_ATTR = "_access_roles"


def requires(*roles: Role):
    """Allow the given roles only; documents 401/403 and the bearer security requirement."""
    allowed = frozenset(roles)
    if not allowed:
        raise ValueError("requires() needs at least one role; use @public for open endpoints")

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            user = authenticate()
            if not (user.roles & allowed):
                raise RoleNotAllowed(details={"allowed_roles": sorted(allowed)})
            return func(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, allowed)
        doc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
        doc.setdefault("manual_doc", {}).update(
            {"security": [{"bearerAuth": []}], "x-roles": sorted(str(r) for r in allowed)})
        responses = doc.setdefault("response", {}).setdefault("responses", {})
        responses.setdefault(401, []).append("UNAUTHORIZED")
        responses.setdefault(403, []).append("FORBIDDEN")
        wrapper._apidoc = doc
        return wrapper

    return decorator


def public(func):
    """Mark an endpoint as callable without a token (login, health, signed media)."""
    setattr(func, ACCESS_ATTR, frozenset({"public"}))
    return func


def authenticate() -> User:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise TokenMissing()
    user_id = tokens.verify(header[7:].strip(), current_app.config["SECRET_KEY"])
    user = service.get_active_user(user_id)
    if user is None:
        raise TokenInvalid()
    g.user = user
    return user


def current_user() -> User:
    return g.user
