"""Add the case engine: cases, the reports on them, work orders and ratings.

Revision ID: 0006_add_cases_and_work_orders
Revises: 0005_add_positions_and_inbox
Create Date: 2026-11-24 23:47:32.861591
"""

import sqlalchemy as sa
from alembic import op

import api.db


revision = '0006_add_cases_and_work_orders'
down_revision = '0005_add_positions_and_inbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('status_before_deferral', sa.String(length=24), nullable=True),
    sa.Column('category_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('category_code', sa.String(length=24), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('address_text', sa.String(length=200), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('priority', sa.String(length=12), nullable=False),
    sa.Column('supporters', sa.Integer(), nullable=False),
    sa.Column('external_ticket_no', sa.String(length=40), nullable=True),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('handler_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('dispatched_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline_provisional', sa.Boolean(), nullable=False),
    sa.Column('escalation_level', sa.SmallInteger(), nullable=False),
    sa.Column('rework_count', sa.SmallInteger(), nullable=False),
    sa.Column('extension_count', sa.SmallInteger(), nullable=False),
    sa.Column('result_text', sa.Text(), nullable=True),
    sa.Column('closed_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("priority IN ('normal', 'urgent', 'emergency')", name=op.f('ck_cases_priority')),
    sa.CheckConstraint("source IN ('citizen', 'patrol', 'camera', 'sensor', 'hotline', 'gas_inspection', 'drone')", name=op.f('ck_cases_source')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_cases_category_id_categories')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_cases_created_by_users')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_cases_department_id_departments')),
    sa.ForeignKeyConstraint(['grid_code'], ['unit_grids.code'], name=op.f('fk_cases_grid_code_unit_grids')),
    sa.ForeignKeyConstraint(['handler_id'], ['users.id'], name=op.f('fk_cases_handler_id_users')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['cases.id'], name=op.f('fk_cases_merged_into_id_cases')),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_cases_street_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    op.create_index(op.f('ix_cases_category_code'), 'cases', ['category_code'], unique=False)
    op.create_index('ix_cases_department_status', 'cases', ['department_id', 'status', 'id'], unique=False)
    op.create_index('ix_cases_open_deadline', 'cases', ['deadline_at'], unique=False, postgresql_where=sa.text("status IN ('dispatched', 'in_progress', 'awaiting_check')"))
    op.create_index('ix_cases_status_id', 'cases', ['status', 'id'], unique=False)
    op.create_index('ix_cases_street_status', 'cases', ['street_code', 'status', 'id'], unique=False)
    op.create_table('case_reports',
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('linked_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_case_reports_report_id_reports')),
    sa.PrimaryKeyConstraint('report_id', name=op.f('pk_case_reports'))
    )
    op.create_index(op.f('ix_case_reports_case_id'), 'case_reports', ['case_id'], unique=False)
    op.create_table('ratings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('score', sa.SmallInteger(), nullable=False),
    sa.Column('comment', sa.String(length=500), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score BETWEEN 1 AND 5', name=op.f('ck_ratings_score_range')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_ratings_case_id_cases')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_ratings_report_id_reports')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_ratings_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ratings')),
    sa.UniqueConstraint('report_id', name=op.f('uq_ratings_report_id'))
    )
    op.create_index(op.f('ix_ratings_case_id'), 'ratings', ['case_id'], unique=False)
    op.create_table('work_orders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('handler_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('routing_basis', sa.String(length=16), nullable=False),
    sa.Column('return_reason_code', sa.String(length=32), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('dispatched_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_work_orders_case_id_cases')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_work_orders_department_id_departments')),
    sa.ForeignKeyConstraint(['handler_id'], ['users.id'], name=op.f('fk_work_orders_handler_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_orders'))
    )
    op.create_index('ix_work_orders_case', 'work_orders', ['case_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_work_orders_case', table_name='work_orders')
    op.drop_table('work_orders')
    op.drop_index(op.f('ix_ratings_case_id'), table_name='ratings')
    op.drop_table('ratings')
    op.drop_index(op.f('ix_case_reports_case_id'), table_name='case_reports')
    op.drop_table('case_reports')
    op.drop_index('ix_cases_street_status', table_name='cases')
    op.drop_index('ix_cases_status_id', table_name='cases')
    op.drop_index('ix_cases_open_deadline', table_name='cases', postgresql_where=sa.text("status IN ('dispatched', 'in_progress', 'awaiting_check')"))
    op.drop_index('ix_cases_department_status', table_name='cases')
    op.drop_index(op.f('ix_cases_category_code'), table_name='cases')
    op.drop_table('cases')
