"""What the image head said about a photo's coverage: its similarity to the nearest trained class and whether it
abstained (the photo is none of the classes it knows), so the decision and the audit both show it.

Revision ID: 0030_photo_coverage
Revises: 0029_intake_switches
Create Date: 2026-12-06 23:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0030_photo_coverage'
down_revision = '0029_intake_switches'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("photo_predictions") as batch:
        batch.add_column(sa.Column("abstained", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("coverage", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("photo_predictions") as batch:
        batch.drop_column("coverage")
        batch.drop_column("abstained")
