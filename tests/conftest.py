"""Test set-up: a throwaway PostgreSQL database migrated once, real Redis, the simulator on a real port.

- `db`: each test runs inside a transaction that is rolled back (services' commits become savepoints).
- `committed`: for flow tests whose worker needs to see committed rows; tables are truncated afterwards.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from api import apidoc, create_app, db, extensions
from api.calendar import service as calendar
from api.cases import present as case_views
from api.classification import registry as classifier_registry
from api.config import Config, init_config
from api.i18n import compile_catalogues
from api.identity import cache as identity_cache
from api.media.storage import set_storage
from api.migrate import upgrade
from api.organisation import grids
from api.taxonomy import service as taxonomy
from api.wechat.client import reset_client
from api.wechatpay.client import reset_pay_client
from miniprogram_mock.paystate import PayMerchant, generate_rsa_pem
from miniprogram_mock.server import MockServer

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL_BASE = os.environ.get("TEST_PG_URL_BASE", "postgresql+psycopg://postgres@127.0.0.1:5432/")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
APPID, APPSECRET = "wxtestapp0000001", "test-app-secret"
MCHID, MERCHANT_SERIAL, APIV3_KEY = "1900000109", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", "a" * 16 + "b" * 16
PUBLIC_KEY_ID = "PUB_KEY_ID_0114232204232504120000000000"
ISSUER_APP, ISSUER_SECRET = "suiyun-test", "issuer-test-secret"


def pytest_configure(config):
    compile_catalogues()  # what `make test` compiles first, for a bare `pytest` in a fresh clone


@pytest.fixture(scope="session")
def pay_keys(tmp_path_factory) -> dict:
    """The merchant's and the platform's RSA pairs (made once per session), as the backend and WeChat hold them."""
    folder = tmp_path_factory.mktemp("wechatpay")
    merchant_private, merchant_public = generate_rsa_pem()
    platform_private, platform_public = generate_rsa_pem()
    (folder / "merchant.pem").write_text(merchant_private)
    (folder / "platform_public.pem").write_text(platform_public)
    return {"merchant_private_file": str(folder / "merchant.pem"), "merchant_public": merchant_public,
            "platform_private": platform_private, "platform_public_file": str(folder / "platform_public.pem"),
            "merchant_private": merchant_private}


@pytest.fixture(scope="session")
def api_port() -> int:
    """The port the app is served on when a test needs it over HTTP (WeChat Pay's notifies come to it)."""
    from tests.support import free_port

    return free_port()


@pytest.fixture(scope="session")
def pg_url():
    name = f"suiyun_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_URL_BASE + name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def mock_server(pay_keys, tmp_path_factory, api_port):
    merchant = PayMerchant(mchid=MCHID, appid=APPID, serial_no=MERCHANT_SERIAL,
                           merchant_public_key=pay_keys["merchant_public"], apiv3_key=APIV3_KEY,
                           platform_private_key=pay_keys["platform_private"], public_key_id=PUBLIC_KEY_ID)
    server = MockServer({APPID: APPSECRET}, pay=merchant, issuer_apps={ISSUER_APP: ISSUER_SECRET},
                        issuer_state=tmp_path_factory.mktemp("issuer") / "state.jsonl",  # emptied per test
                        h5={"api": f"http://127.0.0.1:{api_port}", "district_bbox": list(Config.DISTRICT_BBOX)}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def config(pg_url, mock_server, media_dir, model_dir, pay_keys, api_port) -> Config:
    return Config(ENV="test", DATABASE_URL=pg_url, REDIS_URL=REDIS_URL, SECRET_KEY="test-secret-key-" + "x" * 32,
                  MEDIA_SIGNING_KEY="test-media-key-" + "y" * 32, WECHAT_APPID=APPID, WECHAT_SECRET=APPSECRET,
                  WECHAT_API_BASE=mock_server.url, MEDIA_DIR=str(media_dir), NOTIFY_RETRY_INTERVALS=[0, 0, 0],
                  OUTBOX_SWEEP_AFTER_S=0, LOGIN_MAX_PER_IP_PER_MIN=1000, MODEL_DIR=str(model_dir),
                  INTAKE_RETRY_INTERVALS=[0, 0, 0], AUTO_DISPATCH=False,
                  WECHATPAY_MCHID=MCHID, WECHATPAY_CERT_SERIAL=MERCHANT_SERIAL,
                  WECHATPAY_PRIVATE_KEY_FILE=pay_keys["merchant_private_file"], WECHATPAY_APIV3_KEY=APIV3_KEY,
                  WECHATPAY_PUBLIC_KEY_FILE=pay_keys["platform_public_file"], WECHATPAY_PUBLIC_KEY_ID=PUBLIC_KEY_ID,
                  WECHATPAY_API_BASE=mock_server.url.rstrip("/"),
                  WECHATPAY_NOTIFY_URL=f"http://127.0.0.1:{api_port}/fees/wechatpay/notify",
                  WECHATPAY_REFUND_NOTIFY_URL=f"http://127.0.0.1:{api_port}/fees/wechatpay/refund-notify",
                  PAY_RETRY_INTERVALS=[0, 0, 0, 0], ISSUER_API_BASE=mock_server.url, ISSUER_APP_ID=ISSUER_APP,
                  ISSUER_SECRET=ISSUER_SECRET, PUBLIC_BASE_URL=f"http://127.0.0.1:{api_port}",
                  CORS_ORIGINS=mock_server.url.rstrip("/"))  # the mini-program stand-in's page (/h5/)


@pytest.fixture(scope="session")
def app(config):
    upgrade(config.DATABASE_URL)
    return create_app(config)


def activate(config: Config) -> None:
    """Point the process-wide configuration, engine, Redis and clients at `config`."""
    init_config(config)
    db.bind_session(db.make_engine(config.DATABASE_URL))
    extensions.init_redis(config.REDIS_URL)
    reset_client()
    reset_pay_client()
    set_storage(None)
    grids.invalidate()
    calendar.invalidate()
    taxonomy.time_limit_of.cache_clear()  # ids restart when flow tests truncate
    classifier_registry.forget()  # versions are truncated with the tables
    case_views.forget()  # names of departments, divisions, categories by id
    identity_cache.forget_all()  # user ids restart when flow tests truncate


# A test whose fixtures reach none of these, and which is not in a folder whose tests start services of their own
# (flows, migrations, scale), is pure: it runs without PostgreSQL, Redis or the simulator, and `make test-fast`
# runs only those (marked `pure` at collection).
SERVICES = frozenset({"app", "config", "mock_server", "pg_url"})
OWN_SERVICES = tuple(Path(__file__).parent / folder for folder in ("flows", "migrations", "scale"))


def needs_services(fixturenames) -> bool:
    return not SERVICES.isdisjoint(fixturenames)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if not needs_services(item.fixturenames) \
                and not any(Path(item.path).is_relative_to(folder) for folder in OWN_SERVICES):
            item.add_marker(pytest.mark.pure)


@pytest.fixture(autouse=True)
def _fresh_services(request):
    """Each test that uses the services finds them fresh: configuration and clients re-pointed, Redis and the
    simulator emptied, the OpenAPI check of error codes armed. A pure test is left alone."""
    if not needs_services(request.fixturenames):
        yield
        return
    config, mock_server = request.getfixturevalue("config"), request.getfixturevalue("mock_server")
    request.getfixturevalue("app")
    activate(config)
    extensions.get_redis().flushdb()
    mock_server.app.extensions["wechat_mock"].reset()
    mock_server.app.extensions["wechat_pay_mock"].reset()
    mock_server.app.extensions["issuer_mock"].reset()
    apidoc.UNDOCUMENTED.clear()
    yield
    if apidoc.UNDOCUMENTED:  # an error code the OpenAPI document does not list for that operation
        if os.environ.get("UNDOCUMENTED_LOG"):
            with open(os.environ["UNDOCUMENTED_LOG"], "a") as log:
                log.writelines(f"{item}\n" for item in sorted(apidoc.UNDOCUMENTED))
        else:
            pytest.fail(f"undocumented error codes (declare them with @blp.errors): {sorted(apidoc.UNDOCUMENTED)}")


@pytest.fixture
def db_session(app):
    """Rolled-back transaction per test; service commits become savepoint releases."""
    engine = db.Session.get_bind()
    connection = engine.connect()
    outer = connection.begin()
    db.Session.remove()
    db.Session.configure(bind=connection, join_transaction_mode="create_savepoint")
    yield db.Session
    db.Session.remove()
    outer.rollback()
    connection.close()
    db.Session.configure(bind=engine, join_transaction_mode="rollback_only")


@pytest.fixture
def committed(app):
    """Real commits (a worker in another connection sees them); every table truncated afterwards."""
    yield db.Session
    db.Session.remove()
    engine = db.Session.get_bind()
    with engine.begin() as conn:
        tables = [t.name for t in reversed(db.Base.metadata.sorted_tables)]
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api_server(app, api_port, committed):
    """The app on a real port (threaded werkzeug), for callers outside the test: WeChat Pay's notifies."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", api_port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{api_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def wechat(mock_server):
    """Helpers over the simulator's control endpoints (a real HTTP port)."""
    from tests.support import MockControl

    return MockControl(mock_server.url)


@pytest.fixture(scope="session", autouse=True)
def _no_process_left_behind():
    """Whatever a test started (workers, the dev server and its children) ends with the session."""
    yield
    from tests.support import SPAWNED_GROUPS, stop_group

    for pgid in list(SPAWNED_GROUPS):
        stop_group(pgid, timeout=5)
