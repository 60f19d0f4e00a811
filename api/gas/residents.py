"""Residents and businesses: bind a gas user, see upcoming visits, and check an inspector's badge.

The badge's QR carries `<inspector id>.<signature>` (HMAC under a key derived from SECRET_KEY): anyone scanning it
learns, without a login, whether the badge is genuine and whether its holder is an active gas inspector today,
with the name and employer; with a citizen's token the answer also says whether a visit by this inspector is
planned today at premises the citizen has bound — and says plainly when it is not, which is the fake-inspector
scam's pattern (shared/reference/gas-and-fees.md §E). Periodic inspection is free: the answer says so.
"""

from __future__ import annotations

import hmac
from datetime import date, timedelta

import sqlalchemy as sa

from api import timefmt
from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.gas import errors
from api.gas.models import LIVE_TASK, GasBinding, GasTask, GasUser, GasVisit
from api.identity import ratelimit
from api.identity.models import User, UserRole
from api.notifications import inbox
from api.notifications import service as notifications
from api.notifications.templates import GAS_VISIT_KEYS
from api.premises.models import Premises
from api.premises.service import holder_matches
from api.roles import Role

BIND_WINDOW_S = 3600
BADGE = "gas-badge"  # the badge signature's purpose (api.config.Config.signature)
FREE = "入户安检免费，安检员不收取任何费用、不推销产品；如有疑问请拨打燃气企业客服或110。"


def bind(user: User, number: str, check: str) -> GasUser:
    """Bind by 户号 or meter number plus the contact's full name or the phone's last four digits; attempts are
    limited per user and per number, and a wrong pair answers as an unknown number does."""
    limit = get_config().BIND_MAX_PER_HOUR
    for key in (f"gasbind:user:{user.id}", f"gasbind:number:{number}"):
        if ratelimit.hit(key, BIND_WINDOW_S) > limit:
            raise errors.TooManyBindingAttempts(retry_after=ratelimit.ttl(key))
    gas_user = Session.scalar(sa.select(GasUser).where(sa.or_(GasUser.number == number, GasUser.meter_no == number)))
    if gas_user is None or not holder_matches(check, gas_user.contact_name, gas_user.phone):
        raise errors.GasBindingCheckFailed()
    stmt = insert_for(GasBinding).values(gas_user_id=gas_user.id, user_id=user.id, bound_at=utcnow())
    if Session.execute(stmt.on_conflict_do_nothing()).rowcount:
        record("gas_user", gas_user.id, "gas_user_bound", Actor("citizen", user.id))
    Session.flush()
    return gas_user


def upcoming(user: User) -> list[dict]:
    """Visits planned at the gas users the citizen has bound (no inspector's phone, no internal state)."""
    rows = Session.execute(
        sa.select(GasTask.id, GasTask.kind, GasTask.due_on, GasTask.status, GasTask.booked_for, GasTask.booked_slot,
                  GasUser.number, Premises.address,
                  User.display_name.label("inspector"))
        .join(GasUser, GasUser.id == GasTask.gas_user_id).join(Premises, Premises.id == GasUser.premises_id)
        .join(GasBinding, GasBinding.gas_user_id == GasUser.id).outerjoin(User, User.id == GasTask.inspector_id)
        .where(GasBinding.user_id == user.id, GasTask.status.in_(LIVE_TASK)).order_by(GasTask.due_on))
    return [{"task_id": r.id, "kind": r.kind, "due_on": r.due_on, "booked_for": r.booked_for,
             "booked_slot": r.booked_slot, "number": r.number, "address": r.address, "inspector": r.inspector or None}
            for r in rows]


def _bound_task(user: User, task_id: int) -> GasTask:
    task = Session.get(GasTask, task_id, with_for_update=True)
    if task is None or task.status not in LIVE_TASK or Session.get(GasBinding, (task.gas_user_id, user.id)) is None:
        raise errors.TaskNotFound()
    return task


