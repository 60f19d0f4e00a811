"""Report use cases: create a draft, attach/remove photos, mark submitted/withdrawn, notify, purge drafts.

No request here calls WeChat: the content checks run as jobs (api/reports/checks.py)."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api import jobs
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.identity.models import User
from api.media import images
from api.media import service as media
from api.media.errors import PhotoContentRisky
from api.media.models import MediaKind
from api.notifications import service as notifications
from api.organisation import grids
from api.outbox import service as outbox
from api.reports import categories, contact, content, queries
from api.reports.errors import (
    ContentRisky,
    IdempotencyKeyReused,
    PhotoNotFound,
    PhotoRequired,
    ReportNotDraft,
    TooManyPhotos,
    UnknownCategory,
)
from api.reports.lifecycle import ReportAction, ReportStatus, transition
from api.reports.models import Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewReport:
    description: str
    lat: float
    lon: float
    coord_system: str = "gcj02"
    category_hint: str | None = None
    address_text: str | None = None
    idempotency_key: str | None = None
    contact_phone: str | None = None  # normalised (api/reports/contact.py)

    def fingerprint(self) -> str:
        # no phone given hashes as before the field existed: a retry of an older request is still the same one
        fields = {k: v for k, v in asdict(self).items()
                  if k != "idempotency_key" and not (k == "contact_phone" and v is None)}
        return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _same_request(existing: Report, new: NewReport) -> Report:
    """A repeated Idempotency-Key is the same request again, or a client bug that must not pass silently."""
    if existing.idempotency_fingerprint and existing.idempotency_fingerprint != new.fingerprint():
        raise IdempotencyKeyReused(details={"report_id": existing.id})
    return existing


_INSERT = sa.insert(Report).returning(Report)


def _insert(values: dict) -> Report:
    """One INSERT … RETURNING, the new report back as a persistent ORM object: no unit-of-work flush for a row
    written once (the flush's bookkeeping was a sixth of a creation's CPU)."""
    return Session.scalars(_INSERT, [values]).one()


def create_draft(reporter: User, new: NewReport) -> tuple[Report, bool]:
    """Create a draft; returns (report, created). A repeated idempotency key returns the original."""
    if new.idempotency_key:
        existing = queries.by_idempotency_key(reporter.id, new.idempotency_key)
        if existing is not None:
            return _same_request(existing, new), False
    if new.category_hint and new.category_hint not in categories.BY_KEY:
        raise UnknownCategory(details={"category_hint": new.category_hint})
    lat, lon = grids.check_in_district(new.lat, new.lon, new.coord_system)
    place = grids.codes_of(lat, lon)
    values = dict(reporter_id=reporter.id, status=ReportStatus.DRAFT, description=new.description.strip(),
                  category_hint=new.category_hint, address_text=new.address_text, lat=lat, lon=lon,
                  contact_phone=new.contact_phone, street_code=place.street_code, grid_code=place.grid_code,
                  coord_system_in=new.coord_system, content_check=content.PENDING, needs_review=False,
                  idempotency_key=new.idempotency_key,
                  idempotency_fingerprint=new.fingerprint() if new.idempotency_key else None)
    if new.idempotency_key:
        try:
            with Session.begin_nested():
                report = _insert(values)
        except IntegrityError:
            existing = queries.by_idempotency_key(reporter.id, new.idempotency_key)
            if existing is None:
                raise
            return _same_request(existing, new), False  # a concurrent request with the same key won the race
    else:
        report = _insert(values)
    record("report", report.id, "created", Actor("citizen", reporter.id), to_state=ReportStatus.DRAFT,
           payload={"content_check": content.PENDING})
    outbox.nudge(jobs.CHECK_CONTENT)  # msgSecCheck by a job, after this commit: the citizen does not wait for WeChat
    return report, True


def update_draft(reporter: User, report_id: int, changes: dict) -> Report:
    """A citizen corrects a draft — its text, location, category hint, address or contact phone — keeping its
    photos. Changed text goes back to `pending` and is checked again (a verdict the check job is still writing for
    the old text is not applied to the new one: `checks.record_outcomes` compares the text it checked). The event
    keeps a changed phone masked: the log outlives the report's need for it."""
    report = queries.get_own(reporter.id, report_id, for_update=True)
    if report.status != ReportStatus.DRAFT:
        raise ReportNotDraft()
    changed = {}
    if "description" in changes and changes["description"].strip() != report.description:
        report.description = changed["description"] = changes["description"].strip()
    if "address_text" in changes and changes["address_text"] != report.address_text:
        report.address_text = changed["address_text"] = changes["address_text"]
    if "category_hint" in changes and changes["category_hint"] != report.category_hint:
        report.category_hint = changed["category_hint"] = changes["category_hint"]
    if "contact_phone" in changes and changes["contact_phone"] != report.contact_phone:
        report.contact_phone = changes["contact_phone"]
        changed["contact_phone"] = contact.masked(report.contact_phone)
    if "location" in changes:
        where = changes["location"]
        lat, lon = grids.check_in_district(where["lat"], where["lon"], where["coord_system"])
        if (lat, lon) != (report.lat, report.lon):
            place = grids.codes_of(lat, lon)
            report.lat, report.lon, report.coord_system_in = lat, lon, where["coord_system"]
            report.street_code, report.grid_code = place.street_code, place.grid_code
            changed["location"] = {"lat": lat, "lon": lon, "datum": "wgs84"}
    if not changed:
        return report
    check_again = "description" in changed or "address_text" in changed
    if check_again:
        report.content_check, report.content_check_attempts, report.content_check_after = content.PENDING, 0, None
    record("report", report.id, "draft_edited", Actor("citizen", reporter.id),
           payload={"changed": changed, "content_check": report.content_check if check_again else None})
    if check_again:
        outbox.nudge(jobs.CHECK_CONTENT)
    return report


