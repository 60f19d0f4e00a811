"""Cross-cutting contract: every endpoint declares who may call it and documents its errors."""

from api.identity.access import ACCESS_ATTR

STATIC = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui"}  # framework-served


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


def test_health_reports_dependencies(client, db_session):
    assert client.get("/health").json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
