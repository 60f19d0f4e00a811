"""Record events in the caller's transaction; read a subject's history."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from api.db import Session
from api.events.models import Event


@dataclass(frozen=True)
class Actor:
    type: str  # citizen | staff | system | device
    id: int | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls("system", None)


def record(subject_type: str, subject_id: int, action: str, actor: Actor, *, from_state: str | None = None,
           to_state: str | None = None, reason: str | None = None, payload: dict | None = None) -> Event:
    """Add an event to the current transaction; it commits (or rolls back) with the change it describes."""
    event = Event(subject_type=subject_type, subject_id=subject_id, action=action, actor_type=actor.type,
                  actor_id=actor.id, from_state=from_state, to_state=to_state, reason=reason,
                  payload=payload or {})
    Session.add(event)
    return event


def history(subject_type: str, subject_id: int, actions: tuple[str, ...] | None = None) -> list[Event]:
    query = sa.select(Event).where(Event.subject_type == subject_type, Event.subject_id == subject_id)
    if actions is not None:
        query = query.where(Event.action.in_(actions))
    return list(Session.scalars(query.order_by(Event.id)))
