"""Citizen-view selects: a citizen's reports narrowed by the status they see."""

from __future__ import annotations

import sqlalchemy as sa

from api.cases.models import Case, CaseReport
from api.citizen.status import case_statuses_for
from api.reports.lifecycle import ReportStatus
from api.reports.models import Report


def filter_by_citizen_status(query: sa.Select, code: str) -> sa.Select:
    """Narrow a select of reports to those whose citizen-facing status is `code`."""
    if code in (ReportStatus.DRAFT, ReportStatus.WITHDRAWN):
        return query.where(Report.status == code)
    on_case = sa.select(CaseReport.report_id).join(Case, Case.id == CaseReport.case_id).where(
        Case.status.in_(case_statuses_for(code)))
    return query.where(Report.status == ReportStatus.SUBMITTED, Report.id.in_(on_case))
