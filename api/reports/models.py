"""Report: what one citizen submitted (a draft until submitted)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow
from api.reports.lifecycle import ReportStatus
from api.timefmt import local


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (
        sa.UniqueConstraint("reporter_id", "idempotency_key", name="uq_reports_reporter_idempotency_key"),
        sa.Index("ix_reports_reporter_status", "reporter_id", "status", "id"),
        sa.Index("ix_reports_status_submitted", "status", "submitted_at", "id"),
        sa.CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="lat_lon_range"),
        sa.Index("ix_reports_check_pending", "id", postgresql_where=sa.text("content_check = 'pending'"),
                 sqlite_where=sa.text("content_check = 'pending'")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default=ReportStatus.DRAFT)
    description: Mapped[str] = mapped_column(sa.Text)
    category_hint: Mapped[str | None] = mapped_column(sa.String(32))
    address_text: Mapped[str | None] = mapped_column(sa.String(200))
    contact_phone: Mapped[str | None] = mapped_column(sa.String(20))  # normalised (api/reports/contact.py); optional
    # Stored in WGS-84; the coordinate system the client sent is kept for audit.
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    coord_system_in: Mapped[str] = mapped_column(sa.String(8))
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))
    grid_code: Mapped[str | None] = mapped_column(sa.ForeignKey("unit_grids.code"))
    # msgSecCheck of the text, by a job (api/reports/checks.py): pending | pass | review | risky | unchecked
    content_check: Mapped[str] = mapped_column(sa.String(16), default="pass")
    content_check_attempts: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    content_check_after: Mapped[datetime | None] = mapped_column(UTCDateTime)  # not claimed again before this
    needs_review: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(64))
    idempotency_fingerprint: Mapped[str | None] = mapped_column(sa.String(64))  # sha256 of the creating request
    reopen_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    @property
    def report_no(self) -> str:
        """The number citizens quote: BY + local date of creation + id (derived, so it costs no write)."""
        return f"BY{local(self.created_at):%Y%m%d}{self.id:07d}"

    # Concurrent updates of one report are caught (StaleDataError → 409), never silently overwritten.
    __mapper_args__ = {"version_id_col": version}
