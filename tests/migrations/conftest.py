"""A PostgreSQL database of a test's own, empty (dropped afterwards): for migrating an old schema with old rows."""

import uuid

import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import PG_ADMIN, PG_URL_BASE


@pytest.fixture
def empty_database():
    """(its URL, an engine on it)."""
    name = f"suiyun_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(PG_URL_BASE + name)
    yield PG_URL_BASE + name, engine
    engine.dispose()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
