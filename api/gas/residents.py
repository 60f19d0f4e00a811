"""Residents and businesses: bind a gas user, see the visits to it (planned and made), book one, rate one, and be
told of one coming up. Inspectors' badges and their public check are api/gas/badges.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from api import timefmt
from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.gas import checklist, errors
from api.gas.models import LIVE_TASK, GasBinding, GasHazard, GasTask, GasUser, GasVisit
from api.identity import ratelimit
from api.identity.models import User
from api.notifications import inbox
from api.notifications import service as notifications
from api.notifications.templates import GAS_VISIT_KEYS
from api.premises.models import Premises
from api.premises.service import holder_matches

BIND_WINDOW_S = 3600
VISITS_SHOWN = 100  # a resident's visits made, newest first (the planned ones all come first)


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


def visits(user: User, base_url: str) -> list[dict]:
    """Every visit to the gas users the citizen bound: the planned ones (live tasks, soonest first), then the ones
    made (newest first, at most VISITS_SHOWN) with their outcome, the visit record's link, the hazards found with
    their notices' links, the rating and whether it may still be given."""
    planned = [{**task, "state": "planned", "visit_id": None, "visited_at": None, "outcome": None, "record_url": None,
                "hazards": [], "rating": None, "may_rate": False} for task in upcoming(user)]
    rows = Session.execute(
        sa.select(GasVisit, GasTask.kind, GasUser.number, Premises.address, User.display_name.label("inspector"))
        .join(GasTask, GasTask.id == GasVisit.task_id).join(GasUser, GasUser.id == GasVisit.gas_user_id)
        .join(Premises, Premises.id == GasUser.premises_id)
        .join(GasBinding, sa.and_(GasBinding.gas_user_id == GasUser.id, GasBinding.user_id == user.id))
        .outerjoin(User, User.id == GasVisit.inspector_id)
        .where(GasVisit.state == "applied").order_by(GasVisit.finished_at.desc(), GasVisit.id.desc())
        .limit(VISITS_SHOWN)).all()
    found = _hazards_of([r.GasVisit.id for r in rows], base_url)
    base = base_url.rstrip("/")
    made = [{"state": "visited", "task_id": v.task_id, "visit_id": v.id, "kind": r.kind, "number": r.number,
             "address": r.address, "inspector": r.inspector or None, "due_on": None, "booked_for": None,
             "booked_slot": None, "visited_at": v.finished_at, "outcome": v.outcome,
             "record_url": f"{base}/gas/visits/{v.id}/record", "hazards": found.get(v.id, []), "rating": v.rating,
             "may_rate": _may_rate(v)} for r in rows for v in (r.GasVisit,)]
    return planned + made


def _hazards_of(visit_ids: list[int], base_url: str) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = {}
    if not visit_ids:
        return out
    base = base_url.rstrip("/")
    for hazard, version in Session.execute(
            sa.select(GasHazard, GasVisit.checklist_version).join(GasVisit, GasVisit.id == GasHazard.visit_id)
            .where(GasHazard.visit_id.in_(visit_ids)).order_by(GasHazard.id)):
        item = checklist.load(version).get(hazard.item_code)
        out.setdefault(hazard.visit_id, []).append({
            "id": hazard.id, "title": item.title if item else hazard.item_code,
            "level_name": checklist.LEVEL_NAMES[hazard.level], "deadline_on": hazard.deadline_on,
            "status": hazard.status, "notice_url": f"{base}/gas/hazards/{hazard.id}/notice"})
    return out


def _may_rate(visit: GasVisit) -> bool:
    return visit.state == "applied" and visit.outcome != "nobody_home" and visit.rating is None


def rate(user: User, visit_id: int, score: int, comment: str | None) -> GasVisit:
    """The resident rates an applied visit at a gas user they bound (a whole 1–5 `score`, as reports are), once."""
    visit = Session.get(GasVisit, visit_id, with_for_update=True)
    if visit is None or visit.state != "applied" or visit.outcome == "nobody_home" or \
            Session.get(GasBinding, (visit.gas_user_id, user.id)) is None:
        raise errors.VisitNotFound()
    if visit.rating is not None:
        raise errors.AlreadyRated()
    visit.rating, visit.rating_comment, visit.rated_at = score, comment, utcnow()
    record("gas_visit", visit.id, "gas_visit_rated", Actor("citizen", user.id), payload={"score": score})
    Session.flush()
    return visit


def notices(today: date, limit: int = 5000) -> int:
    """Tell the bound residents of each visit coming up — a booked one the day before, an unbooked one
    GAS_NOTICE_DAYS before it is due (not one already overdue: that date has passed) — once (claimed by an
    UPDATE … WHERE reminded_at IS NULL); returns how many tasks. A send spends one of the resident's accepted
    subscriptions, as every subscribe message does."""
    config = get_config()
    soon = sa.or_(GasTask.booked_for == today + timedelta(days=1),
                  sa.and_(GasTask.booked_for.is_(None), GasTask.due_on >= today,
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
