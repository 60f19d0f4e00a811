"""Components (部件, 16-digit codes) and materials (物资) in stock at depots."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

COMPONENT_STATES = ("normal", "damaged", "lost", "removed")


class Component(Base):
    """16-digit code = 6 district + 2 大类 + 2 小类 + 6 sequence (the 小类 is part of the code)."""

    __tablename__ = "components"
    __table_args__ = (sa.CheckConstraint(f"state IN {COMPONENT_STATES}", name="state"),
                      sa.Index("ix_components_lon_lat", "lon", "lat"))

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    category_code: Mapped[str] = mapped_column(sa.String(24), index=True)  # component:大类-小类
    name: Mapped[str] = mapped_column(sa.String(100))
    owner_department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    state: Mapped[str] = mapped_column(sa.String(12), default="normal")
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    grid_code: Mapped[str | None] = mapped_column(sa.ForeignKey("unit_grids.code"))
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Depot(Base):
    __tablename__ = "depots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))


class Material(Base):
    __tablename__ = "materials"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    unit: Mapped[str] = mapped_column(sa.String(16))


class Stock(Base):
    __tablename__ = "stocks"
    __table_args__ = (sa.CheckConstraint("quantity >= 0", name="quantity_non_negative"),)

    depot_id: Mapped[int] = mapped_column(sa.ForeignKey("depots.id"), primary_key=True)
    material_id: Mapped[int] = mapped_column(sa.ForeignKey("materials.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
