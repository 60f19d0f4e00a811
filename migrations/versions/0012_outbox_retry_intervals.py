"""Outbox rows carry their job's retry intervals, as declared in api/jobs.py (no lookup by function path).

Revision ID: 0012_outbox_retry_intervals
Revises: 0011_users_findings
Create Date: 2026-12-01 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0012_outbox_retry_intervals'
down_revision = '0011_users_findings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_jobs') as batch:
        batch.add_column(sa.Column('retry_intervals', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_jobs') as batch:
        batch.drop_column('retry_intervals')
