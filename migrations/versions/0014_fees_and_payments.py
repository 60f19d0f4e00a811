"""Premises register, sanitation fees and WeChat Pay: items, standards, accounts and bindings, exemptions,
bill runs and bills, orders and their items, refunds, the ledger, notifies as received, reconciliation, receipts.

Revision ID: 0014_fees_and_payments
Revises: 0013_content_checks_async
Create Date: 2026-12-01 12:31:00.175037
"""

import sqlalchemy as sa

import api.db
from alembic import op


revision = '0014_fees_and_payments'
down_revision = '0013_content_checks_async'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fee_bill_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('cursor', sa.BigInteger(), nullable=False),
    sa.Column('bills_created', sa.Integer(), nullable=False),
    sa.Column('started_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_bill_runs')),
    sa.UniqueConstraint('period', name=op.f('uq_fee_bill_runs_period'))
    )
    op.create_table('fee_items',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('receipt_kind', sa.String(length=8), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('sort', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint("receipt_kind IN ('fiscal', 'vat')", name=op.f('ck_fee_items_receipt_kind')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_fee_items'))
    )
    op.create_table('fee_notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('notification_id', sa.String(length=64), nullable=True),
    sa.Column('event_type', sa.String(length=32), nullable=True),
    sa.Column('verdict', sa.String(length=20), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=True),
    sa.Column('out_refund_no', sa.String(length=64), nullable=True),
    sa.Column('serial', sa.String(length=64), nullable=True),
    sa.Column('signed_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_notifications'))
    )
    op.create_index('ix_fee_notifications_verdict', 'fee_notifications', ['verdict', 'id'], unique=False)
    op.create_index('uq_fee_notifications_accepted', 'fee_notifications', ['notification_id'], unique=True, postgresql_where=sa.text("verdict = 'accepted'"), sqlite_where=sa.text("verdict = 'accepted'"))
    op.create_table('fee_recon_runs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_date', sa.Date(), nullable=False),
    sa.Column('wechat_in_fen', sa.BigInteger(), nullable=False),
    sa.Column('wechat_out_fen', sa.BigInteger(), nullable=False),
    sa.Column('ours_in_fen', sa.BigInteger(), nullable=False),
    sa.Column('ours_out_fen', sa.BigInteger(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('mismatches', sa.Integer(), nullable=False),
    sa.Column('ran_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_recon_runs')),
    sa.UniqueConstraint('bill_date', name=op.f('uq_fee_recon_runs_bill_date'))
    )
    op.create_table('premises',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('community', sa.String(length=64), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('occupants', sa.Integer(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('household', 'business')", name=op.f('ck_premises_kind')),
    sa.CheckConstraint('occupants >= 0', name=op.f('ck_premises_occupants_non_negative')),
    sa.ForeignKeyConstraint(['grid_code'], ['unit_grids.code'], name=op.f('fk_premises_grid_code_unit_grids')),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_premises_street_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_premises')),
    sa.UniqueConstraint('code', name=op.f('uq_premises_code'))
    )
    op.create_index('ix_premises_street', 'premises', ['street_code', 'id'], unique=False)
    op.create_table('fee_accounts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('premises_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('payer_kind', sa.String(length=24), nullable=False),
    sa.Column('payer_name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("basis IN ('household_month', 'person_month', 'bin')", name=op.f('ck_fee_accounts_basis')),
    sa.CheckConstraint("payer_kind IN ('resident', 'temporary', 'individual_business', 'organisation')", name=op.f('ck_fee_accounts_payer_kind')),
    sa.CheckConstraint("status IN ('active', 'suspended', 'closed')", name=op.f('ck_fee_accounts_status')),
    sa.CheckConstraint('units > 0', name=op.f('ck_fee_accounts_units_positive')),
    sa.ForeignKeyConstraint(['premises_id'], ['premises.id'], name=op.f('fk_fee_accounts_premises_id_premises')),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_fee_accounts_street_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_accounts')),
    sa.UniqueConstraint('number', name=op.f('uq_fee_accounts_number'))
    )
    op.create_index(op.f('ix_fee_accounts_premises_id'), 'fee_accounts', ['premises_id'], unique=False)
    op.create_index('ix_fee_accounts_street', 'fee_accounts', ['street_code', 'id'], unique=False)
    op.create_table('fee_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=127), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('prepay_id', sa.String(length=64), nullable=True),
    sa.Column('time_expire', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('transaction_id', sa.String(length=32), nullable=True),
    sa.Column('paid_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'paid', 'closed', 'paid_after_close')", name=op.f('ck_fee_orders_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_fee_orders_amount_positive')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_fee_orders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_orders')),
    sa.UniqueConstraint('out_trade_no', name=op.f('uq_fee_orders_out_trade_no')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_fee_orders_transaction_id'))
    )
    op.create_index('ix_fee_orders_pending', 'fee_orders', ['created_at'], unique=False, postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.create_index('ix_fee_orders_user', 'fee_orders', ['user_id', 'id'], unique=False)
    op.create_table('fee_recon_mismatches',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ours_fen', sa.Integer(), nullable=True),
    sa.Column('theirs_fen', sa.Integer(), nullable=True),
    sa.Column('our_status', sa.String(length=20), nullable=True),
    sa.Column('their_status', sa.String(length=20), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('missing_ours', 'missing_theirs', 'amount_differs', 'status_differs')", name=op.f('ck_fee_recon_mismatches_kind')),
    sa.CheckConstraint("state IN ('open', 'explained', 'fixed')", name=op.f('ck_fee_recon_mismatches_state')),
    sa.ForeignKeyConstraint(['run_id'], ['fee_recon_runs.id'], name=op.f('fk_fee_recon_mismatches_run_id_fee_recon_runs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_fee_recon_mismatches_updated_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_recon_mismatches')),
    sa.UniqueConstraint('run_id', 'key', name='uq_fee_recon_mismatches_key')
    )
    op.create_table('fee_standards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_code', sa.String(length=16), nullable=False),
    sa.Column('basis', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("basis IN ('household_month', 'person_month', 'bin')", name=op.f('ck_fee_standards_basis')),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_fee_standards_amount_non_negative')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_fee_standards_created_by_users')),
    sa.ForeignKeyConstraint(['item_code'], ['fee_items.code'], name=op.f('fk_fee_standards_item_code_fee_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_standards')),
    sa.UniqueConstraint('item_code', 'basis', 'effective_from', name='uq_fee_standards_period')
    )
    op.create_table('fee_account_bindings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bound_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unbound_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unbound_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['fee_accounts.id'], name=op.f('fk_fee_account_bindings_account_id_fee_accounts')),
    sa.ForeignKeyConstraint(['unbound_by'], ['users.id'], name=op.f('fk_fee_account_bindings_unbound_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_fee_account_bindings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_account_bindings'))
    )
    op.create_index('ix_fee_account_bindings_user', 'fee_account_bindings', ['user_id'], unique=False)
    op.create_index('uq_fee_account_bindings_live', 'fee_account_bindings', ['account_id', 'user_id'], unique=True, postgresql_where=sa.text('unbound_at IS NULL'), sqlite_where=sa.text('unbound_at IS NULL'))
    op.create_table('fee_bills',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('paid_fen', sa.Integer(), nullable=False),
    sa.Column('exempted_fen', sa.Integer(), server_default='0', nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('live_order_id', sa.BigInteger(), nullable=True),
    sa.Column('run_id', sa.BigInteger(), nullable=True),
    sa.Column('reminded_due_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminded_overdue_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('unpaid', 'partly_paid', 'paid', 'nothing_due')", name=op.f('ck_fee_bills_status')),
    sa.CheckConstraint('paid_fen >= 0 AND paid_fen <= amount_fen', name=op.f('ck_fee_bills_paid_within_amount')),
    sa.ForeignKeyConstraint(['account_id'], ['fee_accounts.id'], name=op.f('fk_fee_bills_account_id_fee_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_bills')),
    sa.UniqueConstraint('account_id', 'period', name='uq_fee_bills_account_period')
    )
    op.create_index('ix_fee_bills_street', 'fee_bills', ['street_code', 'status', 'period'], unique=False)
    op.create_index('ix_fee_bills_unpaid_due', 'fee_bills', ['due_date', 'id'], unique=False, postgresql_where=sa.text("status IN ('unpaid', 'partly_paid')"), sqlite_where=sa.text("status IN ('unpaid', 'partly_paid')"))
    op.create_table('fee_exemptions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reduction_pct', sa.SmallInteger(), nullable=False),
    sa.Column('evidence', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requested_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('dibao', 'low_income', 'tekun')", name=op.f('ck_fee_exemptions_kind')),
    sa.CheckConstraint("status IN ('requested', 'approved', 'rejected')", name=op.f('ck_fee_exemptions_status')),
    sa.CheckConstraint('decided_by IS NULL OR decided_by <> requested_by', name=op.f('ck_fee_exemptions_four_eyes')),
    sa.CheckConstraint('reduction_pct BETWEEN 1 AND 100', name=op.f('ck_fee_exemptions_reduction_pct')),
    sa.CheckConstraint('valid_to >= valid_from', name=op.f('ck_fee_exemptions_valid_period')),
    sa.ForeignKeyConstraint(['account_id'], ['fee_accounts.id'], name=op.f('fk_fee_exemptions_account_id_fee_accounts')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_fee_exemptions_decided_by_users')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_fee_exemptions_requested_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_exemptions'))
    )
    op.create_index('ix_fee_exemptions_account', 'fee_exemptions', ['account_id', 'status'], unique=False)
    op.create_table('fee_receipts',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('payer_name', sa.String(length=64), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('fiscal', 'vat')", name=op.f('ck_fee_receipts_kind')),
    sa.ForeignKeyConstraint(['account_id'], ['fee_accounts.id'], name=op.f('fk_fee_receipts_account_id_fee_accounts')),
    sa.ForeignKeyConstraint(['order_id'], ['fee_orders.id'], name=op.f('fk_fee_receipts_order_id_fee_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_receipts')),
    sa.UniqueConstraint('order_id', 'account_id', 'kind', name='uq_fee_receipts_order_kind')
    )
    # No foreign keys: lines are written only by the bill run, in the statement that inserts their bill (ids from
    # its RETURNING); PostgreSQL checks foreign keys row by row, and two per line were two thirds of a million-
    # account run's database time. `flask billing check` verifies every line has its bill, a known item, and that
    # a bill's lines add up to it.
    op.create_table('fee_bill_lines',
    sa.Column('bill_id', sa.BigInteger(), nullable=False),
    sa.Column('item_code', sa.String(length=16), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_fee_bill_lines_amount_non_negative')),
    sa.PrimaryKeyConstraint('bill_id', 'item_code', name=op.f('pk_fee_bill_lines'))
    )
    op.create_table('fee_order_items',
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_fee_order_items_amount_positive')),
    sa.ForeignKeyConstraint(['bill_id'], ['fee_bills.id'], name=op.f('fk_fee_order_items_bill_id_fee_bills')),
    sa.ForeignKeyConstraint(['order_id'], ['fee_orders.id'], name=op.f('fk_fee_order_items_order_id_fee_orders')),
    sa.PrimaryKeyConstraint('order_id', 'bill_id', name=op.f('pk_fee_order_items'))
    )
    op.create_index('ix_fee_order_items_bill', 'fee_order_items', ['bill_id'], unique=False)
    op.create_table('fee_refunds',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('out_refund_no', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bill_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('requested_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('approved_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('decided_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refund_id', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('settled_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('requested', 'rejected', 'approved', 'processing', 'succeeded', 'closed', 'abnormal')", name=op.f('ck_fee_refunds_status')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_fee_refunds_amount_positive')),
    sa.CheckConstraint('approved_by IS NULL OR requested_by IS NULL OR approved_by <> requested_by', name=op.f('ck_fee_refunds_four_eyes')),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], name=op.f('fk_fee_refunds_approved_by_users')),
    sa.ForeignKeyConstraint(['bill_id'], ['fee_bills.id'], name=op.f('fk_fee_refunds_bill_id_fee_bills')),
    sa.ForeignKeyConstraint(['order_id'], ['fee_orders.id'], name=op.f('fk_fee_refunds_order_id_fee_orders')),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_fee_refunds_requested_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_refunds')),
    sa.UniqueConstraint('out_refund_no', name=op.f('uq_fee_refunds_out_refund_no'))
    )
    op.create_index('ix_fee_refunds_bill', 'fee_refunds', ['bill_id'], unique=False)
    op.create_index('ix_fee_refunds_order', 'fee_refunds', ['order_id'], unique=False)
    op.create_table('fee_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('order_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('refund_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('amount_fen', sa.Integer(), nullable=False),
    sa.Column('occurred_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'payment' AND amount_fen > 0) OR (kind = 'refund' AND amount_fen < 0)", name=op.f('ck_fee_ledger_sign')),
    sa.CheckConstraint("kind IN ('payment', 'refund')", name=op.f('ck_fee_ledger_kind')),
    sa.ForeignKeyConstraint(['order_id'], ['fee_orders.id'], name=op.f('fk_fee_ledger_order_id_fee_orders')),
    sa.ForeignKeyConstraint(['refund_id'], ['fee_refunds.id'], name=op.f('fk_fee_ledger_refund_id_fee_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_ledger')),
    sa.UniqueConstraint('key', name=op.f('uq_fee_ledger_key'))
    )
    op.create_index('ix_fee_ledger_occurred', 'fee_ledger', ['occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fee_ledger_occurred', table_name='fee_ledger')
    op.drop_table('fee_ledger')
    op.drop_index('ix_fee_refunds_order', table_name='fee_refunds')
    op.drop_index('ix_fee_refunds_bill', table_name='fee_refunds')
    op.drop_table('fee_refunds')
    op.drop_index('ix_fee_order_items_bill', table_name='fee_order_items')
    op.drop_table('fee_order_items')
    op.drop_table('fee_bill_lines')
    op.drop_table('fee_receipts')
    op.drop_index('ix_fee_exemptions_account', table_name='fee_exemptions')
    op.drop_table('fee_exemptions')
    op.drop_index('ix_fee_bills_unpaid_due', table_name='fee_bills', postgresql_where=sa.text("status IN ('unpaid', 'partly_paid')"), sqlite_where=sa.text("status IN ('unpaid', 'partly_paid')"))
    op.drop_index('ix_fee_bills_street', table_name='fee_bills')
    op.drop_table('fee_bills')
    op.drop_index('uq_fee_account_bindings_live', table_name='fee_account_bindings', postgresql_where=sa.text('unbound_at IS NULL'), sqlite_where=sa.text('unbound_at IS NULL'))
    op.drop_index('ix_fee_account_bindings_user', table_name='fee_account_bindings')
    op.drop_table('fee_account_bindings')
    op.drop_table('fee_standards')
    op.drop_table('fee_recon_mismatches')
    op.drop_index('ix_fee_orders_user', table_name='fee_orders')
    op.drop_index('ix_fee_orders_pending', table_name='fee_orders', postgresql_where=sa.text("status = 'pending'"), sqlite_where=sa.text("status = 'pending'"))
    op.drop_table('fee_orders')
    op.drop_index('ix_fee_accounts_street', table_name='fee_accounts')
    op.drop_index(op.f('ix_fee_accounts_premises_id'), table_name='fee_accounts')
    op.drop_table('fee_accounts')
    op.drop_index('ix_premises_street', table_name='premises')
    op.drop_table('premises')
    op.drop_table('fee_recon_runs')
    op.drop_index('uq_fee_notifications_accepted', table_name='fee_notifications', postgresql_where=sa.text("verdict = 'accepted'"), sqlite_where=sa.text("verdict = 'accepted'"))
    op.drop_index('ix_fee_notifications_verdict', table_name='fee_notifications')
    op.drop_table('fee_notifications')
    op.drop_table('fee_items')
    op.drop_table('fee_bill_runs')
