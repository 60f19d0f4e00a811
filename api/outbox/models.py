"""OutboxJob: a job recorded in the same transaction as the change that needs it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow


class OutboxJob(Base):
    __tablename__ = "outbox_jobs"
    __table_args__ = (sa.Index("ix_outbox_jobs_pending", "handed_over_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    queue: Mapped[str] = mapped_column(sa.String(32))
    func: Mapped[str] = mapped_column(sa.String(200))
    args: Mapped[list] = mapped_column(sa.JSON)
    retries: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    on_failure: Mapped[str | None] = mapped_column(sa.String(200))
    retry_intervals: Mapped[list | None] = mapped_column(sa.JSON)  # seconds between RQ retries, as declared
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handed_over_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[str | None] = mapped_column(sa.String(64))  # the request that recorded it (logs follow it)

    @property
    def job_id(self) -> str:
        return f"outbox-{self.id}"
