"""Who a token names, without a database query on every request: each web process keeps the users it has seen,
and Redis keeps one version per user that every change to the user replaces.

The rule: a cached user is used only while its version in Redis is the one it was cached under. Every commit that
wrote a `users` or `user_roles` row (a disabled account, a role added or removed, a sign-out, a nickname, a login)
gives the user a new random version in Redis twice: before the commit, and when the transaction has ended (a
request that read the old row between the two cached it under the first version). So the very next request, in
any process, reads the user afresh. Versions are random, never a counter, so a Redis that lost its data never
brings an old version back: a missing key is a version too.

Failure modes, each handled:
- Redis does not answer when a request authenticates: the user is read from the database (the cost of the
  request before this cache), nothing is cached, and a warning is logged.
- Redis does not answer the before-commit bump: a change to what the user may do (active, roles, scope, token
  epoch) is refused with 503 SERVICE_UNAVAILABLE and rolled back; a login's bookkeeping (BOOKKEEPING) is
  committed, logged, and may be seen up to USER_CACHE_MAX_AGE_S late (it grants nothing).
- Redis does not answer the after-commit bump (it answered the one before a moment earlier): logged; a process
  that cached the old row in that moment uses it for at most USER_CACHE_MAX_AGE_S.
- Redis lost a key (restart, eviction) after a change and a process still holds the user cached under "no key":
  bounded by USER_CACHE_MAX_AGE_S too, the same backstop.
- A write that is not through the ORM session's flush (a raw UPDATE of `users`): nothing in this code base does
  one; `forget_all()` is for whoever must (a test that resets the database). The first login's account is
  written by one INSERT statement, not a flush, and needs no announcement: no process can hold a user that did not
  exist (ids are never reused).

One SELECT (the roles joined) fills a miss; a hit costs one Redis GET and copying the cached row into the
request's session (`Session.merge(load=False)`: no SQL), so the handler gets an ordinary persistent User.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict

import redis
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.util import identity_key

from api.config import get_config
from api.db import Session
from api.errors import ServiceUnavailable
from api.identity.models import User, UserRole

log = logging.getLogger(__name__)
VERSION_KEY = "user-version:{}"
# Changes that alter nothing a request is allowed to do: a login's time and unionid, a nickname. They are announced
# like the rest, but Redis being down does not stop them (logins go on through an outage, as the rate limits do).
BOOKKEEPING = frozenset({"last_login_at", "unionid", "nickname"})
MAX_ENTRIES = 20_000  # users per process (a few MB); the least recently used go first
_CHANGED = "identity.changed_users"


class _Entry:
    __slots__ = ("user", "version", "loaded")

    def __init__(self, user: User, version: bytes, loaded: float):
        self.user, self.version, self.loaded = user, version, loaded


_entries: OrderedDict[int, _Entry] = OrderedDict()
_lock = threading.Lock()


def _redis() -> redis.Redis:
    from api.extensions import get_redis

    return get_redis()


def get(user_id: int) -> User | None:
    """The user with this id, attached to the request's session, roles loaded; None if there is none."""
    present = Session().identity_map.get(identity_key(User, user_id))
    if present is not None:  # this unit of work holds the user already (perhaps changed): that copy is the truth
        return present
    try:
        version = _redis().get(VERSION_KEY.format(user_id)) or b""
    except redis.RedisError as exc:
        log.warning("user cache: Redis unavailable (%s); reading user %s from the database", exc, user_id)
        return _load(user_id)
    with _lock:
        entry = _entries.get(user_id)
        if entry is not None:
            _entries.move_to_end(user_id)
    max_age = get_config().USER_CACHE_MAX_AGE_S
    if entry is not None and entry.version == version and time.monotonic() - entry.loaded < max_age:
        return Session.merge(entry.user, load=False)
    user = _load(user_id)  # read after the version: a change committed in between leaves a newer version behind
    if user is None or max_age <= 0:
        return user
    Session.expunge(user)  # the cached copy stays detached and unchanged; each request gets its own copy
    with _lock:
        _entries[user_id] = _Entry(user, version, time.monotonic())
        _entries.move_to_end(user_id)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return Session.merge(user, load=False)


def _load(user_id: int) -> User | None:
    return Session.get(User, user_id, options=[joinedload(User.role_rows)])


def forget_all() -> None:
    """Drop every cached user of this process."""
    with _lock:
        _entries.clear()


def _bump(user_ids: set[int]) -> None:
    pipe = _redis().pipeline(transaction=False)
    for user_id in sorted(user_ids):
        pipe.set(VERSION_KEY.format(user_id), uuid.uuid4().hex)
    pipe.execute()


@event.listens_for(OrmSession, "after_flush")
def _note_changed(session: OrmSession, _context) -> None:
    changed, grave = set(), False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, User):
            changed.add(obj.id)
            edited = obj not in session.new and bool(_changed_columns(obj) - BOOKKEEPING)
            grave = grave or obj in session.deleted or edited
        elif isinstance(obj, UserRole):
            changed.add(obj.user_id)
            grave = True
    if changed:
        noted = session.info.setdefault(_CHANGED, {"users": set(), "grave": False})
        noted["users"] |= changed
        noted["grave"] = noted["grave"] or grave


def _changed_columns(user: User) -> set[str]:
    state = sa.inspect(user)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


@event.listens_for(OrmSession, "before_commit")
def _announce(session: OrmSession) -> None:
    session.flush()  # the commit's own flush comes after this hook: flush now to see every change
    noted = session.info.get(_CHANGED)
    if not noted:
        return
    try:
        _bump(noted["users"])
    except redis.RedisError as exc:
        if noted["grave"]:  # what a user may do changed: not made unless every process can hear of it
            raise ServiceUnavailable() from exc
        log.warning("user cache: Redis unavailable, a login's bookkeeping is committed unannounced: %s", exc)


@event.listens_for(OrmSession, "after_transaction_end")
def _announce_again(session: OrmSession, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: its changes are announced when the whole transaction ends
        return
    noted = session.info.pop(_CHANGED, None)
    if noted:  # committed or rolled back: a needless new version only costs one reload
        try:
            _bump(noted["users"])
        except redis.RedisError as exc:
            log.error("user cache: version bump after commit failed for users %s: %s", sorted(noted["users"]), exc)
