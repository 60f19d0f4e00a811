"""Create the foundation: divisions, departments, users, events, outbox, media, reports, notifications.

Revision ID: 0001_create_foundation
Revises:
Create Date: 2026-11-24 22:46:57.911327
"""

import sqlalchemy as sa
from alembic import op

import api.db


revision = '0001_create_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('divisions',
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_code', sa.String(length=12), nullable=True),
    sa.Column('is_demo', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['divisions.code'], name=op.f('fk_divisions_parent_code_divisions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_divisions'))
    )
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('actor_type', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    op.create_index('ix_events_subject', 'events', ['subject_type', 'subject_id', 'id'], unique=False)
    op.create_table('outbox_jobs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('func', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('retries', sa.SmallInteger(), nullable=False),
    sa.Column('on_failure', sa.String(length=200), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handed_over_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_jobs'))
    )
    op.create_index('ix_outbox_jobs_pending', 'outbox_jobs', ['handed_over_at', 'id'], unique=False)
    op.create_table('departments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('division_code', sa.String(length=12), nullable=True),
    sa.ForeignKeyConstraint(['division_code'], ['divisions.code'], name=op.f('fk_departments_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_departments')),
    sa.UniqueConstraint('code', name=op.f('uq_departments_code'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('openid', sa.String(length=64), nullable=True),
    sa.Column('unionid', sa.String(length=64), nullable=True),
    sa.Column('username', sa.String(length=64), nullable=True),
    sa.Column('password_hash', sa.String(length=256), nullable=True),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('scope_division_code', sa.String(length=12), nullable=True),
    sa.Column('scope_department_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'citizen' AND openid IS NOT NULL) OR (kind = 'staff' AND username IS NOT NULL)", name=op.f('ck_users_identity_present')),
    sa.CheckConstraint("kind IN ('citizen', 'staff')", name=op.f('ck_users_kind')),
    sa.ForeignKeyConstraint(['scope_department_id'], ['departments.id'], name=op.f('fk_users_scope_department_id_departments')),
    sa.ForeignKeyConstraint(['scope_division_code'], ['divisions.code'], name=op.f('fk_users_scope_division_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('openid', name=op.f('uq_users_openid')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index(op.f('ix_users_unionid'), 'users', ['unionid'], unique=False)
    op.create_table('media',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('owner_type', sa.String(length=32), nullable=False),
    sa.Column('owner_id', sa.BigInteger(), nullable=False),
    sa.Column('uploaded_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('display_key', sa.String(length=200), nullable=True),
    sa.Column('thumb_key', sa.String(length=200), nullable=True),
    sa.Column('captured_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('exif_lat', sa.Float(), nullable=True),
    sa.Column('exif_lon', sa.Float(), nullable=True),
    sa.Column('content_check', sa.String(length=16), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_media_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media'))
    )
    op.create_index('ix_media_owner', 'media', ['owner_type', 'owner_id', 'id'], unique=False)
    op.create_index(op.f('ix_media_sha256'), 'media', ['sha256'], unique=False)
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.BigInteger(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('page', sa.String(length=128), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('errcode', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_subject', 'notifications', ['subject_type', 'subject_id'], unique=False)
    op.create_index('ix_notifications_user', 'notifications', ['user_id', 'id'], unique=False)
    op.create_table('reports',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('reporter_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('category_hint', sa.String(length=32), nullable=True),
    sa.Column('address_text', sa.String(length=200), nullable=True),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('coord_system_in', sa.String(length=8), nullable=False),
    sa.Column('street_code', sa.String(length=12), nullable=True),
    sa.Column('content_check', sa.String(length=16), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=64), nullable=True),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180', name=op.f('ck_reports_lat_lon_range')),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_reports_reporter_id_users')),
    sa.ForeignKeyConstraint(['street_code'], ['divisions.code'], name=op.f('fk_reports_street_code_divisions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('reporter_id', 'idempotency_key', name='uq_reports_reporter_idempotency_key')
    )
    op.create_index('ix_reports_reporter_status', 'reports', ['reporter_id', 'status', 'id'], unique=False)
    op.create_index('ix_reports_status_submitted', 'reports', ['status', 'submitted_at', 'id'], unique=False)
    op.create_table('subscriptions',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('remaining >= 0', name=op.f('ck_subscriptions_remaining_non_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'template_id', name=op.f('pk_subscriptions'))
    )
    _make_events_append_only()
    op.create_table('user_roles',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_roles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role', name=op.f('pk_user_roles'))
    )


def _make_events_append_only() -> None:
    # The event log is append-only: PostgreSQL refuses UPDATE and DELETE on it.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'events is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
        END $$;
    """)
    op.execute("CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events "
               "FOR EACH ROW EXECUTE FUNCTION events_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS events_append_only ON events")
        op.execute("DROP FUNCTION IF EXISTS events_append_only()")
    op.drop_table('user_roles')
    op.drop_table('subscriptions')
    op.drop_index('ix_reports_status_submitted', table_name='reports')
    op.drop_index('ix_reports_reporter_status', table_name='reports')
    op.drop_table('reports')
    op.drop_index('ix_notifications_user', table_name='notifications')
    op.drop_index('ix_notifications_subject', table_name='notifications')
    op.drop_table('notifications')
    op.drop_index(op.f('ix_media_sha256'), table_name='media')
    op.drop_index('ix_media_owner', table_name='media')
    op.drop_table('media')
    op.drop_index(op.f('ix_users_unionid'), table_name='users')
    op.drop_table('users')
    op.drop_table('departments')
    op.drop_index('ix_outbox_jobs_pending', table_name='outbox_jobs')
    op.drop_table('outbox_jobs')
    op.drop_index('ix_events_subject', table_name='events')
    op.drop_table('events')
    op.drop_table('divisions')
