"""Pay orders flagged for the billing head (payer mismatch); reconciliation runs whose bill could not be verified.

Revision ID: 0021_pay_flags
Revises: 0020_refund_kinds
Create Date: 2026-12-06 05:00:00
"""

import sqlalchemy as sa
from alembic import op

import api.db

revision = '0021_pay_flags'
down_revision = '0020_refund_kinds'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fee_orders') as batch:  # batch: SQLite cannot add a CHECK in place
        batch.add_column(sa.Column('paid_openid', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('flag', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('flagged_at', api.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_check_constraint(op.f('ck_fee_orders_flag'), "flag IS NULL OR flag IN ('payer_differs')")
    op.create_index('ix_fee_orders_flagged', 'fee_orders', ['flagged_at'], unique=False,
                    postgresql_where=sa.text('flag IS NOT NULL'), sqlite_where=sa.text('flag IS NOT NULL'))
    with op.batch_alter_table('fee_recon_runs') as batch:
        batch.add_column(sa.Column('bill_problem', sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fee_recon_runs') as batch:
        batch.drop_column('bill_problem')
    op.drop_index('ix_fee_orders_flagged', table_name='fee_orders',
                  postgresql_where=sa.text('flag IS NOT NULL'), sqlite_where=sa.text('flag IS NOT NULL'))
    with op.batch_alter_table('fee_orders') as batch:
        batch.drop_constraint(op.f('ck_fee_orders_flag'), type_='check')
        batch.drop_column('flagged_at')
        batch.drop_column('flag')
        batch.drop_column('paid_openid')
