"""Add the versioned GB/T 30428 classes, the 权责清单, and the kind of a department.

Revision ID: 0004_add_taxonomy_and_routing
Revises: 0003_add_unit_grids
Create Date: 2026-11-24 23:40:31.186079
"""

import sqlalchemy as sa
from alembic import op

import api.db


revision = '0004_add_taxonomy_and_routing'
down_revision = '0003_add_unit_grids'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('categories',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('major_code', sa.String(length=2), nullable=False),
    sa.Column('major_name', sa.String(length=32), nullable=False),
    sa.Column('minor_code', sa.String(length=2), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('filing_condition', sa.Text(), nullable=False),
    sa.Column('closing_condition', sa.Text(), nullable=False),
    sa.Column('time_limit', sa.Float(), nullable=False),
    sa.Column('clock_type', sa.String(length=16), nullable=False),
    sa.Column('needs_verification', sa.Boolean(), nullable=False),
    sa.Column('requires_after_photo', sa.Boolean(), nullable=False),
    sa.Column('is_safety', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.CheckConstraint("clock_type IN ('emergency_hours', 'working_hours', 'working_days', 'natural_days')", name=op.f('ck_categories_clock_type')),
    sa.CheckConstraint("kind IN ('event', 'component')", name=op.f('ck_categories_kind')),
    sa.CheckConstraint('time_limit > 0', name=op.f('ck_categories_time_limit_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_categories_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
    sa.UniqueConstraint('code', 'version', name='uq_categories_code_version')
    )
    op.create_index('uq_categories_current', 'categories', ['code'], unique=True, postgresql_where=sa.text('is_current'), sqlite_where=sa.text('is_current'))
    op.create_table('responsibilities',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('category_code', sa.String(length=24), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_responsibilities_created_by_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_responsibilities_department_id_departments')),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_responsibilities_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_responsibilities'))
    )
    op.create_index('uq_responsibilities_district', 'responsibilities', ['category_code'], unique=True, postgresql_where=sa.text('division_code IS NULL'), sqlite_where=sa.text('division_code IS NULL'))
    op.create_index('uq_responsibilities_street', 'responsibilities', ['category_code', 'division_code'], unique=True, postgresql_where=sa.text('division_code IS NOT NULL'), sqlite_where=sa.text('division_code IS NOT NULL'))
    # existing departments are district departments; street offices are created by load-divisions
    op.add_column('departments', sa.Column('kind', sa.String(length=16), nullable=False, server_default='district'))


def downgrade() -> None:
    op.drop_column('departments', 'kind')
    op.drop_index('uq_responsibilities_street', table_name='responsibilities', postgresql_where=sa.text('division_code IS NOT NULL'), sqlite_where=sa.text('division_code IS NOT NULL'))
    op.drop_index('uq_responsibilities_district', table_name='responsibilities', postgresql_where=sa.text('division_code IS NULL'), sqlite_where=sa.text('division_code IS NULL'))
    op.drop_table('responsibilities')
    op.drop_index('uq_categories_current', table_name='categories', postgresql_where=sa.text('is_current'), sqlite_where=sa.text('is_current'))
    op.drop_table('categories')
