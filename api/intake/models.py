"""What the automatic intake decided per report, and the per-小类 thresholds it decides by."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

DECISIONS = ("auto_accepted", "verification", "triage", "merged", "staff_first")


class ReportClassification(Base):
    """The combined prediction for one report and what the pipeline did with it (written once)."""

    __tablename__ = "report_classifications"
    __table_args__ = (sa.CheckConstraint(f"decision IN {DECISIONS}", name="decision"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id"), unique=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    model_version: Mapped[str] = mapped_column(sa.String(40))
    category_code: Mapped[str | None] = mapped_column(sa.String(24))  # top-1
    confidence: Mapped[float] = mapped_column(sa.Float)
    top3: Mapped[list] = mapped_column(sa.JSON)  # [{"code", "score"}]
    signals: Mapped[dict] = mapped_column(sa.JSON)  # per source: image / text / hint top-1 and weight
    decision: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CategoryThreshold(Base):
    """Per-小类 auto-dispatch confidence (absent: CLASSIFY_THRESHOLD)."""

    __tablename__ = "category_thresholds"
    __table_args__ = (sa.CheckConstraint("threshold > 0 AND threshold <= 1", name="threshold_range"),)

    category_code: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    threshold: Mapped[float] = mapped_column(sa.Float)
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class IntakeSwitch(Base):
    """An operator's switch the classify workers read on every decision (no restart): `auto_dispatch` off means
    the pipeline only suggests and every case waits at a desk. No row: on (AUTO_DISPATCH still switches it off
    for a whole deployment)."""

    __tablename__ = "intake_switches"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(sa.Boolean)
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
