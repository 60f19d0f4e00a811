"""Signed, expiring access tokens (JWT, HS256)."""

from __future__ import annotations

import secrets
from datetime import timedelta

import jwt

from api.access import TokenInvalid
from api.db import utcnow

ALGORITHM = "HS256"
INT64_MAX = 2**63 - 1
ISSUER = "suiyun-city"


def issue(user_id: int, kind: str, secret: str, ttl_s: int) -> tuple[str, int]:
    now = utcnow()
    claims = {"sub": str(user_id), "kind": kind, "iat": now, "exp": now + timedelta(seconds=ttl_s), "iss": ISSUER,
              "jti": secrets.token_hex(8)}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), ttl_s


def verify(token: str, secret: str) -> int:
    """The user id a valid token names; TokenInvalid otherwise (bad signature, expired, malformed)."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iat", "iss"]})
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise TokenInvalid() from exc
    if not 1 <= user_id <= INT64_MAX:  # a signed token we never issued: no id beyond the column's range
        raise TokenInvalid()
    return user_id
