"""结案 approved by the 值班长 (an office setting): when the 核查 passed, kept apart from when the case closed.

The new status (`awaiting_close`) and role (`shift_lead`) need no schema change: neither cases.status nor
user_roles.role has a CHECK constraint.

Revision ID: 0025_close_approval
Revises: 0024_reporter_contact
Create Date: 2026-12-06 05:15:00
"""

import sqlalchemy as sa
from alembic import op

import api.db

revision = '0025_close_approval'
down_revision = '0024_reporter_contact'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:  # batch: SQLite
        batch.add_column(sa.Column('checked_at', api.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('checked_at')
