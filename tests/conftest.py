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
from api.media.storage import set_storage
from api.migrate import upgrade
from api.organisation import grids
from api.taxonomy import service as taxonomy
from api.wechat.client import reset_client
from miniprogram_mock.server import MockServer

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL_BASE = os.environ.get("TEST_PG_URL_BASE", "postgresql+psycopg://postgres@127.0.0.1:5432/")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
APPID, APPSECRET = "wxtestapp0000001", "test-app-secret"


@pytest.fixture(scope="session")
def pg_url():
    name = f"suiyun_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield PG_URL_BASE + name
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def mock_server():
    server = MockServer({APPID: APPSECRET}).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def config(pg_url, mock_server, media_dir, model_dir) -> Config:
    return Config(ENV="test", DATABASE_URL=pg_url, REDIS_URL=REDIS_URL, SECRET_KEY="test-secret-key-" + "x" * 32,
                  MEDIA_SIGNING_KEY="test-media-key-" + "y" * 32, WECHAT_APPID=APPID, WECHAT_SECRET=APPSECRET,
                  WECHAT_API_BASE=mock_server.url, MEDIA_DIR=str(media_dir), NOTIFY_RETRY_INTERVALS=[0, 0, 0],
                  OUTBOX_SWEEP_AFTER_S=0, LOGIN_MAX_PER_IP_PER_MIN=1000, MODEL_DIR=str(model_dir),
                  INTAKE_RETRY_INTERVALS=[0, 0, 0], AUTO_DISPATCH=False)


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
    set_storage(None)
    grids.invalidate()
    calendar.invalidate()
    taxonomy.time_limit_of.cache_clear()  # ids restart when flow tests truncate
    classifier_registry.forget()  # versions are truncated with the tables
    case_views.forget()  # names of departments, divisions, categories by id


@pytest.fixture(autouse=True)
def _fresh_services(request, app, config, mock_server):
    activate(config)
    extensions.get_redis().flushdb()
    mock_server.app.extensions["wechat_mock"].reset()
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
