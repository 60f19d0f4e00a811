"""Report selects: the citizen's own, by idempotency key, pages, stale drafts."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from api.db import Session
from api.reports.errors import ReportNotFound
from api.reports.lifecycle import ReportStatus
from api.reports.models import Report


def get_own(user_id: int, report_id: int, *, for_update: bool = False) -> Report:
    """A citizen's own report; someone else's is reported as not found (no existence leak)."""
    report = Session.get(Report, report_id, with_for_update=for_update or None)
    if report is None or report.reporter_id != user_id:
        raise ReportNotFound()
    return report


def by_idempotency_key(user_id: int, key: str) -> Report | None:
    return Session.scalar(sa.select(Report).where(Report.reporter_id == user_id, Report.idempotency_key == key))


def page_of(query: sa.Select, page: int, page_size: int) -> tuple[list, int]:
    total = Session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    items = list(Session.scalars(query.order_by(Report.id.desc()).limit(page_size).offset((page - 1) * page_size)))
    return items, total


def mine(user_id: int, statuses: list[ReportStatus] | None) -> sa.Select:
    query = sa.select(Report).where(Report.reporter_id == user_id)
    if statuses:
        query = query.where(Report.status.in_([str(s) for s in statuses]))
    return query


def stale_draft_ids(cutoff: datetime) -> list[int]:
    return list(Session.scalars(sa.select(Report.id).where(
        Report.status == ReportStatus.DRAFT, Report.created_at < cutoff).order_by(Report.id).limit(1000)))
