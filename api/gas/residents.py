"""Residents and businesses: bind a gas user, see upcoming visits, and check an inspector's badge.

The badge's QR carries `<inspector id>.<signature>` (HMAC under a key derived from SECRET_KEY): anyone scanning it
learns, without a login, whether the badge is genuine and whether its holder is an active gas inspector today,
with the name and employer; with a citizen's token the answer also says whether a visit by this inspector is
planned today at premises the citizen has bound — and says plainly when it is not, which is the fake-inspector
scam's pattern (shared/reference/gas-and-fees.md §E). Periodic inspection is free: the answer says so.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata

import sqlalchemy as sa

from api import timefmt
from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.gas import errors
from api.gas.models import LIVE_TASK, GasBinding, GasTask, GasUser
from api.identity import ratelimit
from api.identity.models import User, UserRole
from api.premises.models import Premises
from api.roles import Role

BIND_WINDOW_S = 3600
FREE = "入户安检免费，安检员不收取任何费用、不推销产品；如有疑问请拨打燃气企业客服或110。"


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").lower()


def bind(user: User, number: str, check: str) -> GasUser:
    """Bind by 户号 or meter number plus the contact's full name or the phone's last four digits; attempts are
    limited per user and per number, and a wrong pair answers as an unknown number does."""
    limit = get_config().BIND_MAX_PER_HOUR
    for key in (f"gasbind:user:{user.id}", f"gasbind:number:{number}"):
        if ratelimit.hit(key, BIND_WINDOW_S) > limit:
            raise errors.TooManyBindingAttempts(retry_after=ratelimit.ttl(key))
    gas_user = Session.scalar(sa.select(GasUser).where(sa.or_(GasUser.number == number, GasUser.meter_no == number)))
    given = _normalise(check)
    if gas_user is None or not given or not (
            hmac.compare_digest(given.encode(), _normalise(gas_user.contact_name).encode())
            or hmac.compare_digest(given.encode(), gas_user.phone[-4:].encode())):
        raise errors.GasBindingCheckFailed()
    stmt = insert_for(GasBinding).values(gas_user_id=gas_user.id, user_id=user.id, bound_at=utcnow())
    if Session.execute(stmt.on_conflict_do_nothing()).rowcount:
        record("gas_user", gas_user.id, "gas_user_bound", Actor("citizen", user.id))
    Session.flush()
    return gas_user


def upcoming(user: User) -> list[dict]:
    """Visits planned at the gas users the citizen has bound (no inspector's phone, no internal state)."""
    rows = Session.execute(
        sa.select(GasTask.id, GasTask.kind, GasTask.due_on, GasTask.status, GasUser.number, Premises.address,
                  User.display_name.label("inspector"))
        .join(GasUser, GasUser.id == GasTask.gas_user_id).join(Premises, Premises.id == GasUser.premises_id)
        .join(GasBinding, GasBinding.gas_user_id == GasUser.id).outerjoin(User, User.id == GasTask.inspector_id)
        .where(GasBinding.user_id == user.id, GasTask.status.in_(LIVE_TASK)).order_by(GasTask.due_on))
    return [{"task_id": r.id, "kind": r.kind, "due_on": r.due_on, "number": r.number, "address": r.address,
             "inspector": r.inspector or None} for r in rows]


def _sign(text: str) -> str:
    key = hashlib.sha256(f"{get_config().SECRET_KEY}:gas-badge".encode()).digest()
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def badge_payload(inspector: User) -> str:
    return f"{inspector.id}.{_sign(str(inspector.id))}"


def verify_badge(payload: str, citizen: User | None) -> dict:
    head, _, signature = payload.partition(".")
    if not head.isdigit() or not hmac.compare_digest(_sign(head).encode(), signature.encode("utf-8", "replace")):
        return {"genuine": False, "valid": False, "advice": "这不是本系统签发的安检员证件。" + FREE}
    inspector = Session.get(User, int(head))
    holds = inspector is not None and inspector.is_active and Session.scalar(
        sa.select(sa.func.count()).select_from(UserRole).where(UserRole.user_id == inspector.id,
                                                               UserRole.role == str(Role.GAS_INSPECTOR))) > 0
    answer = {"genuine": True, "valid": bool(holds), "name": inspector.display_name if inspector else "",
              "employer": get_config().GAS_EMPLOYER, "photo_url": None}
    if not holds:
        answer["advice"] = "该证件已失效，持证人目前不是在岗安检员，请勿开门。" + FREE
        return answer
    if citizen is not None:
        today = timefmt.today()
        booked = Session.scalar(sa.select(sa.func.count()).select_from(GasTask)
                                .join(GasBinding, GasBinding.gas_user_id == GasTask.gas_user_id)
                                .where(GasBinding.user_id == citizen.id, GasTask.inspector_id == inspector.id,
                                       GasTask.status == "assigned", GasTask.due_on <= today)) > 0
        answer["visit_booked_today"] = booked
        answer["advice"] = ("该安检员今天有到您家的安检任务。" if booked else
                            "该安检员今天没有到您已绑定住址的安检任务，请核实后再开门。") + FREE
    else:
        answer["advice"] = "证件有效。登录小程序并绑定燃气户号后扫码，可核对今天是否有到您家的安检任务。" + FREE
    return answer
