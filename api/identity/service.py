"""Log citizens in with WeChat and staff with a password; issue tokens; create staff accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from api.access import TokenInvalid
from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.identity import cache, ratelimit, tokens
from api.identity.errors import (
    AccountDisabled,
    BadCredentials,
    LastAdmin,
    LoginRateLimited,
    StaffNotFound,
    UsernameTaken,
)
from api.identity.models import User, UserRole
from api.roles import STAFF_ROLES, Role
from api.wechat.client import get_client

# A fixed hash compared against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


@dataclass(frozen=True)
class LoginResult:
    user: User
    access_token: str
    expires_in: int


def wechat_login(code: str, client_ip: str) -> LoginResult:
    """Exchange a wx.login code for the citizen's openid (through wechatpy) and issue a token."""
    check_ip_rate(client_ip)
    session_info = get_client().code_to_session(code)
    openid, unionid = session_info["openid"], session_info.get("unionid")
    now = utcnow()
    user = Session.scalar(sa.select(User).where(User.openid == openid))
    if user is None:
        user = _create_citizen(openid, unionid, now)
    if not user.is_active:
        raise AccountDisabled()
    if unionid and user.unionid != unionid:
        user.unionid = unionid
    if user.last_login_at != now:  # a first login wrote it with the account
        user.last_login_at = now
    return _issue(user)


def staff_login(username: str, password: str, client_ip: str) -> LoginResult:
    """Password login (signed_in_staff), answered with an access token."""
    return _issue(signed_in_staff(username, password, client_ip))


