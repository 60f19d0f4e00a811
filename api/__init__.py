"""穗云智慧城管 API: create_app() wires configuration, extensions and blueprints; nothing at import time."""

from __future__ import annotations

from flask import Flask

from api.config import Config, init_config

OPENAPI = {
    "API_TITLE": "穗云智慧城管 API",
    "API_VERSION": "0.1.0",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "/docs",
    "OPENAPI_SWAGGER_UI_URL": "/docs-assets/",  # served locally (swagger-ui-bundle): works offline
}


def create_app(config: Config | None = None) -> Flask:
    import console
    from api import access, apidoc, blueprints, cli, db, extensions, i18n, observability, wiring
    from api.docs import register_docs_assets
    from api.identity.service import user_for_token

    config = init_config(config or Config.from_env())
    wiring.wire()
    if config.ENV != "test":  # tests keep pytest's log capture
        observability.init_logging(config.ENV, "web")  # JSON lines in production, readable lines elsewhere
    app = Flask(__name__)
    app.config.update(OPENAPI)
    app.config.update({k: getattr(config, k) for k in config.__dataclass_fields__})
    app.config["MAX_CONTENT_LENGTH"] = config.PHOTO_MAX_BYTES + 64 * 1024
    app.json.ensure_ascii = False
    observability.init_app(app)  # first hooks: a request id and a latency for every answer; /metrics
    i18n.init_app(app)  # Chinese unless Accept-Language prefers English; Content-Language on every answer
    app.url_map.converters["int"] = extensions.Int64Converter
    if config.TRUSTED_PROXY_COUNT:  # behind N reverse proxies: the client's address is in X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.TRUSTED_PROXY_COUNT, x_proto=config.TRUSTED_PROXY_COUNT)

    db.bind_session(db.make_engine(config.DATABASE_URL, **db.pool_settings(config)))
    app.teardown_appcontext(db.remove_session)
    extensions.init_redis(config.REDIS_URL)
    access.use_user_loader(user_for_token)
    api = extensions.Api(app, spec_kwargs={"components": {"securitySchemes": {
        "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}}})
    for blueprint in blueprints.BLUEPRINTS():
        api.register_blueprint(blueprint)
    register_docs_assets(app)
    if config.cors_origins:  # development only (the mini-program stand-in, miniprogram_mock/h5): Config.check
        from flask_cors import CORS

        CORS(app, resources={r"^/(?!console)": {"origins": config.cors_origins}}, supports_credentials=False,
             allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "Accept-Language"],
             expose_headers=["Retry-After", "Content-Language"], max_age=600)
    console.init_app(app)  # the staff console (/console): pages on the same services as the API
    from api.open311 import facade

    app.register_blueprint(facade.bp)  # GeoReport v2 (/open311/v2): its own formats and errors, not in OpenAPI
    apidoc.complete(app, api)
    if config.ENV == "test":
        apidoc.watch(app)
    cli.register(app)
    return app
