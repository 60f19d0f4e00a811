"""HMAC-signed, expiring links for media served by the API."""

from __future__ import annotations

import hashlib
import hmac
import time

VARIANTS = ("original", "display", "thumb")


def sign(media_id: int, variant: str, expires_at: int, key: str) -> str:
    message = f"{media_id}:{variant}:{expires_at}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:32]


def check(media_id: int, variant: str, expires_at: int, signature: str, key: str, now: float | None = None) -> bool:
    if variant not in VARIANTS or expires_at < (now if now is not None else time.time()):
        return False
    return hmac.compare_digest(sign(media_id, variant, expires_at, key), signature)
