"""Open311 GeoReport v2: registered clients, the requests they filed, and `open311` as a case source.

Revision ID: 0031_open311
Revises: 0030_photo_coverage
Create Date: 2026-12-07 01:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0031_open311'
down_revision = '0030_photo_coverage'
branch_labels = None
depends_on = None

BEFORE = ('citizen', 'patrol', 'camera', 'sensor', 'hotline', 'gas_inspection', 'drone')
AFTER = BEFORE + ('open311',)
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _sources(allowed: tuple[str, ...]) -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_constraint(op.f("ck_cases_source"), type_="check")
        batch.create_check_constraint(op.f("ck_cases_source"), sa.text(f"source IN {allowed}"))


def upgrade() -> None:
    _sources(AFTER)
    op.create_table(
        "open311_clients",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("key_hint", sa.String(8), nullable=False),
        sa.Column("rate_per_minute", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_by", ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name="fk_open311_clients_created_by_users"),
        sa.PrimaryKeyConstraint("id", name="pk_open311_clients"),
        sa.UniqueConstraint("key_digest", name="uq_open311_clients_key_digest"),
    )
    op.create_table(
        "open311_requests",
        sa.Column("case_id", ID, nullable=False),
        sa.Column("client_id", ID, nullable=False),
        sa.Column("token", sa.String(36), nullable=False),
        sa.Column("service_code", sa.String(40), nullable=False),
        sa.Column("media_url", sa.String(1000), nullable=True),
        sa.Column("contact", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name="fk_open311_requests_case_id_cases"),
        sa.ForeignKeyConstraint(["client_id"], ["open311_clients.id"],
                                name="fk_open311_requests_client_id_open311_clients"),
        sa.PrimaryKeyConstraint("case_id", name="pk_open311_requests"),
        sa.UniqueConstraint("token", name="uq_open311_requests_token"),
    )
    op.create_index("ix_open311_requests_client_id", "open311_requests", ["client_id"])


def downgrade() -> None:
    filed = op.get_bind().scalar(sa.text("SELECT count(*) FROM cases WHERE source = 'open311'"))
    if filed:  # those cases would break the constraint: they stay, and so does this revision
        raise RuntimeError(f"{filed} cases came through Open311: downgrading below 0031 would lose their source")
    op.drop_index("ix_open311_requests_client_id", table_name="open311_requests")
    op.drop_table("open311_requests")
    op.drop_table("open311_clients")
    _sources(BEFORE)
