"""How staff see a person: a staff member's display name; a citizen's nickname, else a masked openid."""

from __future__ import annotations

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
