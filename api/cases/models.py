"""Case (案卷), the reports on it, work orders (派遣单), extension requests and citizen ratings."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow
from api.timefmt import local

SOURCES = ("citizen", "patrol", "camera", "sensor", "hotline", "gas_inspection", "drone", "open311")
PRIORITIES = ("normal", "urgent", "emergency")


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        sa.Index("ix_cases_status_id", "status", "id"),
        sa.Index("ix_cases_created_at", "created_at"),  # opened today (the big screen), created_from/to
        sa.Index("ix_cases_department_status", "department_id", "status", "id"),
        sa.Index("ix_cases_street_status", "street_code", "status", "id"),
        sa.Index("ix_cases_open_deadline", "deadline_at", "id", postgresql_where=sa.text(
            "status IN ('dispatched', 'in_progress', 'awaiting_check')")),
        # the desks that span two statuses get an ordered partial index each (newest first, LIMIT 20)
        sa.Index("ix_cases_intake_desk", "id", postgresql_where=sa.text("status IN ('pending', 'verifying')")),
        sa.Index("ix_cases_department_desk", "department_id", "id",
                 postgresql_where=sa.text("status IN ('dispatched', 'in_progress')")),
        sa.Index("ix_cases_triage_desk", "id", postgresql_where=sa.text("triage_reason IS NOT NULL")),
        sa.Index("ix_cases_open_lon_lat", "lon", "lat", postgresql_where=sa.text(
            "status IN ('pending', 'verifying', 'awaiting_dispatch', 'dispatched', 'in_progress', 'awaiting_check', "
            "'deferred')")),
        sa.CheckConstraint(f"source IN {SOURCES}", name="source"),
        sa.CheckConstraint(f"priority IN {PRIORITIES}", name="priority"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(24))
    status_before_deferral: Mapped[str | None] = mapped_column(sa.String(24))
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id"))  # the version filed under
    category_code: Mapped[str | None] = mapped_column(sa.String(24), index=True)
    description: Mapped[str] = mapped_column(sa.Text)
    address_text: Mapped[str | None] = mapped_column(sa.String(200))
    lat: Mapped[float] = mapped_column(sa.Float)
    lon: Mapped[float] = mapped_column(sa.Float)
    grid_code: Mapped[str | None] = mapped_column(sa.ForeignKey("unit_grids.code"))
    street_code: Mapped[str | None] = mapped_column(sa.ForeignKey("divisions.code"))
    priority: Mapped[str] = mapped_column(sa.String(12), default="normal")
    supporters: Mapped[int] = mapped_column(sa.Integer, default=0)
    external_ticket_no: Mapped[str | None] = mapped_column(sa.String(40))  # 12345 hotline
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("departments.id"))
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    dispatched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # 处置 deadline
    deadline_provisional: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    escalation_level: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # 1 dept head, 2 command centre
    rework_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    # results the department has submitted; each needs its own after-photos (media.round = result_round + 1)
    result_round: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")  # rating round - 1
    extension_count: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    result_text: Mapped[str | None] = mapped_column(sa.Text)
    # Set by the automatic intake when a person must look (low confidence, no grid, a job that gave up);
    # cleared by the first transition a person makes.
    triage_reason: Mapped[str | None] = mapped_column(sa.String(200))
    suggestions: Mapped[list | None] = mapped_column(sa.JSON)  # the model's top-3 [{code, name, score}]
    component_code: Mapped[str | None] = mapped_column(sa.ForeignKey("components.code"))  # the 部件 concerned
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # the latest passed 核查: the department's 处置 ends here (with CLOSE_APPROVAL, before the 值班长 closes it)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(sa.Integer, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def case_no(self) -> str:
        return self.number(self.id, self.created_at)

    @staticmethod
    def number(case_id: int, created_at: datetime) -> str:
        """The case number, AJ + the (Beijing) day it was opened + its id (queries.parse_case_no reads it back)."""
        return f"AJ{local(created_at):%Y%m%d}{case_id:07d}"


class CaseReport(Base):
    """The citizen reports on a case (several, once duplicates are merged)."""

    __tablename__ = "case_reports"

    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    merged_from_case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))  # for unmerge
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkOrder(Base):
    """One dispatch of a case to one department (a case has several when it is returned and re-dispatched)."""

    __tablename__ = "work_orders"
    __table_args__ = (sa.Index("ix_work_orders_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"))
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open | returned | done
    routing_basis: Mapped[str] = mapped_column(sa.String(16))  # street_rule | district_rule | territorial | manual
    return_reason_code: Mapped[str | None] = mapped_column(sa.String(32))
    return_reason: Mapped[str | None] = mapped_column(sa.Text)
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Rating(Base):
    __tablename__ = "ratings"
    __table_args__ = (sa.CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
                      sa.UniqueConstraint("report_id", "round", name="uq_ratings_report_round"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("reports.id"))
    round: Mapped[int] = mapped_column(sa.SmallInteger, default=1, server_default="1")  # 1 + reopens before it
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    score: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseMedia(Base):
    """A photo another domain stored, shown among the case's evidence by reference (a gas inspector's photo of a
    failed item): the bytes and the media row stay with their owner; nothing is copied."""

    __tablename__ = "case_media"

    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_id: Mapped[int] = mapped_column(sa.ForeignKey("media.id", ondelete="CASCADE"), primary_key=True)
    attached_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
