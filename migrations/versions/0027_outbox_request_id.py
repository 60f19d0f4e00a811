"""The outbox row keeps the id of the request that recorded it, so a job the clock's sweep hands over later (Redis
was away at commit) still logs under that request (docs/operations.md "Logs").

Revision ID: 0027_outbox_request_id
Revises: 0026_device_secrets_hkdf
Create Date: 2026-12-06 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0027_outbox_request_id'
down_revision = '0026_device_secrets_hkdf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_jobs") as batch:
        batch.add_column(sa.Column("request_id", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_jobs") as batch:
        batch.drop_column("request_id")
