"""Display and thumb copies of stored photos, claimed in batches from the media rows that still wait for them.

A photo's row is its own work item (`derived_at IS NULL`): storing one costs the request no outbox row and no
hand-over, only a nudge after the commit (api/outbox), and the coalesced job drains every waiting row in rounds —
lease a batch (one short unit of work), make the copies with no transaction open (Pillow releases the GIL while it
decodes, resizes and encodes, so MEDIA_DERIVE_THREADS threads use as many cores), record them (one more unit).
A failed photo is tried again after its lease (DERIVE_LEASE_S) and given up after DERIVE_MAX_ATTEMPTS: its links
then serve the original, as they do before the copies exist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from api.db import Session
from api.media import images
from api.media.models import Media
from api.media.storage import get_storage

log = logging.getLogger(__name__)
DISPLAY_SIDE = 1280
THUMB_SIDE = 320
DERIVE_LEASE_S = 120  # a claimed photo not recorded by then (the worker died) is claimed again
DERIVE_MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Claimed:
    id: int
    storage_key: str
    attempts: int


@dataclass(frozen=True)
class Made:
    item: Claimed
    display_key: str | None = None
    thumb_key: str | None = None
    error: str | None = None


def claim(limit: int, now: datetime) -> list[Claimed]:
    """Lease up to `limit` photos waiting for their copies (caller commits)."""
    due = sa.or_(Media.derive_after.is_(None), Media.derive_after <= now)
    query = sa.select(Media.id).where(Media.derived_at.is_(None), due).order_by(Media.id).limit(limit)
    if Session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)  # a second media worker takes other rows
    ids = list(Session.scalars(query))
    if not ids:
        return []
    rows = Session.execute(sa.update(Media).where(Media.id.in_(ids)).values(
        derive_after=now + timedelta(seconds=DERIVE_LEASE_S), derive_attempts=Media.derive_attempts + 1)
        .returning(Media.id, Media.storage_key, Media.derive_attempts))
    return sorted((Claimed(r.id, r.storage_key, r.derive_attempts) for r in rows), key=lambda c: c.id)


def make(item: Claimed) -> Made:
    """Both copies of one photo, written to storage (no database: runs in the job's threads)."""
    storage = get_storage()
    try:
        display, thumb = images.make_derivatives(storage.get(item.storage_key), (DISPLAY_SIDE, THUMB_SIDE))
    except Exception as exc:  # noqa: BLE001 - an unreadable blob or a decoder error: recorded, retried, given up
        return Made(item, error=f"{exc.__class__.__name__}: {exc}"[:200])
    keys = []
    for side, data in ((DISPLAY_SIDE, display), (THUMB_SIDE, thumb)):
        key = f"derived/{item.id % 1000:03d}/{item.id}-{side}.jpg"  # re-running overwrites: idempotent
        storage.put(key, data, "image/jpeg")
        keys.append(key)
    return Made(item, display_key=keys[0], thumb_key=keys[1])


def record(results: list[Made], now: datetime) -> int:
    """Write a round's copies (caller commits); returns how many photos are done. Copies of a photo deleted
    meanwhile are deleted again; a failure waits for its lease, or is given up after DERIVE_MAX_ATTEMPTS."""
    done = 0
    for made in results:
        if made.error is None:
            updated = Session.execute(sa.update(Media).where(Media.id == made.item.id).values(
                display_key=made.display_key, thumb_key=made.thumb_key, derived_at=now, derive_after=None)).rowcount
            if updated:
                done += 1
            else:  # the photo went (a draft purged, a photo removed) while its copies were made
                for key in (made.display_key, made.thumb_key):
                    get_storage().delete(key)
        elif made.item.attempts >= DERIVE_MAX_ATTEMPTS:
            log.error("photo copies given up; links serve the original",
                      extra={"media_id": made.item.id, "error": made.error})
            Session.execute(sa.update(Media).where(Media.id == made.item.id).values(derived_at=now))
        else:
            log.warning("photo copies failed; tried again after the lease",
                        extra={"media_id": made.item.id, "error": made.error})
    return done


def waiting() -> int:
    return Session.scalar(sa.select(sa.func.count()).select_from(Media).where(Media.derived_at.is_(None)))
