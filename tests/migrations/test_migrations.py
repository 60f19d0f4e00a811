"""Numbered migrations, one head, the database at head, and models that match the migrated schema."""

import re

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from api.db import Base
from api.migrate import MIGRATIONS_DIR, alembic_config


def _script(config):
    return ScriptDirectory.from_config(alembic_config(config.DATABASE_URL))


def test_one_head_and_sequential_numbered_ids(config):
    script = _script(config)
    assert len(script.get_heads()) == 1
    revisions = list(reversed(list(script.walk_revisions())))
    for number, revision in enumerate(revisions, start=1):
        assert re.fullmatch(rf"{number:04d}_[a-z0-9_]+", revision.revision)
        assert len(revision.revision) <= 32  # alembic_version.version_num is VARCHAR(32)
        assert (MIGRATIONS_DIR / "versions" / f"{revision.revision}.py").exists()  # id = file stem


def test_database_is_at_head(app, config):
    engine = sa.create_engine(config.DATABASE_URL)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    assert current == _script(config).get_current_head()


def test_models_match_the_migrated_schema(app, config):
    engine = sa.create_engine(config.DATABASE_URL)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_sqlite_migrates_from_scratch(tmp_path):
    from api.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = sa.create_engine(url)
    assert "reports" in sa.inspect(engine).get_table_names()
    engine.dispose()
