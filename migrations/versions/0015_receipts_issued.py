"""Receipts issued: the platform's code, number and check code, the rendered PDF, retry state; reversal (红冲)
and re-issue after a refund (a receipt's generation).

Revision ID: 0015_receipts_issued
Revises: 0014_fees_and_payments
Create Date: 2026-12-01 13:50:00
"""

import sqlalchemy as sa

import api.db
from alembic import op

revision = '0015_receipts_issued'
down_revision = '0014_fees_and_payments'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fee_receipts') as batch:
        batch.add_column(sa.Column('doc_code', sa.String(length=12), nullable=True))
        batch.add_column(sa.Column('doc_number', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('check_code', sa.String(length=12), nullable=True))
        batch.add_column(sa.Column('issued_at', api.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('pdf_key', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('font', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('issue_round', sa.SmallInteger(), server_default='0', nullable=False))
        batch.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch.add_column(sa.Column('generation', sa.SmallInteger(), server_default='0', nullable=False))
        batch.add_column(sa.Column('replaces_id', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('reversal_code', sa.String(length=12), nullable=True))
        batch.add_column(sa.Column('reversal_number', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('reversal_pdf_key', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('reversed_at', api.db.UTCDateTime(timezone=True), nullable=True))
        batch.create_unique_constraint('uq_fee_receipts_document', ['doc_code', 'doc_number'])
        batch.drop_constraint('uq_fee_receipts_order_kind', type_='unique')
        batch.create_unique_constraint('uq_fee_receipts_order_kind', ['order_id', 'account_id', 'kind', 'generation'])
    op.create_index('ix_fee_receipts_waiting', 'fee_receipts', ['created_at'],
                    postgresql_where=sa.text("status = 'awaiting_issue'"),
                    sqlite_where=sa.text("status = 'awaiting_issue'"))


def downgrade() -> None:
    op.drop_index('ix_fee_receipts_waiting', table_name='fee_receipts')
    with op.batch_alter_table('fee_receipts') as batch:
        batch.drop_constraint('uq_fee_receipts_order_kind', type_='unique')
        batch.create_unique_constraint('uq_fee_receipts_order_kind', ['order_id', 'account_id', 'kind'])
        batch.drop_constraint('uq_fee_receipts_document', type_='unique')
        for column in ('reversed_at', 'reversal_pdf_key', 'reversal_number', 'reversal_code', 'replaces_id',
                       'generation', 'last_error', 'issue_round', 'font', 'pdf_key', 'issued_at', 'check_code', 'doc_number',
                       'doc_code'):
            batch.drop_column(column)
