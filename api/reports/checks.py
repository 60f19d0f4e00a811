"""WeChat's content checks of what citizens write and photograph, off the request path.

A new draft's text and each uploaded photo start `pending`; the check job (workers/content_check.py) claims a
batch, asks WeChat for every item at once (msgSecCheck 2.0 for text, imgSecCheck for a reduced copy of the
photo) and records the verdicts: `pass`, `review` (accepted, flagged for staff), `risky` (a draft cannot be
submitted with it) or, when WeChat could not answer after CHECK_MAX_ATTEMPTS tries, `unchecked` (accepted,
flagged: an outage never loses a report). Nothing a citizen writes or photographs is shown to another citizen,
which is what makes a verdict after the answer safe: until staff read it, nobody else sees it.

A claim leases the item for LEASE_S (the next claim skips it), so two check jobs never ask twice and a job that
died mid-batch leaves its items to the next one. Verdicts are written with plain UPDATEs of the check columns,
so they never collide with a citizen's edit of the same row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from api.config import get_config
from api.db import Session
from api.events.service import Actor, Happened, record_many
from api.identity.models import User
from api.media import images
from api.media.models import Media, MediaKind
from api.media.storage import get_storage
from api.reports.content import FLAGGED, PASS, PENDING, REVIEW, RISKY, UNCHECKED
from api.reports.lifecycle import ReportStatus
from api.reports.models import Report
from api.wechat import errors as wechat_errors
from api.wechat.client import get_client

LEASE_S = 60
BACKOFF_S = (5, 30, 120)  # after the 1st, 2nd, 3rd failed try


@dataclass(frozen=True)
class Item:
    kind: str  # text | photo
    id: int  # report id (text) or media id (photo)
    report_id: int
    attempts: int  # including this one
    openid: str | None = None
    text: str | None = None
    storage_key: str | None = None


@dataclass(frozen=True)
class Outcome:
    item: Item
    verdict: str | None  # None: WeChat did not answer (retry later, or unchecked when out of tries)
    label: int | None = None
    error: str | None = None


def claim(limit: int, now: datetime) -> list[Item]:
    """Lease up to `limit` pending texts and photos whose time has come (caller commits)."""
    items = []
    reports, media = Report.__table__, Media.__table__
    for table, kind in ((reports, "text"), (media, "photo")):
        due = sa.or_(table.c.content_check_after.is_(None), table.c.content_check_after <= now)
        query = sa.select(table.c.id).where(table.c.content_check == PENDING, due).order_by(table.c.id)
        if kind == "photo":
            query = query.where(table.c.kind == MediaKind.REPORT_PHOTO)
        query = query.limit(limit - len(items))
        if Session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # a second check job takes other rows
        ids = list(Session.scalars(query))
        if not ids:
            continue
        Session.execute(sa.update(table).where(table.c.id.in_(ids)).values(
            content_check_after=now + timedelta(seconds=LEASE_S),
            content_check_attempts=table.c.content_check_attempts + 1))
        if kind == "text":
            rows = Session.execute(sa.select(Report.id, Report.description, Report.address_text,
                                             Report.content_check_attempts, User.openid)
                                   .join(User, User.id == Report.reporter_id).where(Report.id.in_(ids)))
            items += [Item("text", r.id, r.id, r.content_check_attempts, openid=r.openid,
                           text=checked_text(r.description, r.address_text)) for r in rows]
        else:
            rows = Session.execute(sa.select(Media.id, Media.owner_id, Media.storage_key,
                                             Media.content_check_attempts).where(Media.id.in_(ids)))
            items += [Item("photo", r.id, r.owner_id, r.content_check_attempts, storage_key=r.storage_key)
                      for r in rows]
        if len(items) >= limit:
            break
    return items


def checked_text(description: str, address_text: str | None) -> str:
    """What msgSecCheck is asked about a report: its description and, when given, its address."""
    return description if not address_text else f"{description}\n{address_text}"


def ask_wechat(item: Item) -> Outcome:
    """One check (no database: runs in the check job's threads, many at once)."""
    try:
        if item.kind == "text":
            result = get_client().check_text(item.openid, item.text, scene=3)
            suggest = result.get("suggest", PASS)
            return Outcome(item, suggest if suggest in (PASS, REVIEW, RISKY) else REVIEW, result.get("label"))
        passed = get_client().check_image(images.check_preview(get_storage().get(item.storage_key)))
        return Outcome(item, PASS if passed else RISKY)
    except wechat_errors.WeChatError as exc:
        if exc.retryable:
            return Outcome(item, None, error=f"{exc.errcode}: {exc.errmsg}"[:200])
        return Outcome(item, UNCHECKED, error=f"{exc.errcode}: {exc.errmsg}"[:200])  # WeChat refused the request
    except (OSError, ValueError) as exc:  # the stored photo could not be read: a person looks at it
        return Outcome(item, UNCHECKED, error=f"{exc.__class__.__name__}: {exc}"[:200])


def record_outcomes(outcomes: list[Outcome], now: datetime) -> list[tuple[Report, Outcome]]:
    """Write a batch of verdicts (and retry times) in the caller's unit of work with a handful of statements:
    the reports locked once (a submit under way finishes first), one UPDATE per verdict, one INSERT of the events.
    Returns the (report, outcome) pairs that need a flag on their case: a flagged verdict for a submitted report."""
    max_attempts = get_config().CHECK_MAX_ATTEMPTS
    decided: dict[tuple[str, str], list[Outcome]] = {}
    retries: dict[tuple[str, int], list[int]] = {}
    for outcome in outcomes:
        verdict = outcome.verdict
        if verdict is None and outcome.item.attempts >= max_attempts:
            verdict = UNCHECKED
        if verdict is None:
            delay = BACKOFF_S[min(outcome.item.attempts, len(BACKOFF_S)) - 1]
            retries.setdefault((outcome.item.kind, delay), []).append(outcome.item.id)
        else:
            decided.setdefault((outcome.item.kind, verdict), []).append(
                Outcome(outcome.item, verdict, outcome.label, outcome.error))
    report_ids = sorted({o.item.report_id for group in decided.values() for o in group})
    reports = {r.id: r for r in Session.scalars(sa.select(Report).where(Report.id.in_(report_ids))
                                                .with_for_update())} if report_ids else {}
    for (kind, delay), ids in retries.items():
        table = _table(kind)
        Session.execute(sa.update(table).where(table.c.id.in_(ids), table.c.content_check == PENDING)
                        .values(content_check_after=now + timedelta(seconds=delay)))
    written, flags = [], []
    for (kind, verdict), group in decided.items():
        table = _table(kind)
        if kind == "text":  # the citizen corrected the draft meanwhile: this verdict is about words no longer there
            group = [o for o in group if o.item.report_id in reports and o.item.text == checked_text(
                reports[o.item.report_id].description, reports[o.item.report_id].address_text)]
        changed = set(Session.scalars(sa.update(table).where(
            table.c.id.in_([o.item.id for o in group]), table.c.content_check == PENDING)
            .values(content_check=verdict, content_check_after=None).returning(table.c.id)))
        written += [o for o in group if o.item.id in changed and o.item.report_id in reports]
    flagged = sorted({o.item.report_id for o in written if o.verdict in FLAGGED})
    if flagged:
        Session.execute(sa.update(Report.__table__).where(Report.__table__.c.id.in_(flagged)).values(needs_review=True))
    if written:
        record_many([Happened("report", o.item.report_id, "content_checked", reason=o.error, payload={
            "what": o.item.kind, "media_id": o.item.id if o.item.kind == "photo" else None, "verdict": o.verdict,
            "label": o.label, "attempts": o.item.attempts}) for o in written], Actor.system(), now)
    for o in written:
        report = reports[o.item.report_id]
        if o.verdict in FLAGGED and report.status == ReportStatus.SUBMITTED:
            flags.append((report, o))
    return flags


def _table(kind: str) -> sa.Table:
    return Report.__table__ if kind == "text" else Media.__table__
