"""Reporters staff can reach: a citizen's nickname (WeChat's 头像昵称填写, given by PUT /me/profile) and the
contact phone a citizen may give on a report.

Revision ID: 0024_reporter_contact
Revises: 0023_gas_field_rules
Create Date: 2026-12-06 05:15:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0024_reporter_contact'
down_revision = '0023_gas_field_rules'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('nickname', sa.String(length=32), nullable=True))
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('contact_phone', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('contact_phone')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('nickname')
