"""Staff inbox: notices in the caller's transaction, unread counts, marking read."""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session, utcnow
from api.notifications.errors import NoticeNotFound
from api.notifications.models import StaffNotice


def notify(user_ids: list[int], kind: str, subject_type: str, subject_id: int, message: str, *,
           flagged: bool = False) -> list[StaffNotice]:
    """Add notices to the current transaction (they appear only if the change that causes them commits).
    `flagged`: work that has nobody yet and needs a person to assign it."""
    notices = [StaffNotice(user_id=u, kind=kind, subject_type=subject_type, subject_id=subject_id,
                           message=message[:200], flagged=flagged) for u in sorted(set(user_ids))]
    Session.add_all(notices)
    return notices


def list_for(user_id: int, unread_only: bool, page: int, page_size: int) -> tuple[list[StaffNotice], int, int]:
    query = sa.select(StaffNotice).where(StaffNotice.user_id == user_id)
    if unread_only:
        query = query.where(StaffNotice.read_at.is_(None))
    total = Session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    items = list(Session.scalars(query.order_by(StaffNotice.id.desc()).limit(page_size)
                                 .offset((page - 1) * page_size)))
    return items, total, unread_count(user_id)


def flagged(user_ids: list[int] | None, limit: int) -> list[StaffNotice]:
    """Unread flagged notices (work nobody has yet), newest first: the given people's, or everyone's (None)."""
    query = sa.select(StaffNotice).where(StaffNotice.flagged, StaffNotice.read_at.is_(None))
    if user_ids is not None:
        query = query.where(StaffNotice.user_id.in_(user_ids))
    return list(Session.scalars(query.order_by(StaffNotice.id.desc()).limit(limit)))


def unread_count(user_id: int) -> int:
    return Session.scalar(sa.select(sa.func.count()).select_from(StaffNotice).where(
        StaffNotice.user_id == user_id, StaffNotice.read_at.is_(None)))


def mark_read(user_id: int, notice_id: int | None = None) -> int:
    """Mark one notice (or all when notice_id is None) read; returns how many changed."""
    query = sa.update(StaffNotice).where(StaffNotice.user_id == user_id, StaffNotice.read_at.is_(None))
    if notice_id is not None:
        if Session.scalar(sa.select(StaffNotice.user_id).where(StaffNotice.id == notice_id)) != user_id:
            raise NoticeNotFound()
        query = query.where(StaffNotice.id == notice_id)
    changed = Session.execute(query.values(read_at=utcnow())).rowcount
    return changed
