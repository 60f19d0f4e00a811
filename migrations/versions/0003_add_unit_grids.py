"""Add unit grids (单元网格) with their polygons, and the grid a report falls in.

Revision ID: 0003_add_unit_grids
Revises: 0002_add_working_calendar
Create Date: 2026-11-24 23:37:36.582841
"""

import sqlalchemy as sa
from alembic import op


revision = '0003_add_unit_grids'
down_revision = '0002_add_working_calendar'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('unit_grids',
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('geometry', sa.JSON(), nullable=False),
    sa.Column('min_lon', sa.Float(), nullable=False),
    sa.Column('min_lat', sa.Float(), nullable=False),
    sa.Column('max_lon', sa.Float(), nullable=False),
    sa.Column('max_lat', sa.Float(), nullable=False),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.CheckConstraint('length(code) = 15', name=op.f('ck_unit_grids_code_length')),
    sa.ForeignKeyConstraint(['community_code'], ['divisions.code'], name=op.f('fk_unit_grids_community_code_divisions')),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_unit_grids_street_code_divisions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_unit_grids'))
    )
    op.create_index('ix_unit_grids_bbox', 'unit_grids', ['min_lon', 'min_lat', 'max_lon', 'max_lat'], unique=False)
    op.create_index(op.f('ix_unit_grids_street_code'), 'unit_grids', ['street_code'], unique=False)
    with op.batch_alter_table('reports') as batch:  # batch: SQLite cannot ALTER constraints in place
        batch.add_column(sa.Column('grid_code', sa.String(length=15), nullable=True))
        batch.create_foreign_key(op.f('fk_reports_grid_code_unit_grids'), 'unit_grids', ['grid_code'], ['code'])


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_constraint(op.f('fk_reports_grid_code_unit_grids'), type_='foreignkey')
        batch.drop_column('grid_code')
    op.drop_index(op.f('ix_unit_grids_street_code'), table_name='unit_grids')
    op.drop_index('ix_unit_grids_bbox', table_name='unit_grids')
    op.drop_table('unit_grids')
