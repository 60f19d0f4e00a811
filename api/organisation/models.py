"""Division (district / street / town / community) and Department."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId


class Division(Base):
    """An administrative division keyed by its 12-digit 统计用区划代码 (synthetic for demo communities)."""

    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16))  # district | street | town | community
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    source: Mapped[str] = mapped_column(sa.String(200), default="")


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(16), default="district")  # district | street_office
    # The street a street-level unit belongs to (e.g. a street's 执法中队); NULL for district departments.
    division_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))


class UnitGrid(Base):
    """A 单元网格: 15-digit code = 6 district + 3 street + 3 community + 3 sequence, with its polygon."""

    __tablename__ = "unit_grids"
    __table_args__ = (
        sa.CheckConstraint("length(code) = 15", name="code_length"),
        sa.Index("ix_unit_grids_bbox", "min_lon", "min_lat", "max_lon", "max_lat"),
    )

    code: Mapped[str] = mapped_column(sa.String(15), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), default="")
    community_code: Mapped[str] = mapped_column(sa.ForeignKey("divisions.code"))
    street_code: Mapped[str] = mapped_column(sa.ForeignKey("divisions.code"), index=True)
    geometry: Mapped[dict] = mapped_column(sa.JSON)  # GeoJSON Polygon / MultiPolygon, WGS-84
    min_lon: Mapped[float] = mapped_column(sa.Float)
    min_lat: Mapped[float] = mapped_column(sa.Float)
    max_lon: Mapped[float] = mapped_column(sa.Float)
    max_lat: Mapped[float] = mapped_column(sa.Float)
    is_demo: Mapped[bool] = mapped_column(sa.Boolean, default=False)