def book(user: User, task_id: int, day: date, slot: str) -> GasTask:
    """A resident books (or moves) the visit to a day and half-day, from tomorrow to GAS_BOOKING_DAYS ahead; the
    inspector is told. The task's version does not change: the visit itself is the same task."""
    today = timefmt.today()
    if not today < day <= today + timedelta(days=get_config().GAS_BOOKING_DAYS):
        raise errors.BookingDayInvalid(details={"from": (today + timedelta(days=1)).isoformat(),
                                                "to": (today + timedelta(days=get_config().GAS_BOOKING_DAYS))
                                                .isoformat()})
    task = _bound_task(user, task_id)
    before = (task.booked_for.isoformat() if task.booked_for else None, task.booked_slot)
    task.booked_for, task.booked_slot, task.reminded_at = day, slot, None  # the day before, they are told again
    record("gas_task", task.id, "gas_visit_booked", Actor("citizen", user.id),
           payload={"from": list(before), "to": [day.isoformat(), slot]})
    if task.inspector_id:
        inbox.notify([task.inspector_id], "gas_booking", "gas_task", task.id,
                     f"用户预约安检：{day.isoformat()} {'上午' if slot == 'am' else '下午'}")
    Session.flush()
    return task


def rate(user: User, visit_id: int, stars: int, comment: str | None) -> GasVisit:
    """The resident rates an applied visit at a gas user they bound, once."""
    visit = Session.get(GasVisit, visit_id, with_for_update=True)
    if visit is None or visit.state != "applied" or visit.outcome == "nobody_home" or \
            Session.get(GasBinding, (visit.gas_user_id, user.id)) is None:
        raise errors.VisitNotFound()
    if visit.rating is not None:
        raise errors.AlreadyRated()
    visit.rating, visit.rating_comment, visit.rated_at = stars, comment, utcnow()
    record("gas_visit", visit.id, "gas_visit_rated", Actor("citizen", user.id), payload={"rating": stars})
    Session.flush()
    return visit


def notices(today: date, limit: int = 5000) -> int:
    """Tell the bound residents of each visit coming up — a booked one the day before, an unbooked one
    GAS_NOTICE_DAYS before it is due — once (claimed by an UPDATE … WHERE reminded_at IS NULL); returns how many
    tasks. A send spends one of the resident's accepted subscriptions, as every subscribe message does."""
    config = get_config()
    soon = sa.or_(GasTask.booked_for == today + timedelta(days=1),
                  sa.and_(GasTask.booked_for.is_(None),
                          GasTask.due_on <= today + timedelta(days=config.GAS_NOTICE_DAYS)))
    bound = sa.exists().where(GasBinding.gas_user_id == GasTask.gas_user_id)
    ids = list(Session.scalars(sa.select(GasTask.id).where(GasTask.status == "assigned", GasTask.reminded_at.is_(None),
                                                           soon, bound).order_by(GasTask.id).limit(limit)))
    if not ids:
        return 0
    claimed = Session.execute(sa.update(GasTask).where(GasTask.id.in_(ids), GasTask.reminded_at.is_(None))
                              .values(reminded_at=utcnow()).returning(GasTask.id)).scalars().all()
    rows = Session.execute(
        sa.select(GasTask, GasUser.number, Premises.address, User.display_name, GasBinding.user_id)
        .join(GasUser, GasUser.id == GasTask.gas_user_id).join(Premises, Premises.id == GasUser.premises_id)
        .join(GasBinding, GasBinding.gas_user_id == GasUser.id).outerjoin(User, User.id == GasTask.inspector_id)
        .where(GasTask.id.in_(claimed)).order_by(GasTask.id)).all()
    for task, number, address, inspector, user_id in rows:
        day = task.booked_for or task.due_on
        when = f"{day.year}年{day.month}月{day.day}日"
        values = dict(zip(GAS_VISIT_KEYS, (number, address, when, inspector or "燃气安检员",
                                           "入户安检免费，请核验安检员证件二维码"), strict=True))
        notifications.queue(user_id=user_id, template_id=config.TEMPLATE_GAS_VISIT, subject=("gas_task", task.id),
                            values=values, page=f"pages/gas/visit?task={task.id}")
    return len(claimed)


def badge_payload(inspector: User) -> str:
    return f"{inspector.id}.{get_config().signature(BADGE, str(inspector.id))}"


def verify_badge(payload: str, citizen: User | None) -> dict:
    head, _, signature = payload.partition(".")
    expected = get_config().signature(BADGE, head) if head.isdigit() else ""
    if not expected or not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
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
