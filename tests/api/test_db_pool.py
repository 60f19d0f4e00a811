"""Pooled PostgreSQL connections are pinged only after sitting idle (api/db.py `_ping_when_idle`); a connection the
database dropped while it was busy costs one request a 503 SERVICE_BUSY, and the pool reconnects."""

from __future__ import annotations

import time
import uuid

import psycopg
import pytest
import sqlalchemy as sa

from api import db
from api.db import make_engine
from tests.support import citizen_login


def _engine(pg_url: str, after_s: float) -> tuple[sa.Engine, str]:
    name = f"pool-test-{uuid.uuid4().hex[:8]}"
    return make_engine(pg_url, ping_after_idle_s=after_s, connect_args={"application_name": name}), name


def _drop_connections(pg_url: str, name: str) -> int:
    """What a database restart does to this engine's connections."""
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as admin:
        return admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             "WHERE application_name = %s", (name,)).fetchone()[0]


def _pid(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text("SELECT pg_backend_pid()"))


def test_an_idle_connection_is_pinged_and_replaced(pg_url):
    engine, name = _engine(pg_url, after_s=0.05)
    first = _pid(engine)
    assert _drop_connections(pg_url, name) == 1
    time.sleep(0.1)
    assert _pid(engine) != first  # the ping found it gone: a new connection, no error
    engine.dispose()


def test_a_busy_connection_is_not_pinged_and_its_loss_costs_one_statement(pg_url):
    engine, name = _engine(pg_url, after_s=60)
    first = _pid(engine)
    with engine.connect() as conn:  # in use a moment ago: no ping round trip before the statement
        assert conn.scalar(sa.text("SELECT pg_backend_pid()")) == first
    _drop_connections(pg_url, name)
    with pytest.raises(sa.exc.DBAPIError) as lost:
        _pid(engine)
    assert lost.value.connection_invalidated
    assert _pid(engine) != first
    engine.dispose()


def test_a_request_on_a_lost_connection_answers_503_and_the_next_one_works(app, client, wechat, pg_url, committed):
    headers = citizen_login(client, wechat, "o-pool")
    engine, name = _engine(pg_url, after_s=60)
    db.bind_session(engine)
    try:
        assert client.get("/reports", headers=headers).status_code == 200
        _drop_connections(pg_url, name)
        lost = client.get("/reports", headers=headers)
        assert (lost.status_code, lost.json["error"]["code"]) == (503, "SERVICE_BUSY")
        assert lost.headers["Retry-After"]
        assert client.get("/reports", headers=headers).status_code == 200
    finally:
        db.bind_session(make_engine(pg_url))
        engine.dispose()
