"""Cross-cutting contract: every endpoint declares who may call it and documents its errors."""

import re

from api.access import ACCESS_ATTR

STATIC = {"static", "console.static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}  # framework-served


def test_every_endpoint_declares_who_may_call_it(app):
    undeclared = []
    for endpoint, view in app.view_functions.items():
        if endpoint in STATIC:
            continue
        view_class = getattr(view, "view_class", None)
        targets = [getattr(view_class, m.lower()) for m in view_class.methods] if view_class else [view]
        undeclared += [f"{endpoint}.{t.__name__}" for t in targets if not getattr(t, ACCESS_ATTR, None)]
    assert undeclared == []


def test_every_operation_documents_an_error_response(client):
    spec = client.get("/openapi.json").json
    operations = [(f"{method.upper()} {path}", op) for path, item in spec["paths"].items()
                  for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")]
    missing = [name for name, op in operations if name != "GET /reports/categories"
               and not any(code.startswith(("4", "5")) for code in op["responses"])]
    assert missing == []
    error_schema = spec["components"]["schemas"]["ErrorEnvelope"]
    assert error_schema["required"] == ["error"]


def test_docs_ui_is_served_with_local_assets(client):
    page = client.get("/docs")
    assert page.status_code == 200 and b"/docs-assets/swagger-ui-bundle.js" in page.data
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_unknown_routes_and_methods_use_the_envelope(client):
    assert client.get("/nope").json["error"]["code"] == "NOT_FOUND"
    assert client.put("/reports").json["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_health_reports_liveness_and_ready_the_dependencies(client, db_session):
    assert client.get("/health").json == {"status": "ok"}  # the process answers; /ready checks what it reaches
    assert client.get("/ready").json == {"status": "ok", "checks": {"database": "ok", "redis": "ok",
                                                                     "migrations": "ok"}}


def _operations(client):
    spec = client.get("/openapi.json").json
    return [(f"{method.upper()} {path}", op) for path, item in spec["paths"].items()
            for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")]


def test_every_operation_has_a_summary_and_a_description_saying_who_and_which_codes(client):
    missing = [name for name, op in _operations(client) if not op.get("summary") or not op.get("description")]
    assert missing == []
    for name, op in _operations(client):
        assert "**Who may call:**" in op["description"], name
        assert "**Error codes**" in op["description"], name


def test_every_error_response_lists_its_codes(client):
    unlisted = []
    for name, op in _operations(client):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                codes = response.get("x-error-codes") or []
                if not codes or not all(f"`{c}`" in response["description"] for c in codes):
                    unlisted.append(f"{name} {status}")
    assert unlisted == []


def test_roles_are_readable_in_the_description_not_only_an_extension(client):
    ops = dict(_operations(client))
    accept = ops["POST /cases/{case_id}/accept"]
    assert accept["x-roles"] == ["intake_clerk"] and "受理员 (`intake_clerk`)" in accept["description"]
    assert "Anyone (no token)." in ops["POST /auth/wechat-login"]["description"]
    assert "`REPORT_NOT_FOUND`" in ops["GET /reports/{report_id}"]["responses"]["404"]["description"]


def test_fixed_sets_appear_as_enums(client):
    spec = client.get("/openapi.json").json
    schemas = spec["components"]["schemas"]
    assert "submitted" in schemas["ReportView"]["properties"]["status"]["enum"]
    assert "awaiting_check" in schemas["Case"]["properties"]["status"]["enum"]
    desk = next(p for p in spec["paths"]["/cases"]["get"]["parameters"] if p["name"] == "desk")
    assert "verification" in desk["schema"]["enum"]


def test_an_undocumented_error_code_is_caught(app, client, db_session):
    from api import apidoc

    client.get("/reports/1")  # 401 TOKEN_MISSING: documented for every operation that needs a token
    assert apidoc.UNDOCUMENTED == set()
    table = app.extensions["error_codes"]
    documented = table[("citizen_reports.ReportById", "GET")]
    table[("citizen_reports.ReportById", "GET")] = {}
    try:
        client.get("/reports/1")
        assert ("citizen_reports.ReportById", "GET", 401, "TOKEN_MISSING") in apidoc.UNDOCUMENTED
    finally:
        apidoc.UNDOCUMENTED.clear()
        table[("citizen_reports.ReportById", "GET")] = documented


def test_every_operation_says_what_it_changes(client):
    bare = [name for name, op in _operations(client) if not op["description"].split("**Who may call:**")[0].strip()]
    assert bare == []



SCHEMA_NAMED = re.compile(r"\b[A-Z][A-Za-z0-9]*Schema\b")  # "see VisitSchema": a schema named in a description
SEE_SCHEMA = re.compile(r"\bsee (?:the )?`?([A-Z][A-Za-z0-9]*)`? schema\b")  # "see the Visit schema"


def _walk(node, path="#"):
    """(where, key, value) of every member of the document's objects, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, value
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}/{index}")


def _resolves(spec: dict, ref) -> bool:
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return False
    node = spec
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def test_every_schema_the_document_refers_to_is_in_it(client):
    """Every $ref resolves, and every schema a description names (`VisitSchema`, "see the Visit schema") is in
    components.schemas: a client generator, or a person reading /docs, finds what it is sent to."""
    spec = client.get("/openapi.json").json
    schemas = set(spec["components"]["schemas"])
    known = schemas | {f"{name}Schema" for name in schemas}
    dangling, missing = [], []
    for path, key, value in _walk(spec):
        if key == "$ref" and not _resolves(spec, value):
            dangling.append(f"{path}: {value}")
        elif key == "description" and isinstance(value, str):
            named = set(SCHEMA_NAMED.findall(value)) | set(SEE_SCHEMA.findall(value))
            missing += [f"{path}: {name}" for name in sorted(named - known)]
    assert len(schemas) > 100 and "ErrorEnvelope" in schemas  # the walk read the real document
    assert [name for name in schemas if re.search(r"[A-Za-z]\d+$", name)] == []  # two schemas, one name: Point1
    assert dangling == []
    assert missing == []