def signed_in_staff(username: str, password: str, client_ip: str) -> User:
    """The staff member whose password this is, by the rules every sign-in shares (the API's token and the
    console's session). Wrong passwords lock the account for *that source address* (STAFF_LOGIN_MAX_FAILURES in
    STAFF_LOGIN_LOCK_S); failures from everywhere together only slow the account down (a doubling wait after
    STAFF_LOGIN_ACCOUNT_FREE_FAILURES in the window, capped at STAFF_LOGIN_BACKOFF_MAX_S), so nobody can lock
    someone else out at will."""
    check_ip_rate(client_ip)
    config = get_config()
    pair_key, account_key, backoff_key = _login_keys(username, client_ip)
    if ratelimit.count(pair_key) >= config.STAFF_LOGIN_MAX_FAILURES:
        raise LoginRateLimited(retry_after=ratelimit.ttl(pair_key))
    if ratelimit.blocked(backoff_key):
        raise LoginRateLimited(retry_after=ratelimit.ttl(backoff_key), details={"scope": "account_backoff"})
    user = Session.scalar(sa.select(User).where(User.username == username, User.kind == "staff"))
    if not check_password_hash(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        ratelimit.hit(pair_key, config.STAFF_LOGIN_LOCK_S)
        failures = ratelimit.hit(account_key, config.STAFF_LOGIN_ACCOUNT_WINDOW_S)
        beyond = failures - config.STAFF_LOGIN_ACCOUNT_FREE_FAILURES
        if beyond > 0:
            ratelimit.block(backoff_key, min(2 ** min(beyond, 16), config.STAFF_LOGIN_BACKOFF_MAX_S))
        raise BadCredentials()
    if not user.is_active:
        raise AccountDisabled()
    ratelimit.reset(pair_key)
    user.last_login_at = utcnow()
    return user


def check_ip_rate(client_ip: str) -> None:
    limit = get_config().LOGIN_MAX_PER_IP_PER_MIN
    key = f"login-ip:{client_ip}"
    if ratelimit.hit(key, 60) > limit:
        raise LoginRateLimited(retry_after=ratelimit.ttl(key))


def create_staff(username: str, password: str, roles: set[Role], *, display_name: str = "",
                 scope_division_code: str | None = None, scope_department_id: int | None = None,
                 actor: Actor | None = None, password_hash: str | None = None) -> User:
    unknown = set(roles) - STAFF_ROLES
    if unknown or not roles:
        raise ValueError(f"staff roles must be a non-empty subset of the staff roles, got {sorted(roles)}")
    user = User(kind="staff", username=username, password_hash=password_hash or generate_password_hash(password),
                display_name=display_name or username, scope_division_code=scope_division_code,
                scope_department_id=scope_department_id, role_rows=[UserRole(role=str(r)) for r in sorted(roles)])
    Session.add(user)
    Session.flush()
    record("user", user.id, "staff_created", actor or Actor.system(),
           payload={"username": username, "roles": sorted(str(r) for r in roles)})
    return user


def user_for_token(token: str) -> User | None:
    """The active user an access token names (the loader `api.access` authenticates with); TokenInvalid for a
    bad token or one its user has signed out of, None for a disabled or deleted account."""
    user_id, epoch = tokens.verify(token, get_config().SECRET_KEY)
    user = get_active_user(user_id)
    if user is not None and user.token_epoch != epoch:
        raise TokenInvalid()
    return user


def get_active_user(user_id: int) -> User | None:
    """The user and roles, from this process's cache while nothing about them has changed (api/identity/cache.py:
    a change anywhere is seen by the very next request)."""
    user = cache.get(user_id)
    return user if user is not None and user.is_active else None


def sign_out(user: User, actor: Actor) -> None:
    """End every access token the user holds (event `signed_out`): their next request, anywhere, is refused
    401 TOKEN_INVALID, and the console's sessions of a staff member end too."""
    user.token_epoch += 1
    record("user", user.id, "signed_out", actor, payload={"token_epoch": user.token_epoch})


def _create_citizen(openid: str, unionid: str | None, now: datetime) -> User:
    """A first login's account, its login time included: one INSERT … ON CONFLICT DO NOTHING RETURNING (no
    savepoint, no UPDATE after it). Two first logins of one openid can race: the unique index decides, the loser
    reads the winner."""
    statement = insert_for(User).values(kind="citizen", openid=openid, unionid=unionid, last_login_at=now)
    user = Session.scalars(statement.on_conflict_do_nothing(index_elements=["openid"]).returning(User)).one_or_none()
    if user is None:
        return Session.scalar(sa.select(User).where(User.openid == openid))
    record("user", user.id, "citizen_registered", Actor("citizen", user.id))
    return user


def set_nickname(user: User, nickname: str | None) -> User:
    """A citizen's nickname as staff will see it beside their reports (event `profile_updated`); None removes it,
    and the same name again changes nothing."""
    nickname = nickname.strip() if nickname else None
    if nickname != user.nickname:
        user.nickname = nickname
        record("user", user.id, "profile_updated", Actor("citizen", user.id), payload={"nickname": nickname})
    return user


def _issue(user: User) -> LoginResult:
    config = get_config()
    token, ttl = tokens.issue(user.id, user.kind, config.SECRET_KEY, config.ACCESS_TOKEN_TTL_S, user.token_epoch)
    return LoginResult(user=user, access_token=token, expires_in=ttl)


def list_staff() -> list[User]:
    return list(Session.scalars(sa.select(User).where(User.kind == "staff").order_by(User.username)))


def _login_keys(username: str, client_ip: str) -> tuple[str, str, str]:
    """The rate-limit keys of one account: its failures from this address, from everywhere, and its back-off."""
    name = username.lower()
    return f"staff-fail:{name}:{client_ip}", f"staff-fail:{name}", f"staff-wait:{name}"


def unlock_staff(username: str) -> None:
    """Clear an account's login counters (every source address, the back-off): `flask staff-unlock NAME`."""
    pair_pattern, account_key, backoff_key = _login_keys(username, "*")
    ratelimit.reset_matching(pair_pattern)
    for key in (account_key, backoff_key):
        ratelimit.reset(key)


def get_staff(user_id: int) -> User:
    user = Session.get(User, user_id, with_for_update=True)
    if user is None or user.kind != "staff":
        raise StaffNotFound()
    return user


def update_staff(user_id: int, actor: Actor, *, roles: set[Role] | None = None, is_active: bool | None = None) -> User:
    user = get_staff(user_id)
    loses_admin = Role.ADMIN in user.roles and user.is_active and (
        (roles is not None and Role.ADMIN not in roles) or is_active is False)
    if loses_admin and not _other_active_admins(user.id):
        raise LastAdmin()
    changes: dict = {}
    if roles is not None and roles != user.roles:
        user.role_rows = [UserRole(role=str(r)) for r in sorted(roles)]
        changes["roles"] = sorted(str(r) for r in roles)
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        changes["is_active"] = is_active
    if changes:
        record("user", user.id, "staff_updated", actor, payload=changes)
    return user


def _other_active_admins(user_id: int) -> list[int]:
    """Active admins besides this one, locked so that two admins cannot demote each other at the same time."""
    return list(Session.scalars(sa.select(User.id).join(UserRole, UserRole.user_id == User.id).where(
        UserRole.role == str(Role.ADMIN), User.is_active, User.id != user_id).with_for_update(of=User)))


def add_staff(username: str, password: str, roles: set[Role], actor: Actor, **scope) -> User:
    if Session.scalar(sa.select(User.id).where(User.username == username)):
        raise UsernameTaken(details={"username": username})
    user = create_staff(username, password, roles, actor=actor, **scope)
    return user
