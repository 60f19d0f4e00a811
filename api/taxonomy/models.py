"""Category: one version of a 小类. Edits add a version; cases keep the version they were filed under."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

CLOCK_TYPES = ("emergency_hours", "working_hours", "working_days", "natural_days")


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (
        sa.UniqueConstraint("code", "version", name="uq_categories_code_version"),
        sa.Index("uq_categories_current", "code", unique=True, postgresql_where=sa.text("is_current"),
                 sqlite_where=sa.text("is_current")),
        sa.CheckConstraint("kind IN ('event', 'component')", name="kind"),
        sa.CheckConstraint("time_limit > 0", name="time_limit_positive"),
        sa.CheckConstraint(f"clock_type IN {CLOCK_TYPES}", name="clock_type"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(24))  # e.g. event:01-02, component:01-01
    kind: Mapped[str] = mapped_column(sa.String(16))
    major_code: Mapped[str] = mapped_column(sa.String(2))
    major_name: Mapped[str] = mapped_column(sa.String(32))
    minor_code: Mapped[str] = mapped_column(sa.String(2))
    name: Mapped[str] = mapped_column(sa.String(64))
    filing_condition: Mapped[str] = mapped_column(sa.Text)  # 立案条件
    closing_condition: Mapped[str] = mapped_column(sa.Text)  # 结案条件
    time_limit: Mapped[float] = mapped_column(sa.Float)  # 处置时限, in the clock type's unit
    clock_type: Mapped[str] = mapped_column(sa.String(16))
    needs_verification: Mapped[bool] = mapped_column(sa.Boolean, default=False)  # public reports: 核实 first
    requires_after_photo: Mapped[bool] = mapped_column(sa.Boolean, default=True)  # 结案条件 needs photos
    is_safety: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)
    is_current: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
