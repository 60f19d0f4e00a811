"""The operator's auto-dispatch switch, read by the classify workers on every decision (no restart needed).

Revision ID: 0029_intake_switches
Revises: 0028_cases_created_at
Create Date: 2026-12-06 23:25:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0029_intake_switches'
down_revision = '0028_cases_created_at'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_switches",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("updated_by", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["updated_by"], ["users.id"], name="fk_intake_switches_updated_by_users"),
        sa.PrimaryKeyConstraint("name", name="pk_intake_switches"),
    )


def downgrade() -> None:
    op.drop_table("intake_switches")
