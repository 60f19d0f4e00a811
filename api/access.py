"""@requires(...) / @public: every endpoint declares who may call it (and the docs say so).

Core, next to the error envelope: every domain's routes use it, so it imports no domain. Who a bearer token
names is answered by the loader the app registers at start (`use_user_loader`, identity's
`user_for_token`); this module only checks that there is one and that its roles are allowed.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Protocol

from flask import g, request

from api.errors import Forbidden, Unauthorized
from api.roles import Role

ACCESS_ATTR = "_access_roles"


class TokenMissing(Unauthorized):
    code, message = "TOKEN_MISSING", "An Authorization: Bearer token is required."


class TokenInvalid(Unauthorized):
    code, message = "TOKEN_INVALID", "The access token is invalid or has expired."


class RoleNotAllowed(Forbidden):
    code, message = "ROLE_NOT_ALLOWED", "Your role may not call this endpoint."


class Principal(Protocol):
    """Who is calling: identity's User satisfies it."""

    id: int
    roles: frozenset


_loader: Callable[[str], Principal | None] | None = None


def use_user_loader(loader: Callable[[str], Principal | None]) -> None:
    """Register how a bearer token becomes a caller (None: not an active user; may raise TokenInvalid)."""
    global _loader
    _loader = loader


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


def authenticate() -> Principal:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        raise TokenMissing()
    if _loader is None:
        raise RuntimeError("no user loader registered: create_app() registers identity's")
    user = _loader(header[7:].strip())
    if user is None:
        raise TokenInvalid()
    g.user = user
    return user


def current_user():  # -> api.identity.models.User, the registered loader's type
    return g.user
