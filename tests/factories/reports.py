"""Reports in named states."""

import factory

from api.db import utcnow
from api.reports.models import Report
from tests.factories.base import BaseFactory
from tests.factories.identity import CitizenFactory


class DraftReportFactory(BaseFactory):
    reporter = factory.SubFactory(CitizenFactory)
    reporter_id = factory.LazyAttribute(lambda o: o.reporter.id)
    status = "draft"
    description = "人行道上有暴露垃圾"
    lat, lon = 23.1651654, 113.2574717
    coord_system_in = "wgs84"

    class Meta:
        model = Report
        exclude = ("reporter",)


class SubmittedReportFactory(DraftReportFactory):
    status = "submitted"
    submitted_at = factory.LazyFunction(utcnow)
