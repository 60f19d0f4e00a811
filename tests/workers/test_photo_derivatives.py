"""Photo copies claimed from the media rows: one coalesced run makes every waiting photo's copies; a failure is
tried again after its lease and given up after DERIVE_MAX_ATTEMPTS (links then serve the original); copies of a
photo deleted meanwhile are deleted too; uploads nudge one queued run, not one job each."""

from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from PIL import Image
from rq import Queue

from api import jobs
from api.db import unit_of_work, utcnow
from api.extensions import get_redis
from api.media import derivatives, images
from api.media import service as media
from api.media.models import Media
from api.outbox.models import OutboxJob
from tests.support import jpeg
from workers.make_photo_derivatives import make_photo_derivatives


def _store(n: int, size=(1600, 1200)) -> list[int]:
    ids = []
    with unit_of_work():
        for i in range(n):
            photo = images.process_upload(jpeg(*size, color=(10 * i, 90, 60)), max_bytes=10**7, max_pixels=10**8)
            ids.append(media.store_photo(photo, kind="report_photo", owner_type="report", owner_id=1,
                                         uploaded_by=None).id)
    return ids


def test_uploads_nudge_one_run_that_makes_every_waiting_photos_copies(committed, media_dir):
    queue = Queue(jobs.MAKE_PHOTO_DERIVATIVES.queue, connection=get_redis())
    queue.empty()
    ids = _store(3)
    assert queue.count == 1  # three photos, one coalesced run queued after the commit
    assert committed.scalar(sa.select(sa.func.count()).select_from(OutboxJob)) == 0  # no outbox row per photo
    assert make_photo_derivatives() == 3
    committed.rollback()
    for row in committed.scalars(sa.select(Media).where(Media.id.in_(ids))):
        assert row.derived_at is not None and row.derive_attempts == 1
        with Image.open(Path(media_dir, row.display_key)) as display:
            assert display.size == (1280, 960)
        with Image.open(Path(media_dir, row.thumb_key)) as thumb:
            assert thumb.size == (320, 240)
    assert make_photo_derivatives() == 0


def test_a_failing_photo_is_retried_after_its_lease_then_given_up(committed, media_dir):
    good, bad = _store(2)
    Path(media_dir, committed.get(Media, bad).storage_key).unlink()  # its blob is gone
    assert make_photo_derivatives() == 1
    committed.rollback()
    row = committed.get(Media, bad)
    assert row.derived_at is None and row.derive_attempts == 1 and row.derive_after > utcnow()
    assert make_photo_derivatives() == 0  # leased: not tried again before its time
    for attempt in range(2, derivatives.DERIVE_MAX_ATTEMPTS + 1):
        committed.execute(sa.update(Media).where(Media.id == bad).values(derive_after=utcnow() - timedelta(seconds=1)))
        committed.commit()
        make_photo_derivatives()
        committed.rollback()
        assert committed.get(Media, bad).derive_attempts == attempt
    given_up = committed.get(Media, bad)
    assert given_up.derived_at is not None and given_up.display_key is None  # its links serve the original
    assert given_up.key_for("display") == given_up.storage_key
    assert committed.get(Media, good).display_key is not None


def test_copies_of_a_photo_deleted_meanwhile_are_deleted_too(committed, media_dir):
    (photo_id,) = _store(1)
    with unit_of_work():
        claimed = derivatives.claim(10, utcnow())
    made = [derivatives.make(item) for item in claimed]
    assert Path(media_dir, made[0].display_key).exists()
    with unit_of_work():
        media.delete(committed.get(Media, photo_id))  # the draft was purged while the copies were made
    with unit_of_work():
        assert derivatives.record(made, utcnow()) == 0
    assert not Path(media_dir, made[0].display_key).exists() and not Path(media_dir, made[0].thumb_key).exists()


def test_a_small_device_snapshot_needs_no_copies(committed, media_dir):
    with unit_of_work():
        photo = images.process_upload(jpeg(640, 480), max_bytes=10**7, max_pixels=10**8, preview=False)
        item = media.store_photo(photo, kind="camera_snapshot", owner_type="capture", owner_id=1, uploaded_by=None,
                                 derivatives=False)
    assert item.derived_at is not None and make_photo_derivatives() == 0
