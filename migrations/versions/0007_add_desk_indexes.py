"""Add ordered partial indexes for the intake and department desks; order the open-deadline index by id too.

Revision ID: 0007_add_desk_indexes
Revises: 0006_add_cases_and_work_orders
Create Date: 2026-11-25 00:26:20.333699
"""

import sqlalchemy as sa
from alembic import op


revision = '0007_add_desk_indexes'
down_revision = '0006_add_cases_and_work_orders'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # (deadline_at, id): the overdue desk's order, served by the index without a sort
    op.drop_index('ix_cases_open_deadline', table_name='cases')
    op.create_index('ix_cases_open_deadline', 'cases', ['deadline_at', 'id'], unique=False,
                    postgresql_where=sa.text("status IN ('dispatched', 'in_progress', 'awaiting_check')"))
    op.create_index('ix_cases_department_desk', 'cases', ['department_id', 'id'], unique=False, postgresql_where=sa.text("status IN ('dispatched', 'in_progress')"))
    op.create_index('ix_cases_intake_desk', 'cases', ['id'], unique=False, postgresql_where=sa.text("status IN ('pending', 'verifying')"))


def downgrade() -> None:
    op.drop_index('ix_cases_open_deadline', table_name='cases')
    op.create_index('ix_cases_open_deadline', 'cases', ['deadline_at'], unique=False,
                    postgresql_where=sa.text("status IN ('dispatched', 'in_progress', 'awaiting_check')"))
    op.drop_index('ix_cases_intake_desk', table_name='cases', postgresql_where=sa.text("status IN ('pending', 'verifying')"))
    op.drop_index('ix_cases_department_desk', table_name='cases', postgresql_where=sa.text("status IN ('dispatched', 'in_progress')"))
