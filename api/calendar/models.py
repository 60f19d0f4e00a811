"""Official calendar data: special days and the years that have been imported."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow


class SpecialDay(Base):
    __tablename__ = "calendar_days"
    __table_args__ = (sa.CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),)

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # holiday (day off) | workday (调休 make-up day)
    name: Mapped[str] = mapped_column(sa.String(32))


class CalendarYear(Base):
    __tablename__ = "calendar_years"

    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(sa.String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
