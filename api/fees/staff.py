"""Who at the billing desk is told (inbox notices): the billing heads, district-wide and of a street."""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session
from api.identity.models import User, UserRole
from api.roles import Role


def billing_heads(streets=None) -> list[int]:
    """Active billing heads: district-wide ones, and those of `streets` (codes, or a query of them)."""
    scope = User.scope_division_code.is_(None)
    if streets is not None:
        scope = sa.or_(scope, User.scope_division_code.in_(streets))
    return list(Session.scalars(sa.select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == str(Role.BILLING_HEAD), User.is_active, scope)))
