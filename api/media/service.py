"""Store photos (with content hashes), make derivatives, build signed links, delete blobs with their rows."""

from __future__ import annotations

import hashlib
import logging
import secrets
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from api import jobs
from api.config import get_config
from api.db import Session, utcnow
from api.media import images, signing
from api.media.models import Media
from api.media.storage import get_storage

log = logging.getLogger(__name__)

_WRITTEN_KEY = "media_blobs_written"
_ORPHANS_KEY = "media_blobs_deleted"


def store_photo(photo: images.ProcessedPhoto, *, kind: str, owner_type: str, owner_id: int,
                uploaded_by: int | None, content_check: str = "pass", derivatives: bool = True) -> Media:
    """Write the stripped photo to storage and add its Media row to the transaction; the row waits for its display
    and thumb copies (api/media/derivatives.py: a coalesced job, nudged after the commit).

    Each media row owns its blobs (the key carries the content hash plus a random suffix), so a blob
    written by a transaction that does not commit is deleted with no risk to another row.
    """
    from api.outbox import service as outbox  # local: outbox imports config at module level

    sha = hashlib.sha256(photo.data).hexdigest()
    key = f"photos/{sha[:2]}/{sha}-{secrets.token_hex(6)}.{photo.extension}"
    _put(key, photo.data, photo.content_type)
    media = Media(kind=kind, owner_type=owner_type, owner_id=owner_id, uploaded_by=uploaded_by,
                  content_type=photo.content_type, sha256=sha, storage_key=key, size_bytes=len(photo.data),
                  width=photo.width, height=photo.height, captured_at=photo.captured_at,
                  exif_lat=photo.gps[0] if photo.gps else None, exif_lon=photo.gps[1] if photo.gps else None,
                  content_check=content_check, derived_at=None if derivatives else utcnow())
    Session.add(media)
    Session.flush()
    if derivatives:  # without them, links to the display and thumb variants serve the original
        outbox.nudge(jobs.MAKE_PHOTO_DERIVATIVES)
    return media


def links(media: Media, base_url: str) -> dict[str, str]:
    """Expiring URLs for every variant (signed API links, or presigned object-store links)."""
    config = get_config()
    storage = get_storage()
    expires_at = int(time.time()) + config.MEDIA_URL_TTL_S
    base = (config.MEDIA_PUBLIC_BASE or base_url).rstrip("/")
    result = {}
    for variant in signing.VARIANTS:
        url = storage.presigned_url(media.key_for(variant), config.MEDIA_URL_TTL_S, media.content_type_for(variant))
        if url is None:
            sig = signing.sign(media.id, variant, expires_at, config.MEDIA_SIGNING_KEY)
            url = f"{base}/media/{media.id}/{variant}?exp={expires_at}&sig={sig}"
        result[variant] = url
    return result


def list_for(owner_type: str, owner_id: int, kind: str | None = None) -> list[Media]:
    query = sa.select(Media).where(Media.owner_type == owner_type, Media.owner_id == owner_id)
    if kind:
        query = query.where(Media.kind == kind)
    return list(Session.scalars(query.order_by(Media.id)))


def count_for(owner_type: str, owner_id: int) -> int:
    return Session.scalar(sa.select(sa.func.count()).select_from(Media).where(
        Media.owner_type == owner_type, Media.owner_id == owner_id))


def delete(media: Media) -> None:
    """Delete a media row; its blobs go once the deletion commits, if no other row uses them."""
    Session().info.setdefault(_ORPHANS_KEY, []).extend(
        k for k in (media.storage_key, media.display_key, media.thumb_key) if k)
    Session.delete(media)


def delete_for(owner_type: str, owner_id: int) -> int:
    rows = list_for(owner_type, owner_id)
    for media in rows:
        delete(media)
    return len(rows)


def _put(key: str, data: bytes, content_type: str) -> None:
    get_storage().put(key, data, content_type)
    Session().info.setdefault(_WRITTEN_KEY, []).append(key)


def _delete_blobs(keys: list[str]) -> None:
    for key in keys:
        try:
            get_storage().delete(key)
        except Exception:  # noqa: BLE001 - a leftover blob is harmless; a failed request is not
            log.exception("media blob delete failed", extra={"key": key})


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    session.info.pop(_WRITTEN_KEY, None)  # committed: the rows own these blobs now
    _delete_blobs(session.info.pop(_ORPHANS_KEY, []))


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session: OrmSession, transaction) -> None:
    if transaction.parent is not None:
        return  # a savepoint ended; the outer transaction decides
    session.info.pop(_ORPHANS_KEY, None)  # deletions that did not commit keep their blobs
    _delete_blobs(session.info.pop(_WRITTEN_KEY, []))  # blobs of rows that never committed
