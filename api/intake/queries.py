"""What the automatic intake said and did about a case."""

import sqlalchemy as sa

from api.cases.models import CaseReport
from api.classification.models import PhotoPrediction
from api.db import Session
from api.intake.models import ReportClassification


def for_case(case_id: int) -> dict:
    report_ids = sa.select(CaseReport.report_id).where(CaseReport.case_id == case_id)
    reports = list(Session.scalars(sa.select(ReportClassification).where(
        sa.or_(ReportClassification.case_id == case_id, ReportClassification.report_id.in_(report_ids)))
        .order_by(ReportClassification.id)))
    photos = list(Session.scalars(sa.select(PhotoPrediction).where(PhotoPrediction.report_id.in_(report_ids))
                                  .order_by(PhotoPrediction.id)))
    return {"case_id": case_id, "reports": reports, "photos": photos}
