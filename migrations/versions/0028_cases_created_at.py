"""Cases by the time they were opened: the command centre's "new today" tile and the desks' created_from/to
filters read a range of created_at (without the index, a count over every case ever opened).

Revision ID: 0028_cases_created_at
Revises: 0027_outbox_request_id
Create Date: 2026-12-06 22:45:00
"""

from alembic import op

revision = '0028_cases_created_at'
down_revision = '0027_outbox_request_id'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_cases_created_at", "cases", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_cases_created_at", table_name="cases")
