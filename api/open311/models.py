"""Open311 clients (the apps and platforms that file through the façade) and the requests they filed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow


class Open311Client(Base):
    """A registered client: its API key is shown once at registration and kept only as a SHA-256 digest."""

    __tablename__ = "open311_clients"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    key_digest: Mapped[str] = mapped_column(sa.String(64), unique=True)  # sha256 hex of the key
    key_hint: Mapped[str] = mapped_column(sa.String(8))  # the key's first characters, to tell keys apart
    rate_per_minute: Mapped[int] = mapped_column(sa.Integer)
    contact: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Open311Request(Base):
    """What a client filed, beside the case it opened: the public token, the client's media link (never fetched) and
    the reporter's contact as the client sent it (for staff only), and the last remark written for the public."""

    __tablename__ = "open311_requests"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("open311_clients.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(36), unique=True)
    service_code: Mapped[str] = mapped_column(sa.String(40))
    media_url: Mapped[str | None] = mapped_column(sa.String(1000))
    contact: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
