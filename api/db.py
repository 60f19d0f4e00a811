"""SQLAlchemy 2 base, the scoped session, and the UTC timestamp type."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT ids on PostgreSQL; SQLite only auto-increments INTEGER PRIMARY KEY.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(sa.TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware (SQLite drops the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: times are stored in UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


Session = scoped_session(sessionmaker(expire_on_commit=False))


def make_engine(url: str, ping_after_idle_s: float = 0, **kwargs) -> sa.Engine:
    """An engine for `url`. PostgreSQL connections are checked before use only when they have been idle for
    `ping_after_idle_s` or longer (0: before every use, SQLAlchemy's pre-ping): see `_ping_when_idle`."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_pre_ping", ping_after_idle_s <= 0)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    engine = sa.create_engine(url, **kwargs)
    if ping_after_idle_s > 0:
        _ping_when_idle(engine, ping_after_idle_s)
    return engine


def _ping_when_idle(engine: sa.Engine, after_s: float) -> None:
    """Ping a pooled connection before use only if it sat idle `after_s` or longer: a connection in steady use
    needs no round trip of its own before every request (it was SQLAlchemy's pre-ping, an eighth of a report
    creation's time). What this gives up, and how it is handled: a database restart or failover breaks connections
    that were busy a moment ago too; the first statement on such a connection fails as a disconnect, SQLAlchemy
    then invalidates every connection of the pool (each reconnects on its next use), and the request in flight
    answers 503 SERVICE_BUSY with Retry-After (api/errors.py) — nothing was written by it. Idle connections, which
    a restart, a failover or a firewall's idle timeout most likely broke unnoticed, are pinged as before."""

    @event.listens_for(engine, "checkin")
    def _idle_from_now(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < after_s:
            return  # just connected, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DisconnectionError("connection gone while idle") from exc
        if not alive:
            raise sa.exc.DisconnectionError("connection gone while idle")  # the pool connects afresh


def pool_settings(config) -> dict:
    if config.is_sqlite:
        return {}
    return {"pool_size": config.DB_POOL_SIZE, "max_overflow": config.DB_MAX_OVERFLOW,
            "pool_timeout": config.DB_POOL_TIMEOUT_S, "ping_after_idle_s": config.DB_PING_AFTER_IDLE_S}


def insert_for(model):
    """An INSERT for `model` in the session's dialect, with `on_conflict_do_update` (PostgreSQL or SQLite)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = Session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def upsert(model, rows: list[dict], keys: list[str]) -> None:
    """Insert `rows` (dicts of one model's columns, all with the same keys) or update those whose `keys` exist, in
    statements of 5,000 rows: one round trip per batch, not a read and a write per row. Rows go in as given
    (parents before children where a table refers to itself)."""
    if not rows:
        return
    insert = insert_for(model)
    updates = {c: insert.excluded[c] for c in rows[0] if c not in keys}
    for start in range(0, len(rows), 5000):
        Session.execute(insert.on_conflict_do_update(index_elements=keys, set_=updates), rows[start:start + 5000])


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below), so savepoints work too
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def _sqlite_begin_immediate(conn) -> None:
    """SQLite has no row locks (SELECT … FOR UPDATE is a no-op): each transaction takes the database's write
    lock when it begins, so the checks the services make under `with_for_update` (photos on a draft, one rating,
    one capture per event) hold on the embedded default as on PostgreSQL. Writers queue (15 s busy timeout)."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")


_engine: sa.Engine | None = None


def bind_session(engine: sa.Engine) -> None:
    global _engine
    Session.remove()
    Session.configure(bind=engine)
    _engine = engine


def dispose_after_fork() -> None:
    """In a forked child: drop the parent's pooled connections without closing the parent's sockets."""
    Session.remove()
    if _engine is not None:
        _engine.dispose(close=False)


def remove_session(_exc: BaseException | None = None) -> None:
    Session.remove()


class unit_of_work(contextlib.ContextDecorator):  # noqa: N801 - used like a function: `with unit_of_work():`
    """The one place a unit of work commits: around a route (every POST/PUT/PATCH/DELETE, by api.extensions'
    Blueprint), a job (workers/jobs.py) or a CLI command. Services only add and flush; whatever a failure
    interrupts is rolled back here, so nothing is half-written."""

    def __enter__(self):
        return Session()

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is None:
            Session.commit()
        else:
            Session.rollback()
        return False
