"""Add the automatic intake: model versions, photo predictions, report classifications, thresholds;
cases get a triage reason and the model's suggestions; merged reports remember their case (unmerge).

Revision ID: 0008_add_automatic_intake
Revises: 0007_add_desk_indexes
Create Date: 2026-11-25 01:02:01.349378
"""

import sqlalchemy as sa
from alembic import op

import api.db


revision = '0008_add_automatic_intake'
down_revision = '0007_add_desk_indexes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('category_thresholds',
    sa.Column('category_code', sa.String(length=24), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('updated_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('updated_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('threshold > 0 AND threshold <= 1', name=op.f('ck_category_thresholds_threshold_range')),
    sa.ForeignKeyConstraint(['updated_by'], ['users.id'], name=op.f('fk_category_thresholds_updated_by_users')),
    sa.PrimaryKeyConstraint('category_code', name=op.f('pk_category_thresholds'))
    )
    op.create_table('model_versions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('path', sa.String(length=300), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('backbone', sa.String(length=40), nullable=False),
    sa.Column('classes', sa.JSON(), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('promoted_at', api.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('candidate', 'promoted', 'retired')", name=op.f('ck_model_versions_status')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_model_versions_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_versions')),
    sa.UniqueConstraint('name', name=op.f('uq_model_versions_name'))
    )
    op.create_index('uq_model_versions_promoted', 'model_versions', ['status'], unique=True, postgresql_where=sa.text("status = 'promoted'"), sqlite_where=sa.text("status = 'promoted'"))
    op.create_table('photo_predictions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('media_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('model_version', sa.String(length=40), nullable=False),
    sa.Column('backbone', sa.String(length=40), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('imagenet_top', sa.JSON(), nullable=False),
    sa.Column('embedding', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['media_id'], ['media.id'], name=op.f('fk_photo_predictions_media_id_media'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_photo_predictions_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo_predictions')),
    sa.UniqueConstraint('media_id', name=op.f('uq_photo_predictions_media_id'))
    )
    op.create_index(op.f('ix_photo_predictions_report_id'), 'photo_predictions', ['report_id'], unique=False)
    op.create_table('report_classifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('report_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('model_version', sa.String(length=40), nullable=False),
    sa.Column('category_code', sa.String(length=24), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('top3', sa.JSON(), nullable=False),
    sa.Column('signals', sa.JSON(), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', api.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("decision IN ('auto_accepted', 'verification', 'triage', 'merged', 'staff_first')", name=op.f('ck_report_classifications_decision')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_report_classifications_case_id_cases')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_report_classifications_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_classifications')),
    sa.UniqueConstraint('report_id', name=op.f('uq_report_classifications_report_id'))
    )
    op.create_index(op.f('ix_report_classifications_case_id'), 'report_classifications', ['case_id'], unique=False)
    with op.batch_alter_table('case_reports') as batch:
        batch.add_column(sa.Column('merged_from_case_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch.create_foreign_key(op.f('fk_case_reports_merged_from_case_id_cases'), 'cases', ['merged_from_case_id'], ['id'])
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('triage_reason', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('suggestions', sa.JSON(), nullable=True))
    op.create_index('ix_cases_triage_desk', 'cases', ['id'], unique=False, postgresql_where=sa.text('triage_reason IS NOT NULL'))


def downgrade() -> None:
    op.drop_index('ix_cases_triage_desk', table_name='cases', postgresql_where=sa.text('triage_reason IS NOT NULL'))
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('suggestions')
        batch.drop_column('triage_reason')
    with op.batch_alter_table('case_reports') as batch:
        batch.drop_constraint(op.f('fk_case_reports_merged_from_case_id_cases'), type_='foreignkey')
        batch.drop_column('merged_from_case_id')
    op.drop_index(op.f('ix_report_classifications_case_id'), table_name='report_classifications')
    op.drop_table('report_classifications')
    op.drop_index(op.f('ix_photo_predictions_report_id'), table_name='photo_predictions')
    op.drop_table('photo_predictions')
    op.drop_index('uq_model_versions_promoted', table_name='model_versions', postgresql_where=sa.text("status = 'promoted'"), sqlite_where=sa.text("status = 'promoted'"))
    op.drop_table('model_versions')
    op.drop_table('category_thresholds')
