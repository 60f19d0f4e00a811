"""Signing out: each user's token epoch. An access token carries the epoch it was issued in; signing out (or an
administrator signing a staff member out) moves the epoch on, and every token issued before is refused.

Revision ID: 0032_token_epoch
Revises: 0031_open311
Create Date: 2026-12-07 04:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0032_token_epoch'
down_revision = '0031_open311'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_epoch")
