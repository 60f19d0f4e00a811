"""Record events in the caller's transaction; read a subject's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from api.db import Session, utcnow
from api.events.models import Event


@dataclass(frozen=True)
class Actor:
    type: str  # citizen | staff | system | device
    id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None)


_INSERT_ONE = sa.insert(Event.__table__).returning(Event.__table__.c.id)


def record(subject_type: str, subject_id: int, action: str, actor: Actor, *, from_state: str | None = None,
           to_state: str | None = None, reason: str | None = None, payload: dict | None = None) -> int:
    """Write an event in the current transaction (it commits or rolls back with the change it describes); its id.
    One INSERT at once, not an ORM object for the unit of work to flush: an event is never read back or changed
    in the transaction that writes it, and the ORM's bookkeeping cost a report's creation a sixth of its time.
    Without an autoflush: what the caller has pending may be half-built when it records (the unit of work
    flushes it later, as before), and an event refers to its subject by id only."""
    with Session.no_autoflush:
        return Session.execute(_INSERT_ONE, {
            "subject_type": subject_type, "subject_id": subject_id, "action": action, "actor_type": actor.type,
            "actor_id": actor.id, "from_state": from_state, "to_state": to_state, "reason": reason,
            "payload": payload or {}, "created_at": utcnow()}).scalar_one()


@dataclass(frozen=True)
class Happened:
    """One event of a batch (`record_many`): what `record` takes, less the actor every one of them shares."""

    subject_type: str
    subject_id: int
    action: str
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    payload: dict | None = None


def record_many(events: list[Happened], actor: Actor, at: datetime | None = None) -> int:
    """Add many events to the current transaction in one INSERT (a scan escalating hundreds of cases, a content
    check's verdicts): the same rows `record` would write, without an ORM object each. Returns how many."""
    if not events:
        return 0
    at = at or utcnow()
    Session.execute(sa.insert(Event.__table__), [
        {"subject_type": e.subject_type, "subject_id": e.subject_id, "action": e.action, "actor_type": actor.type,
         "actor_id": actor.id, "from_state": e.from_state, "to_state": e.to_state, "reason": e.reason,
         "created_at": at, "payload": e.payload or {}} for e in events])
    return len(events)


def history(subject_type: str, subject_id: int, actions: tuple[str, ...] | None = None) -> list[Event]:
    query = sa.select(Event).where(Event.subject_type == subject_type, Event.subject_id == subject_id)
    if actions is not None:
        query = query.where(Event.action.in_(actions))
    return list(Session.scalars(query.order_by(Event.id)))
