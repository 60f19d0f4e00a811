"""What a citizen may do next with their report's case, and until when (the report detail's `progress`)."""

from __future__ import annotations

import sqlalchemy as sa

from api.cases.lifecycle import CaseStatus
from api.cases.models import Case, Rating
from api.citizen.service import citizen_window
from api.config import get_config
from api.db import Session, utcnow
from api.organisation.models import Department
from api.reports.models import Report

S = CaseStatus


def progress(report: Report, case: Case | None) -> dict | None:
    """Who handles it and by when; the citizen's rating; whether they may withdraw, rate or reopen, and until
    when. None for a draft (nothing has been sent yet)."""
    if case is None:
        return None
    config = get_config()
    now = utcnow()
    department = Session.get(Department, case.department_id) if case.department_id else None
    rating = Session.scalar(sa.select(Rating).where(Rating.report_id == report.id).order_by(Rating.round.desc()))
    round_ = case.reopen_count + 1
    closed = case.status == S.CLOSED and case.closed_at is not None
    until = case.closed_at + citizen_window() if closed else None
    in_window = closed and now <= until
    reopens_left = max(0, config.REOPENS_PER_REPORT - report.reopen_count)
    return {
        "department_name": department.name if department else None,
        "expected_finish_at": case.deadline_at if case.status not in (S.CLOSED, S.REFUSED, S.WITHDRAWN) else None,
        "rating": {"score": rating.score, "comment": rating.comment, "round": rating.round,
                   "created_at": rating.created_at} if rating else None,
        "round": round_,
        "can_withdraw": report.status == "submitted" and case.status == S.PENDING,
        "can_rate": in_window and (rating is None or rating.round < round_),
        "can_reopen": in_window and reopens_left > 0,
        "reopens_left": reopens_left,
        "until": until,
    }
