"""The OpenAPI document a mini-program developer reads: who may call each operation, what it changes, and the
error codes each response can carry — generated from the code so it cannot drift.

Every endpoint declares its error kinds with `@blp.errors(ReportNotFound, TooManyPhotos, …)` (DomainError
subclasses: their status and stable code) and who may call it with `@requires(...)`/`@public`. `complete()` then
writes, for each operation, the codes per error response (`x-error-codes` and the response description), the
roles in words (Swagger UI shows descriptions, not `x-` extensions) and the codes every endpoint shares (invalid
input, tokens, a busy service). In tests, `watch()` records any error code a response carries that its
operation does not document, and the suite fails on it: documentation and behaviour cannot part.
"""

from __future__ import annotations

import re
from collections import defaultdict

from flask import Flask, request

from api.access import ACCESS_ATTR
from api.roles import LABELS_ZH, Role

ERROR_KINDS_ATTR = "_error_kinds"
# (endpoint, method, status, code) seen in a response but not documented: the test suite fails on any
UNDOCUMENTED: set[tuple[str, str, int, str]] = set()

_RULE_ARG = re.compile(r"<(?:[^<>:]+(?:\([^)]*\))?:)?([^<>]+)>")
_SHARED = {
    "input": {400: {"VALIDATION_ERROR", "INVALID_JSON", "BAD_REQUEST"}, 413: {"PAYLOAD_TOO_LARGE"},
              415: {"UNSUPPORTED_MEDIA_TYPE"}},
    "token": {401: {"TOKEN_MISSING", "TOKEN_INVALID"}, 403: {"ROLE_NOT_ALLOWED"}},
    "path": {404: {"NOT_FOUND"}},
    "always": {503: {"SERVICE_BUSY"}},
}


def declare(func, kinds) -> None:
    """Remember the error kinds (DomainError subclasses or bare statuses) an endpoint declares."""
    existing = list(getattr(func, ERROR_KINDS_ATTR, ()))
    setattr(func, ERROR_KINDS_ATTR, existing + list(kinds))


def codes_of(func, rule: str, method: str) -> dict[int, set[str]]:
    """status → the stable codes this operation can answer with."""
    codes: dict[int, set[str]] = defaultdict(set)
    groups = ["always"]
    if method in ("POST", "PUT", "PATCH") or "arguments" in getattr(func, "_apidoc", {}):
        groups.append("input")
    if "public" not in getattr(func, ACCESS_ATTR, {"public"}):
        groups.append("token")
    if "<" in rule:
        groups.append("path")
    for group in groups:
        for status, names in _SHARED[group].items():
            codes[status] |= names
    for kind in getattr(func, ERROR_KINDS_ATTR, ()):
        if isinstance(kind, int):
            codes.setdefault(kind, set())
        else:
            codes[kind.status].add(kind.code)
    return dict(codes)


def complete(app: Flask, api) -> None:
    """Write codes, roles and descriptions into every operation of the spec (after the blueprints are in)."""
    paths = api.spec._paths  # apispec keeps the registered operations here until to_dict()
    table: dict[tuple[str, str], dict[int, set[str]]] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        view_class = getattr(view, "view_class", None)
        path = _RULE_ARG.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            func = getattr(view_class, method.lower(), None) if view_class else view
            if func is None:
                continue
            codes = codes_of(func, rule.rule, method)
            table[(rule.endpoint, method)] = codes
            operation = paths.get(path, {}).get(method.lower())
            if operation is not None:
                _document(operation, func, codes, method.lower())
    app.extensions["error_codes"] = table


def _document(operation: dict, func, codes: dict[int, set[str]], method: str) -> None:
    roles = sorted(getattr(func, ACCESS_ATTR, set()))
    who = "Anyone (no token)." if roles == ["public"] else ", ".join(
        f"{LABELS_ZH.get(Role(r), r)} (`{r}`)" if r in Role._value2member_map_ else f"`{r}`" for r in roles)
    responses = operation.setdefault("responses", {})
    lines = []
    for status in sorted(codes):
        names = sorted(codes[status])
        response = responses.get(status) or responses.get(str(status))
        if response is None or "$ref" in response:
            response = responses[str(status)] = {}
        response.setdefault("content", _envelope())
        response["description"] = "Error codes: " + ", ".join(f"`{n}`" for n in names) if names else "Error"
        response["x-error-codes"] = names
        if names:
            lines.append(f"- **{status}**: " + ", ".join(f"`{n}`" for n in names))
    own = (operation.get("description") or "").strip()
    if not own and method == "get":
        own = "Reads only: changes nothing."
    operation["description"] = "\n\n".join(part for part in (
        own, f"**Who may call:** {who}", "**Error codes** (in `error.code` of the error envelope):\n" +
        "\n".join(lines)) if part)
    if roles != ["public"]:
        operation["x-roles"] = roles


def _envelope() -> dict:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}


def watch(app: Flask) -> None:
    """Test mode: record every error code a response gives that its operation does not document (a 500 is a bug
    of its own and fails the test that meets it anyway)."""

    @app.after_request
    def _check(response):
        if response.status_code < 400 or response.status_code == 500 or not response.is_json:
            return response
        body = response.get_json(silent=True)
        if not isinstance(body, dict):  # Open311's errors are the specification's array, not our envelope
            return response
        code = (body.get("error") or {}).get("code")
        endpoint = request.url_rule.endpoint if request.url_rule else None
        if code and endpoint:
            documented = app.extensions.get("error_codes", {}).get((endpoint, request.method), {})
            if code not in documented.get(response.status_code, set()):
                UNDOCUMENTED.add((endpoint, request.method, response.status_code, code))
        return response
