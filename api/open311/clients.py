"""Registered clients and their API keys: shown once, kept as a SHA-256 digest, revocable, each with its own rate.

A key is 32 random bytes (URL-safe base64, 43 characters): hashing it with SHA-256 is enough — there is nothing to
guess, so a slow password hash would only cost every request. The digest is looked up by its unique index and the
comparison is the database's equality on a value no caller controls the hash of.
"""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa

from api.db import Session, utcnow
from api.events.service import Actor, record
from api.i18n import gettext
from api.identity import ratelimit
from api.open311.errors import BadKey, RateExceeded
from api.open311.models import Open311Client

WINDOW_S = 60


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def register(name: str, rate_per_minute: int, contact: str, actor: Actor) -> tuple[Open311Client, str]:
    key = secrets.token_urlsafe(32)
    client = Open311Client(name=name, key_digest=digest(key), key_hint=key[:6], rate_per_minute=rate_per_minute,
                           contact=contact, active=True, created_by=actor.id if actor.type == "staff" else None)
    Session.add(client)
    Session.flush()
    record("open311_client", client.id, "open311_client_registered", actor,
           payload={"name": name, "rate_per_minute": rate_per_minute, "key_hint": client.key_hint})
    return client, key


def revoke(client: Open311Client, actor: Actor, reason: str) -> Open311Client:
    if client.active:
        client.active, client.revoked_at = False, utcnow()
        record("open311_client", client.id, "open311_client_revoked", actor, reason=reason,
               from_state="active", to_state="revoked")
    return client


def listed() -> list[Open311Client]:
    return list(Session.scalars(sa.select(Open311Client).order_by(Open311Client.id)))


def authenticate(key: str | None) -> Open311Client:
    """The active client holding this key, counted against its rate; 403 without a valid key, 429 over the rate."""
    if not key:
        raise BadKey(gettext("api_key is required to file a request: ask the district for one."))
    client = Session.scalar(sa.select(Open311Client).where(Open311Client.key_digest == digest(key[:200])))
    if client is None:
        raise BadKey(gettext("The api_key is not valid."))
    if not client.active:
        raise BadKey(gettext("The api_key has been revoked."))
    window = f"open311:{client.id}"
    if ratelimit.hit(window, WINDOW_S) > client.rate_per_minute:
        raise RateExceeded(gettext("Too many requests with this api_key: at most %(rate)s a minute.",
                                   rate=client.rate_per_minute), retry_after=ratelimit.ttl(window))
    return client
