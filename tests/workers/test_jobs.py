"""Job modules: every dotted path resolves; jobs are idempotent and tolerate missing rows."""

from datetime import timedelta
from importlib import import_module

import sqlalchemy as sa

from api import jobs
from api.db import utcnow
from api.events.models import Event
from api.media.models import Media
from api.reports.models import Report
from tests.factories.reports import DraftReportFactory, SubmittedReportFactory
from workers import periodic
from workers.make_photo_derivatives import make_photo_derivatives
from workers.send_notification import send_notification


def test_every_declared_job_resolves(config):  # intervals are read from the configuration
    """Each declaration's function and failure hook import (a rename fails CI, not production), each sits on a
    served queue, and each periodic entry names a declared job."""
    for job in jobs.JOBS.values():
        assert job.queue in jobs.QUEUES
        for path in job.paths():
            module, _, name = path.rpartition(".")
            assert callable(getattr(import_module(module), name)), path
        assert all(isinstance(s, int) and s >= 0 for s in job.retry_intervals())
    assert {p.job.name for p in jobs.PERIODIC} <= set(jobs.JOBS)
    declared = [value for value in vars(jobs).values() if isinstance(value, jobs.Job)]
    assert len(declared) == len(jobs.JOBS) == 24  # no two declarations share a name


def test_jobs_for_missing_rows_do_nothing(committed):
    assert send_notification(999_999) is None
    assert make_photo_derivatives() == 0  # nothing waiting for copies


def test_stale_drafts_are_purged_with_their_photos(committed, media_dir):
    from pathlib import Path

    from api.media import images
    from api.media import service as media
    from tests.support import jpeg

    old = DraftReportFactory(created_at=utcnow() - timedelta(hours=25))
    fresh = DraftReportFactory()
    submitted = SubmittedReportFactory(created_at=utcnow() - timedelta(hours=48))
    photo = images.process_upload(jpeg(), max_bytes=10**7, max_pixels=10**8)
    item = media.store_photo(photo, kind="report_photo", owner_type="report", owner_id=old.id, uploaded_by=None)
    committed.commit()
    blob = Path(media_dir, item.storage_key)
    assert blob.exists()

    assert periodic.purge_drafts() == 1  # the periodic job: one unit of work
    assert committed.get(Report, old.id) is None
    assert committed.get(Report, fresh.id) is not None and committed.get(Report, submitted.id) is not None
    assert committed.scalar(sa.select(sa.func.count()).select_from(Media)) == 0
    assert not blob.exists()
    purged = committed.scalars(sa.select(Event.action).where(Event.subject_id == old.id)).all()
    assert purged == ["draft_purged"]
