"""Gas-safety household inspection: gas users (on the premises register) and their appliances, inspection cycles
(seeded with the reference's suggested defaults), visit tasks, visits as the field app sends them, checklist
answers, hazards (each with its case), photos uploaded ahead of their visits, citizens' bindings.

Revision ID: 0018_gas_inspection
Revises: 0017_media_derive_queue
Create Date: 2026-12-01 17:00:00
"""

import sqlalchemy as sa

import api.db
from alembic import op

# Suggested defaults, not law (shared/reference/gas-and-fees.md §A): Guangzhou's frequency clause is unconfirmed.
CYCLES = (
    ("residential", 12, "建议默认：居民用户每年至少1次（多地条例；CJJ 51-2016 常被引为每2年1次，待核实）"),
    ("non_residential", 6, "建议默认：非居民用户每半年至少1次（福建办法；CJJ 51-2016 3.5.1 每年不少于1次）"),
    ("catering", 1, "建议默认：用气餐饮场所每月至少1次（福建《城镇燃气安全管理办法》2025）"),
)


revision = '0018_gas_inspection'
down_revision = '0017_media_derive_queue'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gas_cycles',
    sa.Column('user_type', sa.String(length=16), nullable=False),
    sa.Column('months', sa.SmallInteger(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('updated_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('months BETWEEN 1 AND 60', name=op.f('ck_gas_cycles_months_range')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_gas_cycles_updated_by_users')),
    sa.PrimaryKeyConstraint('user_type', name=op.f('pk_gas_cycles'))
    )
    op.create_table('gas_photos',
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('inspector_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('media_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_gas_photos_inspector_id_users')),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_gas_photos'))
    )
    op.create_table('gas_users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('meter_no', sa.String(length=32), nullable=True),
    sa.Column('premises_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('user_type', sa.String(length=16), nullable=False),
    sa.Column('supply', sa.String(length=12), nullable=False),
    sa.Column('supplier', sa.String(length=64), nullable=False),
    sa.Column('contact_name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('last_inspected_on', sa.Date(), nullable=True),
    sa.Column('next_due_on', sa.Date(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("supply IN ('pipeline', 'lpg')", name=op.f('ck_gas_users_supply')),
    sa.CheckConstraint("user_type IN ('residential', 'non_residential', 'catering')", name=op.f('ck_gas_users_user_type')),
    sa.ForeignKeyConstraint(['premises_id'], ['premises.id'], name=op.f('fk_gas_users_premises_id_premises')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gas_users')),
    sa.UniqueConstraint('meter_no', name=op.f('uq_gas_users_meter_no')),
    sa.UniqueConstraint('number', name=op.f('uq_gas_users_number'))
    )
    op.create_index('ix_gas_users_due', 'gas_users', ['next_due_on', 'id'], unique=False, postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))
    op.create_index('ix_gas_users_street', 'gas_users', ['street_code', 'grid_code'], unique=False)
    op.create_table('gas_appliances',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gas_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('installed_on', sa.Date(), nullable=True),
    sa.Column('flame_failure', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['gas_user_id'], ['gas_users.id'], name=op.f('fk_gas_appliances_gas_user_id_gas_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gas_appliances'))
    )
    op.create_index(op.f('ix_gas_appliances_gas_user_id'), 'gas_appliances', ['gas_user_id'], unique=False)
    op.create_table('gas_bindings',
    sa.Column('gas_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('bound_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['gas_user_id'], ['gas_users.id'], name=op.f('fk_gas_bindings_gas_user_id_gas_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_gas_bindings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('gas_user_id', 'user_id', name=op.f('pk_gas_bindings'))
    )
    op.create_table('gas_tasks',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gas_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('hazard_id', sa.BigInteger(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('inspector_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('misses', sa.SmallInteger(), nullable=False),
    sa.Column('booked_for', sa.Date(), nullable=True),
    sa.Column('booked_slot', sa.String(length=2), nullable=True),
    sa.Column('reminded_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("booked_slot IS NULL OR booked_slot IN ('am', 'pm')", name=op.f('ck_gas_tasks_booked_slot')),
    sa.CheckConstraint("kind IN ('periodic', 'reinspection')", name=op.f('ck_gas_tasks_kind')),
    sa.CheckConstraint("status IN ('open', 'assigned', 'done', 'refused', 'taken_over', 'cancelled')", name=op.f('ck_gas_tasks_status')),
    sa.ForeignKeyConstraint(['gas_user_id'], ['gas_users.id'], name=op.f('fk_gas_tasks_gas_user_id_gas_users')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_gas_tasks_inspector_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gas_tasks'))
    )
    op.create_index('ix_gas_tasks_inspector', 'gas_tasks', ['inspector_id', 'status', 'due_on', 'id'], unique=False)
    op.create_index('ix_gas_tasks_open', 'gas_tasks', ['street_code', 'due_on'], unique=False, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    op.create_index('uq_gas_tasks_live_periodic', 'gas_tasks', ['gas_user_id'], unique=True, postgresql_where=sa.text("kind = 'periodic' AND status IN ('open', 'assigned', 'taken_over')"), sqlite_where=sa.text("kind = 'periodic' AND status IN ('open', 'assigned', 'taken_over')"))
    op.create_table('gas_visits',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('client_id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('task_version', sa.Integer(), nullable=False),
    sa.Column('inspector_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gas_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('outcome', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('conflict', sa.String(length=200), nullable=True),
    sa.Column('started_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('override_reason', sa.String(length=200), nullable=True),
    sa.Column('checklist_version', sa.String(length=16), nullable=False),
    sa.Column('signature_media_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('received_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('rating_comment', sa.String(length=200), nullable=True),
    sa.Column('rated_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("outcome IN ('passed', 'hazards', 'refused', 'nobody_home')", name=op.f('ck_gas_visits_outcome')),
    sa.CheckConstraint('rating IS NULL OR rating BETWEEN 1 AND 5', name=op.f('ck_gas_visits_rating_range')),
    sa.CheckConstraint("state IN ('applied', 'conflict')", name=op.f('ck_gas_visits_state')),
    sa.ForeignKeyConstraint(['gas_user_id'], ['gas_users.id'], name=op.f('fk_gas_visits_gas_user_id_gas_users')),
    sa.ForeignKeyConstraint(['inspector_id'], ['users.id'], name=op.f('fk_gas_visits_inspector_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['gas_tasks.id'], name=op.f('fk_gas_visits_task_id_gas_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gas_visits')),
    sa.UniqueConstraint('client_id', name=op.f('uq_gas_visits_client_id'))
    )
    op.create_index(op.f('ix_gas_visits_gas_user_id'), 'gas_visits', ['gas_user_id'], unique=False)
    op.create_index(op.f('ix_gas_visits_task_id'), 'gas_visits', ['task_id'], unique=False)
    op.create_table('gas_hazards',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('gas_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('visit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('deadline_on', sa.Date(), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('found_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rectified_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rectified_visit_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("status IN ('open', 'rectified')", name=op.f('ck_gas_hazards_status')),
    sa.CheckConstraint('level IN (1, 2, 3)', name=op.f('ck_gas_hazards_level')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_gas_hazards_case_id_cases')),
    sa.ForeignKeyConstraint(['gas_user_id'], ['gas_users.id'], name=op.f('fk_gas_hazards_gas_user_id_gas_users')),
    sa.ForeignKeyConstraint(['visit_id'], ['gas_visits.id'], name=op.f('fk_gas_hazards_visit_id_gas_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gas_hazards'))
    )
    op.create_index(op.f('ix_gas_hazards_case_id'), 'gas_hazards', ['case_id'], unique=False)
    op.create_index('ix_gas_hazards_open', 'gas_hazards', ['gas_user_id', 'item_code'], unique=False, postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    op.create_table('gas_visit_items',
    sa.Column('visit_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_code', sa.String(length=32), nullable=False),
    sa.Column('result', sa.String(length=4), nullable=False),
    sa.Column('photo_media_id', sa.BigInteger(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.CheckConstraint("result IN ('pass', 'fail', 'na')", name=op.f('ck_gas_visit_items_result')),
    sa.ForeignKeyConstraint(['visit_id'], ['gas_visits.id'], name=op.f('fk_gas_visit_items_visit_id_gas_visits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('visit_id', 'item_code', name=op.f('pk_gas_visit_items'))
    )
    cycles = sa.table('gas_cycles', sa.column('user_type', sa.String), sa.column('months', sa.SmallInteger),
                      sa.column('source', sa.String), sa.column('updated_at', api.db.UTCDateTime(timezone=True)))
    op.bulk_insert(cycles, [{"user_type": t, "months": m, "source": s, "updated_at": api.db.utcnow()}
                            for t, m, s in CYCLES])


def downgrade() -> None:
    op.drop_table('gas_visit_items')
    op.drop_index('ix_gas_hazards_open', table_name='gas_hazards', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    op.drop_index(op.f('ix_gas_hazards_case_id'), table_name='gas_hazards')
    op.drop_table('gas_hazards')
    op.drop_index(op.f('ix_gas_visits_task_id'), table_name='gas_visits')
    op.drop_index(op.f('ix_gas_visits_gas_user_id'), table_name='gas_visits')
    op.drop_table('gas_visits')
    op.drop_index('uq_gas_tasks_live_periodic', table_name='gas_tasks', postgresql_where=sa.text("kind = 'periodic' AND status IN ('open', 'assigned', 'taken_over')"), sqlite_where=sa.text("kind = 'periodic' AND status IN ('open', 'assigned', 'taken_over')"))
    op.drop_index('ix_gas_tasks_open', table_name='gas_tasks', postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    op.drop_index('ix_gas_tasks_inspector', table_name='gas_tasks')
    op.drop_table('gas_tasks')
    op.drop_table('gas_bindings')
    op.drop_index(op.f('ix_gas_appliances_gas_user_id'), table_name='gas_appliances')
    op.drop_table('gas_appliances')
    op.drop_index('ix_gas_users_street', table_name='gas_users')
    op.drop_index('ix_gas_users_due', table_name='gas_users', postgresql_where=sa.text('active'), sqlite_where=sa.text('active'))
    op.drop_table('gas_users')
    op.drop_table('gas_photos')
    op.drop_table('gas_cycles')
