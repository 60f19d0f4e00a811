"""Field staff positions, and the nearest on-duty staff member of a role for a 核实/核查 task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from api import geo
from api.db import Session, utcnow
from api.identity.models import FieldPosition, User, UserRole
from api.roles import Role

FRESH_FOR = timedelta(minutes=15)  # a position older than this no longer counts as "on duty here"
NEAR_M = 3000.0


@dataclass(frozen=True)
class Candidate:
    user: User
    distance_m: float | None  # None: chosen by the fallback, position unknown or stale
    basis: str  # nearest_on_duty | street_on_duty | street_scope


def report_position(user: User, lat: float, lon: float, on_duty: bool) -> FieldPosition:
    position = Session.get(FieldPosition, user.id) or FieldPosition(user_id=user.id)
    position.lat, position.lon, position.on_duty, position.reported_at = lat, lon, on_duty, utcnow()
    Session.add(position)
    return position


def nearest(role: Role, lat: float, lon: float, street_code: str | None, *, near_m: float = NEAR_M,
            now=None) -> Candidate | None:
    """The closest on-duty staff member of `role` within near_m; else one on duty in the street; else one
    scoped to the street. The fallbacks keep a task from going nowhere when nobody is near."""
    fresh_after = (now or utcnow()) - FRESH_FOR
    rows = Session.execute(
        sa.select(User, FieldPosition).join(UserRole, UserRole.user_id == User.id)
        .join(FieldPosition, FieldPosition.user_id == User.id)
        .where(UserRole.role == str(role), User.is_active, FieldPosition.on_duty,
               FieldPosition.reported_at >= fresh_after)).all()
    ranked = sorted(((geo.distance_m(lat, lon, p.lat, p.lon), u) for u, p in rows), key=lambda t: (t[0], t[1].id))
    if ranked and ranked[0][0] <= near_m:
        return Candidate(ranked[0][1], round(ranked[0][0], 1), "nearest_on_duty")
    in_street = [(d, u) for d, u in ranked if street_code and u.scope_division_code == street_code]
    if in_street:
        return Candidate(in_street[0][1], round(in_street[0][0], 1), "street_on_duty")
    if street_code:
        scoped = Session.scalar(sa.select(User).join(UserRole, UserRole.user_id == User.id).where(
            UserRole.role == str(role), User.is_active, User.scope_division_code == street_code).order_by(User.id))
        if scoped is not None:
            return Candidate(scoped, None, "street_scope")
    return None
