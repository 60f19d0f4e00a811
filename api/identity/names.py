"""How staff see a person: a staff member's display name; a citizen's nickname, else a masked openid."""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session
from api.identity.models import User


def masked_openid(openid: str | None) -> str | None:
    """o6_b****Wx1Q: the first and last four of a 28-character openid (fewer of a short one), never the whole."""
    if not openid:
        return None
    keep = min(4, len(openid) // 4)
    return f"{openid[:keep]}****{openid[len(openid) - keep:]}" if keep else "****"


def person_name(user: User | None) -> str | None:
    """The name staff see for a user: staff by display name (else username); a citizen by the nickname they gave
    (WeChat's 头像昵称填写), else their openid masked."""
    if user is None:
        return None
    if user.kind == "citizen":
        return user.nickname or masked_openid(user.openid)
    return user.display_name or user.username


def staff_name(user=User) -> sa.ColumnElement[str]:
    """`person_name` of a staff member in SQL (for User or an alias of it): the display name, else the login."""
    return sa.func.coalesce(sa.func.nullif(user.display_name, ""), user.username)


def staff_names(user_ids) -> dict[int, str]:
    """Staff names by id, in one query (a desk list names who asked and who decided without a query per row)."""
    wanted = {i for i in user_ids if i is not None}
    if not wanted:
        return {}
    return dict(Session.execute(sa.select(User.id, staff_name()).where(User.id.in_(wanted))).all())
