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


def issue(user_id: int, kind: str, secret: str, ttl_s: int, epoch: int = 0) -> tuple[str, int]:
    """A token for the user in their current token epoch (`users.token_epoch`: signing out moves it on)."""
    now = utcnow()
    claims = {"sub": str(user_id), "kind": kind, "iat": now, "exp": now + timedelta(seconds=ttl_s), "iss": ISSUER,
              "jti": secrets.token_hex(8), "ep": epoch}
    return jwt.encode(claims, secret, algorithm=ALGORITHM), ttl_s


def verify(token: str, secret: str) -> tuple[int, int]:
    """The user id a valid token names and the epoch it was issued in; TokenInvalid otherwise (bad signature,
    expired, malformed). Tokens issued before epochs existed are of epoch 0."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=ISSUER,
                            options={"require": ["sub", "exp", "iat", "iss"]})
        user_id, epoch = int(claims["sub"]), claims.get("ep", 0)
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise TokenInvalid() from exc
    if not 1 <= user_id <= INT64_MAX or type(epoch) is not int:  # a signed token we never issued
        raise TokenInvalid()
    return user_id, epoch
