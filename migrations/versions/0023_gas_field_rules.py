"""Gas field rules (datum, visit times, residents): the check-in's datum as the app sent it and the inspector's
on-site measures on each visit; the gas company's point of a gas user (WGS-84), when its import gives one.

Revision ID: 0023_gas_field_rules
Revises: 0022_gas_hazard_cases
Create Date: 2026-12-06 05:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0023_gas_field_rules'
down_revision = '0022_gas_hazard_cases'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('gas_visits') as batch:
        batch.add_column(sa.Column('coord_system_in', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('measures', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table('gas_users') as batch:
        batch.add_column(sa.Column('lat', sa.Float(), nullable=True))
        batch.add_column(sa.Column('lon', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('gas_users') as batch:
        batch.drop_column('lon')
        batch.drop_column('lat')
    with op.batch_alter_table('gas_visits') as batch:
        batch.drop_column('measures')
        batch.drop_column('coord_system_in')
