"""Photo copies claimed from the media rows themselves (a coalesced job) instead of one outbox job per photo: the
lease and the attempts on each row, and a partial index of the rows still waiting.

Revision ID: 0017_media_derive_queue
Revises: 0016_arrears_rollup
Create Date: 2026-12-01 16:40:00
"""

import sqlalchemy as sa

import api.db
from alembic import op

revision = '0017_media_derive_queue'
down_revision = '0016_arrears_rollup'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('media') as batch:
        batch.add_column(sa.Column('derive_after', api.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('derive_attempts', sa.SmallInteger(), server_default='0', nullable=False))
    op.create_index('ix_media_underived', 'media', ['id'], postgresql_where=sa.text('derived_at IS NULL'),
                    sqlite_where=sa.text('derived_at IS NULL'))
    # photo-copy jobs still waiting in the outbox: the rows themselves are the work now
    op.execute("DELETE FROM outbox_jobs WHERE func = 'workers.make_photo_derivatives.make_photo_derivatives' "
               "AND handed_over_at IS NULL")


def downgrade() -> None:
    op.drop_index('ix_media_underived', table_name='media')
    with op.batch_alter_table('media') as batch:
        batch.drop_column('derive_attempts')
        batch.drop_column('derive_after')
