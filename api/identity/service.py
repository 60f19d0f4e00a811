"""Log citizens in with WeChat and staff with a password; issue tokens; create staff accounts."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.identity import ratelimit, tokens
from api.identity.errors import AccountDisabled, BadCredentials, LoginRateLimited, StaffNotFound, UsernameTaken
from api.identity.models import User, UserRole
from api.identity.roles import STAFF_ROLES, Role
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
    user = Session.scalar(sa.select(User).where(User.openid == openid))
    if user is None:
        user = _create_citizen(openid, unionid)
    elif unionid and user.unionid != unionid:
        user.unionid = unionid
    if not user.is_active:
        raise AccountDisabled()
    user.last_login_at = utcnow()
    Session.commit()
    return _issue(user)


def staff_login(username: str, password: str, client_ip: str) -> LoginResult:
    check_ip_rate(client_ip)
    config = get_config()
    failures_key = f"staff-fail:{username.lower()}"
    if ratelimit.count(failures_key) >= config.STAFF_LOGIN_MAX_FAILURES:
        raise LoginRateLimited(retry_after=ratelimit.ttl(failures_key))
    user = Session.scalar(sa.select(User).where(User.username == username, User.kind == "staff"))
    if not check_password_hash(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        ratelimit.hit(failures_key, config.STAFF_LOGIN_LOCK_S)
        raise BadCredentials()
    if not user.is_active:
        raise AccountDisabled()
    ratelimit.reset(failures_key)
    user.last_login_at = utcnow()
    Session.commit()
    return _issue(user)


def check_ip_rate(client_ip: str) -> None:
    limit = get_config().LOGIN_MAX_PER_IP_PER_MIN
    key = f"login-ip:{client_ip}"
    if ratelimit.hit(key, 60) > limit:
        raise LoginRateLimited(retry_after=ratelimit.ttl(key))


def create_staff(username: str, password: str, roles: set[Role], *, display_name: str = "",
                 scope_division_code: str | None = None, scope_department_id: int | None = None,
                 actor: Actor | None = None) -> User:
    unknown = set(roles) - STAFF_ROLES
    if unknown or not roles:
        raise ValueError(f"staff roles must be a non-empty subset of the staff roles, got {sorted(roles)}")
    user = User(kind="staff", username=username, password_hash=generate_password_hash(password),
                display_name=display_name or username, scope_division_code=scope_division_code,
                scope_department_id=scope_department_id, role_rows=[UserRole(role=str(r)) for r in sorted(roles)])
    Session.add(user)
    Session.flush()
    record("user", user.id, "staff_created", actor or Actor.system(),
           payload={"username": username, "roles": sorted(str(r) for r in roles)})
    return user


def get_active_user(user_id: int) -> User | None:
    # one query per request: the roles come in the same round trip (no rows for citizens)
    user = Session.get(User, user_id, options=[joinedload(User.role_rows)])
    return user if user is not None and user.is_active else None


def _create_citizen(openid: str, unionid: str | None) -> User:
    # Two first logins of one openid can race: the unique index decides, the loser reads the winner.
    try:
        with Session.begin_nested():
            user = User(kind="citizen", openid=openid, unionid=unionid)
            Session.add(user)
        record("user", user.id, "citizen_registered", Actor("citizen", user.id))
        return user
    except IntegrityError:
        return Session.scalar(sa.select(User).where(User.openid == openid))


def _issue(user: User) -> LoginResult:
    config = get_config()
    token, ttl = tokens.issue(user.id, user.kind, config.SECRET_KEY, config.ACCESS_TOKEN_TTL_S)
    return LoginResult(user=user, access_token=token, expires_in=ttl)


def list_staff() -> list[User]:
    return list(Session.scalars(sa.select(User).where(User.kind == "staff").order_by(User.username)))


def update_staff(user_id: int, actor: Actor, *, roles: set[Role] | None = None, is_active: bool | None = None) -> User:
    user = Session.get(User, user_id, with_for_update=True)
    if user is None or user.kind != "staff":
        raise StaffNotFound()
    changes: dict = {}
    if roles is not None and roles != user.roles:
        user.role_rows = [UserRole(role=str(r)) for r in sorted(roles)]
        changes["roles"] = sorted(str(r) for r in roles)
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        changes["is_active"] = is_active
    if changes:
        record("user", user.id, "staff_updated", actor, payload=changes)
    Session.commit()
    return user


def add_staff(username: str, password: str, roles: set[Role], actor: Actor, **scope) -> User:
    if Session.scalar(sa.select(User.id).where(User.username == username)):
        raise UsernameTaken(details={"username": username})
    user = create_staff(username, password, roles, actor=actor, **scope)
    Session.commit()
    return user
