"""Refund kinds (overcharge/exemption or cancel).

A refund says what it is for: `overcharge` and `exemption` lower the bill's amount due (recorded in the bill's
new `adjusted_fen`, so its lines still add up: lines = amount + adjusted) and the bill stays settled; `cancel`
gives the payment back and the bill is owed again. Every refund made before this revision did what `cancel` does
now (the bill's paid amount went down, its amount due stayed), so existing rows become `cancel`.

The arrears rollup's triggers (0016) need no change: they follow amount − paid of open bills, whatever moved it.

Revision ID: 0020_refund_kinds
Revises: 0019_receipt_numbers
Create Date: 2026-12-06 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0020_refund_kinds'
down_revision = '0019_receipt_numbers'
branch_labels = None
depends_on = None

KIND = "kind IN ('overcharge', 'exemption', 'cancel')"
NEEDS_BILL = "kind = 'cancel' OR bill_id IS NOT NULL"


def upgrade() -> None:
    op.add_column('fee_bills', sa.Column('adjusted_fen', sa.Integer(), server_default='0', nullable=False))
    if op.get_bind().dialect.name == 'sqlite':
        # ADD COLUMN takes the checks; batch mode would rebuild fee_refunds, which fee_ledger's enforced foreign
        # key forbids once a refund has a ledger entry. The default stays on SQLite (every insert names the kind).
        op.execute(f"ALTER TABLE fee_refunds ADD COLUMN kind VARCHAR(12) NOT NULL DEFAULT 'cancel' "
                   f"CONSTRAINT ck_fee_refunds_kind CHECK ({KIND}) "
                   f"CONSTRAINT ck_fee_refunds_kind_needs_bill CHECK ({NEEDS_BILL})")
        return
    op.add_column('fee_refunds', sa.Column('kind', sa.String(length=12), server_default='cancel', nullable=False))
    op.alter_column('fee_refunds', 'kind', server_default=None)
    op.create_check_constraint(op.f('ck_fee_refunds_kind'), 'fee_refunds', KIND)
    op.create_check_constraint(op.f('ck_fee_refunds_kind_needs_bill'), 'fee_refunds', NEEDS_BILL)


def downgrade() -> None:
    # a bill an adjusting refund lowered owes its lines again less what stays paid: put the amount back so the
    # lines add up and the older code's books check holds (its refunds then read as cancels, as they were)
    op.execute("UPDATE fee_bills SET amount_fen = amount_fen + adjusted_fen, "
               "status = CASE WHEN paid_fen = 0 THEN 'unpaid' ELSE 'partly_paid' END WHERE adjusted_fen > 0")
    if op.get_bind().dialect.name == 'sqlite':
        op.execute("ALTER TABLE fee_refunds DROP COLUMN kind")
    else:
        op.drop_constraint(op.f('ck_fee_refunds_kind_needs_bill'), 'fee_refunds', type_='check')
        op.drop_constraint(op.f('ck_fee_refunds_kind'), 'fee_refunds', type_='check')
        op.drop_column('fee_refunds', 'kind')
    op.drop_column('fee_bills', 'adjusted_fen')
