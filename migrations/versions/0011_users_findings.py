"""What users found: result rounds (after-photos per round, one rating per round), reopen counts, idempotency
fingerprints, flagged inbox notices.

Revision ID: 0011_users_findings
Revises: 0010_add_devices_assets_map
Create Date: 2026-12-01 06:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0011_users_findings'
down_revision = '0010_add_devices_assets_map'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('result_round', sa.SmallInteger(), server_default='0', nullable=False))
        batch.add_column(sa.Column('reopen_count', sa.SmallInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('reopen_count', sa.SmallInteger(), server_default='0', nullable=False))
        batch.add_column(sa.Column('idempotency_fingerprint', sa.String(length=64), nullable=True))
    with op.batch_alter_table('media') as batch:
        batch.add_column(sa.Column('round', sa.SmallInteger(), nullable=True))
    with op.batch_alter_table('ratings') as batch:
        batch.add_column(sa.Column('round', sa.SmallInteger(), server_default='1', nullable=False))
        batch.drop_constraint('uq_ratings_report_id', type_='unique')
        batch.create_unique_constraint('uq_ratings_report_round', ['report_id', 'round'])
    with op.batch_alter_table('staff_notices') as batch:
        batch.add_column(sa.Column('flagged', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('staff_notices') as batch:
        batch.drop_column('flagged')
    with op.batch_alter_table('ratings') as batch:
        batch.drop_constraint('uq_ratings_report_round', type_='unique')
        batch.create_unique_constraint('uq_ratings_report_id', ['report_id'])
        batch.drop_column('round')
    with op.batch_alter_table('media') as batch:
        batch.drop_column('round')
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('idempotency_fingerprint')
        batch.drop_column('reopen_count')
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('reopen_count')
        batch.drop_column('result_round')
