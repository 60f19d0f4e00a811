"""Add field staff positions and the staff inbox.

Revision ID: 0005_add_positions_and_inbox
Revises: 0004_add_taxonomy_and_routing
Create Date: 2026-11-24 23:43:15.991559
"""

import sqlalchemy as sa
from alembic import op

import api.db


revision = '0005_add_positions_and_inbox'
down_revision = '0004_add_taxonomy_and_routing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('field_positions',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('reported_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_field_positions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_field_positions'))
    )
    op.create_index(op.f('ix_field_positions_reported_at'), 'field_positions', ['reported_at'], unique=False)
    op.create_table('staff_notices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('message', sa.String(length=200), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_notices_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_notices'))
    )
    op.create_index('ix_staff_notices_unread', 'staff_notices', ['user_id', 'read_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_staff_notices_unread', table_name='staff_notices')
    op.drop_table('staff_notices')
    op.drop_index(op.f('ix_field_positions_reported_at'), table_name='field_positions')
    op.drop_table('field_positions')
