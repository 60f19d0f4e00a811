"""Premises: a household or a business at one address, with its street, community, grid and point."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

KINDS = ("household", "business")


class Premises(Base):
    __tablename__ = "premises"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('household', 'business')", name="kind"),
        sa.CheckConstraint("occupants >= 0", name="occupants_non_negative"),
        sa.Index("ix_premises_street", "street_code", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)  # 门牌编码 as the register keeps it
    kind: Mapped[str] = mapped_column(sa.String(16))
    address: Mapped[str] = mapped_column(sa.String(200))
    street_code: Mapped[str] = mapped_column(sa.ForeignKey("divisions.code"))
    community: Mapped[str] = mapped_column(sa.String(64), default="")
    grid_code: Mapped[str | None] = mapped_column(sa.ForeignKey("unit_grids.code"))
    lat: Mapped[float | None] = mapped_column(sa.Float)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    occupants: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
