"""Event: one row per state change, never updated or deleted (a PostgreSQL trigger enforces it)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (sa.Index("ix_events_subject", "subject_type", "subject_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[int] = mapped_column(sa.BigInteger)
    action: Mapped[str] = mapped_column(sa.String(48))
    actor_type: Mapped[str] = mapped_column(sa.String(16))  # citizen | staff | system | device
    actor_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    from_state: Mapped[str | None] = mapped_column(sa.String(32))
    to_state: Mapped[str | None] = mapped_column(sa.String(32))
    reason: Mapped[str | None] = mapped_column(sa.Text)
    payload: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