def attach_photo(reporter: User, report_id: int, raw: bytes):
    report = queries.get_own(reporter.id, report_id, for_update=True)
    if report.status != ReportStatus.DRAFT:
        raise ReportNotDraft()
    config = get_config()
    if media.count_for("report", report.id) >= config.PHOTOS_PER_REPORT:
        raise TooManyPhotos(details={"max": config.PHOTOS_PER_REPORT})
    photo = images.process_upload(raw, max_bytes=config.PHOTO_MAX_BYTES, max_pixels=config.PHOTO_MAX_PIXELS,
                                  preview=False)  # the check job makes its own reduced copy
    item = media.store_photo(photo, kind=MediaKind.REPORT_PHOTO, owner_type="report", owner_id=report.id,
                             uploaded_by=reporter.id, content_check=content.PENDING)
    record("report", report.id, "photo_attached", Actor("citizen", reporter.id),
           payload={"media_id": item.id, "sha256": item.sha256, "content_check": content.PENDING})
    outbox.nudge(jobs.CHECK_CONTENT)  # imgSecCheck by a job, after this commit
    return item


def remove_photo(reporter: User, report_id: int, media_id: int) -> None:
    report = queries.get_own(reporter.id, report_id, for_update=True)
    if report.status != ReportStatus.DRAFT:
        raise ReportNotDraft()
    item = next((m for m in media.list_for("report", report.id) if m.id == media_id), None)
    if item is None:
        raise PhotoNotFound()
    media.delete(item)
    record("report", report.id, "photo_removed", Actor("citizen", reporter.id), payload={"media_id": media_id})


def mark_submitted(reporter: User, report_id: int) -> Report:
    """Draft → submitted in the caller's transaction (the case engine opens the case and commits)."""
    report = queries.get_own(reporter.id, report_id, for_update=True)
    if report.status == ReportStatus.DRAFT and media.count_for("report", report.id) == 0:
        raise PhotoRequired()
    if report.status == ReportStatus.DRAFT:  # a check still pending does not hold the citizen up
        text_risky, risky_photos = content.refusals(report)
        if text_risky:
            raise ContentRisky()
        if risky_photos:
            raise PhotoContentRisky(details={"media_ids": risky_photos})
    transition(report, ReportAction.SUBMIT, Actor("citizen", reporter.id))
    report.submitted_at = utcnow()
    return report


def mark_withdrawn(reporter: User, report: Report, reason: str | None) -> Report:
    transition(report, ReportAction.WITHDRAW, Actor("citizen", reporter.id), reason=reason)
    return report


def purge_stale_drafts(now=None) -> int:
    """Delete drafts older than DRAFT_TTL_S with their photos; each purge is an event."""
    cutoff = (now or utcnow()) - timedelta(seconds=get_config().DRAFT_TTL_S)
    purged = 0
    for report_id in queries.stale_draft_ids(cutoff):
        report = Session.get(Report, report_id, with_for_update=True)
        if report is None or report.status != ReportStatus.DRAFT:
            continue
        photos = media.delete_for("report", report.id)
        record("report", report.id, "draft_purged", Actor.system(), from_state=ReportStatus.DRAFT,
               payload={"photos": photos})
        Session.delete(report)
        purged += 1
    return purged




def notify_reporter(report: Report, remark: str, status_label: str, category_name: str | None = None) -> None:
    """Queue a progress message to the reporter (in the caller's transaction), titled with the case's category as
    it stands now (`category_name`: staff may have re-filed it), else the citizen's own hint, else their words."""
    category = categories.BY_KEY.get(report.category_hint or "")
    title = category_name or (category.label if category else report.description)
    notifications.queue_report_progress(user_id=report.reporter_id, report_id=report.id, report_no=report.report_no,
                                        title=title, status_label=status_label, at=utcnow(), remark=remark)
