"""Fiscal receipt numbers unique across receipts and reversals.

Revision ID: 0019_receipt_numbers
Revises: 0018_gas_inspection
Create Date: 2026-12-06 05:00:00
"""

import sqlalchemy as sa

import api.db
from alembic import op

revision = '0019_receipt_numbers'
down_revision = '0018_gas_inspection'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fee_receipt_numbers',
    sa.Column('doc_code', sa.String(length=12), nullable=False),
    sa.Column('doc_number', sa.String(length=20), nullable=False),
    sa.Column('receipt_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('held_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('receipt', 'reversal')", name=op.f('ck_fee_receipt_numbers_role')),
    sa.ForeignKeyConstraint(['receipt_id'], ['fee_receipts.id'],
                            name=op.f('fk_fee_receipt_numbers_receipt_id_fee_receipts')),
    sa.PrimaryKeyConstraint('doc_code', 'doc_number', name=op.f('pk_fee_receipt_numbers')),
    sa.UniqueConstraint('receipt_id', 'role', name='uq_fee_receipt_numbers_receipt_role')
    )
    # The numbers already held: receipts' own first, then reversals' — once each. A number two documents already
    # share (the fault this table ends: the old simulator restarted its numbering) is held by the oldest of them;
    # the others keep their numbers in fee_receipts, and `flask billing check` can list them. GROUP BY, not a
    # NOT EXISTS over the rows the same statement inserts (PostgreSQL's snapshot would not see them: the key
    # would be violated and the upgrade abort).
    op.execute("INSERT INTO fee_receipt_numbers (doc_code, doc_number, receipt_id, role, held_at) "
               "SELECT doc_code, doc_number, MIN(id), 'receipt', MIN(COALESCE(issued_at, created_at)) "
               "FROM fee_receipts WHERE doc_code IS NOT NULL AND doc_number IS NOT NULL "
               "GROUP BY doc_code, doc_number")
    op.execute("INSERT INTO fee_receipt_numbers (doc_code, doc_number, receipt_id, role, held_at) "
               "SELECT r.reversal_code, r.reversal_number, MIN(r.id), 'reversal', "
               "MIN(COALESCE(r.reversed_at, r.created_at)) "
               "FROM fee_receipts r WHERE r.reversal_code IS NOT NULL AND r.reversal_number IS NOT NULL "
               "AND NOT EXISTS (SELECT 1 FROM fee_receipt_numbers n "
               "WHERE n.doc_code = r.reversal_code AND n.doc_number = r.reversal_number) "
               "GROUP BY r.reversal_code, r.reversal_number")


def downgrade() -> None:
    op.drop_table('fee_receipt_numbers')
