"""Responsibility: one line of the 权责清单."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow


class Responsibility(Base):
    __tablename__ = "responsibilities"
    __table_args__ = (
        # one rule per (小类, street) and one district-wide rule per 小类 (NULL street)
        sa.Index("uq_responsibilities_street", "category_code", "division_code", unique=True,
                 postgresql_where=sa.text("division_code IS NOT NULL"),
                 sqlite_where=sa.text("division_code IS NOT NULL")),
        sa.Index("uq_responsibilities_district", "category_code", unique=True,
                 postgresql_where=sa.text("division_code IS NULL"), sqlite_where=sa.text("division_code IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    category_code: Mapped[str] = mapped_column(sa.String(24))  # applies to every version of the 小类
    division_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))  # NULL: district-wide
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
