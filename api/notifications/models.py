"""Subscription quota per (user, template) and one row per notification with its terminal state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"  # terminal
    NO_QUOTA = "no_quota"  # terminal: the user has not (or no longer) accepted this template
    FAILED = "failed"  # terminal: WeChat refused it, or retries ran out


TERMINAL = frozenset({NotificationStatus.SENT, NotificationStatus.NO_QUOTA, NotificationStatus.FAILED})


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (sa.CheckConstraint("remaining >= 0", name="remaining_non_negative"),)

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    template_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    remaining: Mapped[int] = mapped_column(sa.Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user", "user_id", "id"),
                      sa.Index("ix_notifications_subject", "subject_type", "subject_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    template_id: Mapped[str] = mapped_column(sa.String(64))
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[int] = mapped_column(sa.BigInteger)
    data: Mapped[dict] = mapped_column(sa.JSON)
    page: Mapped[str | None] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(16), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0)
    errcode: Mapped[int | None] = mapped_column(sa.Integer)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StaffNotice(Base):
    """An in-app inbox notice for staff (staff have no subscribe-message quota)."""

    __tablename__ = "staff_notices"
    __table_args__ = (sa.Index("ix_staff_notices_unread", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(32))  # new_work | returned | escalated | verification_task …
    subject_type: Mapped[str] = mapped_column(sa.String(32))
    subject_id: Mapped[int] = mapped_column(sa.BigInteger)
    message: Mapped[str] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    flagged: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())  # needs a person
