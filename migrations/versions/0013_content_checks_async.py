"""Content checks as jobs: per-item retry state and pending indexes; when a photo's copies were made.

Revision ID: 0013_content_checks_async
Revises: 0012_outbox_retry_intervals
Create Date: 2026-12-01 11:00:00
"""

import sqlalchemy as sa

import api.db
from alembic import op

revision = '0013_content_checks_async'
down_revision = '0012_outbox_retry_intervals'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ('reports', 'media'):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('content_check_attempts', sa.SmallInteger(), server_default='0',
                                       nullable=False))
            batch.add_column(sa.Column('content_check_after', api.db.UTCDateTime(timezone=True), nullable=True))
        op.create_index(f'ix_{table}_check_pending', table, ['id'],
                        postgresql_where=sa.text("content_check = 'pending'"),
                        sqlite_where=sa.text("content_check = 'pending'"))
    with op.batch_alter_table('media') as batch:
        batch.add_column(sa.Column('derived_at', api.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('media') as batch:
        batch.drop_column('derived_at')
    for table in ('reports', 'media'):
        op.drop_index(f'ix_{table}_check_pending', table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column('content_check_after')
            batch.drop_column('content_check_attempts')
