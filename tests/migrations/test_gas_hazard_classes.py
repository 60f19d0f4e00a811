"""0022 on an installation that already holds a taxonomy: the 燃气安全 classes, the gas office when it is missing
and a district-wide line from each class to it — and nothing at all on a fresh database (the seed loads them)."""

import sqlalchemy as sa
from alembic import command

from api.migrate import alembic_config, upgrade


def _count(engine, sql: str) -> int:
    with engine.connect() as conn:
        return conn.scalar(sa.text(sql))


def test_an_existing_installation_gets_the_gas_classes_the_office_and_their_lines(tmp_path):
    url = f"sqlite:///{tmp_path / 'installed.db'}"
    upgrade(url, "0021_pay_flags")
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # an office that loaded the national classes, without a gas department
        conn.execute(sa.text(
            "INSERT INTO categories (code, kind, major_code, major_name, minor_code, name, filing_condition, "
            "closing_condition, time_limit, clock_type, needs_verification, requires_after_photo, is_safety, version, "
            "is_current, created_at) VALUES ('event:04-99', 'event', '04', '突发事件', '99', '其他', '', '', 12, "
            "'emergency_hours', 0, 1, 1, 1, 1, '2026-01-01 00:00:00')"))
        conn.execute(sa.text("INSERT INTO departments (code, name, kind) VALUES ('municipal', '区市政设施维护中心', "
                             "'district')"))
    upgrade(url)
    assert _count(engine, "SELECT count(*) FROM categories WHERE major_code = '07' AND is_current") == 13
    assert _count(engine, "SELECT count(*) FROM departments WHERE code = 'gas' AND name = '区燃气管理办公室'") == 1
    assert _count(engine, "SELECT count(*) FROM responsibilities r JOIN departments d ON d.id = r.department_id "
                          "WHERE d.code = 'gas' AND r.division_code IS NULL "
                          "AND r.category_code LIKE 'event:07-%'") == 13
    command.downgrade(alembic_config(url), "0021_pay_flags")  # the schema goes; the classes stay
    assert "case_media" not in sa.inspect(engine).get_table_names()
    assert _count(engine, "SELECT count(*) FROM categories WHERE major_code = '07'") == 13
    engine.dispose()


def test_a_fresh_database_gets_no_rows_from_the_migration(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    engine = sa.create_engine(url)
    assert _count(engine, "SELECT count(*) FROM categories") == 0
    assert _count(engine, "SELECT count(*) FROM departments") == 0
    engine.dispose()
