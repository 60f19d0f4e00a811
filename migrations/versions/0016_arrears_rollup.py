"""The arrears rollup: open bills and what they owe per street × period × due date, kept by statement-level
triggers on fee_bills (PostgreSQL) that append deltas, folded into the rollup by the clock.

Each trigger aggregates its statement's transition table (a bill run's million-row INSERT adds a few dozen delta
rows, a settlement one), so no bill statement updates a shared row and settlements never queue behind each other.
On SQLite (the embedded default) the tables exist but no trigger keeps them: the report counts the bills there.

Revision ID: 0016_arrears_rollup
Revises: 0015_receipts_issued
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa

from alembic import op

revision = '0016_arrears_rollup'
down_revision = '0015_receipts_issued'
branch_labels = None
depends_on = None

OPEN = "status IN ('unpaid', 'partly_paid')"
# One function for the three triggers: each branch reads only the transition tables its event has.
FUNCTION = f"""
CREATE FUNCTION fee_arrears_delta() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO fee_arrears_deltas (street_code, period, due_date, bills, outstanding_fen)
    SELECT street_code, period, due_date, count(*), sum(amount_fen - paid_fen)
    FROM new_bills WHERE {OPEN} GROUP BY 1, 2, 3;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO fee_arrears_deltas (street_code, period, due_date, bills, outstanding_fen)
    SELECT street_code, period, due_date, -count(*), -sum(amount_fen - paid_fen)
    FROM old_bills WHERE {OPEN} GROUP BY 1, 2, 3;
  ELSE
    INSERT INTO fee_arrears_deltas (street_code, period, due_date, bills, outstanding_fen)
    SELECT street_code, period, due_date, sum(n), sum(fen) FROM (
      SELECT street_code, period, due_date, 1 AS n, amount_fen - paid_fen AS fen FROM new_bills WHERE {OPEN}
      UNION ALL
      SELECT street_code, period, due_date, -1, paid_fen - amount_fen FROM old_bills WHERE {OPEN}
    ) AS changed GROUP BY 1, 2, 3 HAVING sum(n) <> 0 OR sum(fen) <> 0;
  END IF;
  RETURN NULL;
END $$
"""
TRIGGERS = (
    ("insert", "INSERT", "NEW TABLE AS new_bills"),
    ("update", "UPDATE", "OLD TABLE AS old_bills NEW TABLE AS new_bills"),
    ("delete", "DELETE", "OLD TABLE AS old_bills"),
)


def upgrade() -> None:
    op.create_table(
        'fee_arrears_rollup',
        sa.Column('street_code', sa.String(length=12), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('bills', sa.BigInteger(), nullable=False),
        sa.Column('outstanding_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('street_code', 'period', 'due_date', name=op.f('pk_fee_arrears_rollup')),
    )
    op.create_table(
        'fee_arrears_deltas',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('street_code', sa.String(length=12), nullable=False),
        sa.Column('period', sa.Date(), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('bills', sa.BigInteger(), nullable=False),
        sa.Column('outstanding_fen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_arrears_deltas')),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    for name, event, referencing in TRIGGERS:
        op.execute(f"CREATE TRIGGER fee_bills_arrears_{name} AFTER {event} ON fee_bills REFERENCING {referencing} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION fee_arrears_delta()")
    op.execute(f"INSERT INTO fee_arrears_rollup (street_code, period, due_date, bills, outstanding_fen) "
               f"SELECT street_code, period, due_date, count(*), sum(amount_fen - paid_fen) FROM fee_bills "
               f"WHERE {OPEN} GROUP BY 1, 2, 3")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _, _ in TRIGGERS:
            op.execute(f"DROP TRIGGER fee_bills_arrears_{name} ON fee_bills")
        op.execute("DROP FUNCTION fee_arrears_delta()")
    op.drop_table('fee_arrears_deltas')
    op.drop_table('fee_arrears_rollup')
