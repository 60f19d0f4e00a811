"""Add devices (cameras, sensors, drones), captures, vehicle tallies, sensor readings, rollups, states and
types (with default thresholds); components, depots, materials, stock; cases may name a component.

Revision ID: 0010_add_devices_assets_map
Revises: 0009_cases_fillfactor
Create Date: 2026-11-25 01:46:15.634673
"""

import sqlalchemy as sa
from alembic import op

import api.db


revision = '0010_add_devices_assets_map'
down_revision = '0009_cases_fillfactor'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('materials',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials')),
    sa.UniqueConstraint('code', name=op.f('uq_materials_code'))
    )
    op.create_table('sensor_types',
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('alert_above', sa.Float(), nullable=False),
    sa.Column('clear_below', sa.Float(), nullable=False),
    sa.Column('category_code', sa.String(length=24), nullable=False),
    sa.CheckConstraint('clear_below <= alert_above', name=op.f('ck_sensor_types_hysteresis')),
    sa.PrimaryKeyConstraint('kind', name=op.f('pk_sensor_types'))
    )
    op.create_table('depots',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_depots_street_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_depots')),
    sa.UniqueConstraint('code', name=op.f('uq_depots_code'))
    )
    op.create_table('components',
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('category_code', sa.String(length=24), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('owner_department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('normal', 'damaged', 'lost', 'removed')", name=op.f('ck_components_state')),
    sa.ForeignKeyConstraint(['grid_code'], ['unit_grids.code'], name=op.f('fk_components_grid_code_unit_grids')),
    sa.ForeignKeyConstraint(['owner_department_id'], ['departments.id'], name=op.f('fk_components_owner_department_id_departments')),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_components_street_code_divisions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_components'))
    )
    op.create_index(op.f('ix_components_category_code'), 'components', ['category_code'], unique=False)
    op.create_index('ix_components_lon_lat', 'components', ['lon', 'lat'], unique=False)
    op.create_index(op.f('ix_components_street_code'), 'components', ['street_code'], unique=False)
    op.create_table('stocks',
    sa.Column('depot_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('material_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('quantity >= 0', name=op.f('ck_stocks_quantity_non_negative')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_stocks_depot_id_depots')),
    sa.ForeignKeyConstraint(['material_id'], ['materials.id'], name=op.f('fk_stocks_material_id_materials')),
    sa.PrimaryKeyConstraint('depot_id', 'material_id', name=op.f('pk_stocks'))
    )
    op.create_table('devices',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('detects', sa.JSON(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('secret_encrypted', sa.String(length=300), nullable=False),
    sa.Column('expected_interval_s', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_seen_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('silent_case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('camera', 'sensor', 'drone')", name=op.f('ck_devices_kind')),
    sa.ForeignKeyConstraint(['grid_code'], ['unit_grids.code'], name=op.f('fk_devices_grid_code_unit_grids')),
    sa.ForeignKeyConstraint(['silent_case_id'], ['cases.id'], name=op.f('fk_devices_silent_case_id_cases')),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_devices_street_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('code', name=op.f('uq_devices_code'))
    )
    op.create_index('ix_devices_kind_lat_lon', 'devices', ['kind', 'lat', 'lon'], unique=False)
    op.create_table('captures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('detection', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=True),
    sa.Column('captured_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('media_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_captures_case_id_cases')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_captures_device_id_devices')),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_captures_media_id_media')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captures')),
    sa.UniqueConstraint('device_id', 'event_id', name='uq_captures_device_event')
    )
    op.create_index(op.f('ix_captures_case_id'), 'captures', ['case_id'], unique=False)
    op.create_index('ix_captures_device_time', 'captures', ['device_id', 'captured_at'], unique=False)
    op.create_table('sensor_readings',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('measured_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sensor_readings_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sensor_readings'))
    )
    op.create_index('ix_sensor_readings_device_kind_time', 'sensor_readings', ['device_id', 'kind', 'measured_at'], unique=False)
    op.create_table('sensor_rollups',
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('hour', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('vmin', sa.Float(), nullable=False),
    sa.Column('vmax', sa.Float(), nullable=False),
    sa.Column('vsum', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sensor_rollups_device_id_devices')),
    sa.PrimaryKeyConstraint('device_id', 'kind', 'hour', name=op.f('pk_sensor_rollups'))
    )
    op.create_table('sensor_states',
    sa.Column('device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('last_value', sa.Float(), nullable=False),
    sa.Column('last_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('alerting', sa.Boolean(), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_sensor_states_case_id_cases')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sensor_states_device_id_devices')),
    sa.PrimaryKeyConstraint('device_id', 'kind', name=op.f('pk_sensor_states'))
    )
    op.create_table('vehicle_alert_days',
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('last_device_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_vehicle_alert_days_case_id_cases')),
    sa.ForeignKeyConstraint(['last_device_id'], ['devices.id'], name=op.f('fk_vehicle_alert_days_last_device_id_devices')),
    sa.PrimaryKeyConstraint('plate', 'day', name=op.f('pk_vehicle_alert_days'))
    )
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('component_code', sa.String(length=16), nullable=True))
        batch.create_foreign_key(op.f('fk_cases_component_code_components'), 'components', ['component_code'], ['code'])
    op.create_index('ix_cases_open_lon_lat', 'cases', ['lon', 'lat'], unique=False, postgresql_where=sa.text("status IN ('pending', 'verifying', 'awaiting_dispatch', 'dispatched', 'in_progress', 'awaiting_check', 'deferred')"))


def downgrade() -> None:
    op.drop_index('ix_cases_open_lon_lat', table_name='cases', postgresql_where=sa.text("status IN ('pending', 'verifying', 'awaiting_dispatch', 'dispatched', 'in_progress', 'awaiting_check', 'deferred')"))
    with op.batch_alter_table('cases') as batch:
        batch.drop_constraint(op.f('fk_cases_component_code_components'), type_='foreignkey')
        batch.drop_column('component_code')
    op.drop_table('vehicle_alert_days')
    op.drop_table('sensor_states')
    op.drop_table('sensor_rollups')
    op.drop_index('ix_sensor_readings_device_kind_time', table_name='sensor_readings')
    op.drop_table('sensor_readings')
    op.drop_index('ix_captures_device_time', table_name='captures')
    op.drop_index(op.f('ix_captures_case_id'), table_name='captures')
    op.drop_table('captures')
    op.drop_index('ix_devices_kind_lat_lon', table_name='devices')
    op.drop_table('devices')
    op.drop_table('stocks')
    op.drop_index(op.f('ix_components_street_code'), table_name='components')
    op.drop_index('ix_components_lon_lat', table_name='components')
    op.drop_index(op.f('ix_components_category_code'), table_name='components')
    op.drop_table('components')
    op.drop_table('depots')
    op.drop_table('sensor_types')
    op.drop_table('materials')
