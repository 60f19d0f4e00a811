"""Bill reminders by subscribe message: "due soon" before the due date, "overdue" after it — at most one per
bill per stage (claimed by an atomic UPDATE … WHERE reminded_<stage>_at IS NULL), to every user bound to the
account; only open bills (a bill an overcharge or exemption refund lowered stays settled and is never reminded),
and after a cancel refund the payers are told the bill is owed again. WeChat's rules hold: a send spends one of
the user's accepted subscriptions (none left: the notification ends `no_quota`, the bill still counts as
reminded), and every value is fitted to its keyword's rule."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.fees.models import AccountBinding, Bill, FeeAccount
from api.notifications import service as notifications
from api.notifications.templates import BILL_REMINDER_KEYS

STAGES = ("due", "overdue")
REMARKS = {"due": "本期环卫费即将到期，请及时缴纳", "overdue": "本期环卫费已逾期，请尽快缴纳",
           "owed_again": "已撤销缴费并退款，本期环卫费需重新缴纳"}
BATCH = 1000


def remind(stage: str, today: date, *, street_code: str | None = None, actor: Actor | None = None,
           limit: int = 20_000) -> int:
    """Queue the stage's reminders for the bills that have not had one; returns how many bills were reminded."""
    config = get_config()
    column = Bill.reminded_due_at if stage == "due" else Bill.reminded_overdue_at
    query = sa.select(Bill.id).where(Bill.status.in_(("unpaid", "partly_paid")), column.is_(None))
    if stage == "due":
        query = query.where(Bill.due_date >= today,
                            Bill.due_date <= today + timedelta(days=config.BILL_REMIND_DAYS_BEFORE))
    else:
        query = query.where(Bill.due_date < today)
    if street_code:
        query = query.where(Bill.street_code == street_code)
    candidates = list(Session.scalars(query.order_by(Bill.due_date, Bill.id).limit(limit)))
    reminded = 0
    for start in range(0, len(candidates), BATCH):
        claimed = Session.execute(sa.update(Bill).where(Bill.id.in_(candidates[start:start + BATCH]), column.is_(None))
                                  .values({column.key: utcnow()}).returning(Bill.id)).scalars().all()
        reminded += _send(stage, claimed, config.TEMPLATE_BILL_REMINDER)
    if actor is not None and actor.type == "staff":
        record("fee_reminders", 0, "batch_reminder", actor, payload={"stage": stage, "street": street_code,
                                                                     "bills": reminded})
    Session.flush()
    return reminded


def _send(stage: str, bill_ids: list[int], template_id: str) -> int:
    if not bill_ids:
        return 0
    rows = Session.execute(sa.select(Bill, FeeAccount.number, AccountBinding.user_id)
                           .join(FeeAccount, FeeAccount.id == Bill.account_id)
                           .join(AccountBinding, sa.and_(AccountBinding.account_id == Bill.account_id,
                                                         AccountBinding.unbound_at.is_(None)))
                           .where(Bill.id.in_(bill_ids)).order_by(Bill.id)).all()
    for bill, number, user_id in rows:
        _queue(bill, number, user_id, template_id, REMARKS[stage])
    return len(bill_ids)


def owed_again(bill: Bill) -> int:
    """A cancel refund gave the bill's payment back: every user bound to the account is told it is owed again
    (the same template as the reminders; their stamps are left as they are). Returns how many were told."""
    rows = Session.execute(sa.select(FeeAccount.number, AccountBinding.user_id)
                           .join(AccountBinding, sa.and_(AccountBinding.account_id == FeeAccount.id,
                                                         AccountBinding.unbound_at.is_(None)))
                           .where(FeeAccount.id == bill.account_id).order_by(AccountBinding.user_id)).all()
    for number, user_id in rows:
        _queue(bill, number, user_id, get_config().TEMPLATE_BILL_REMINDER, REMARKS["owed_again"])
    return len(rows)


def _queue(bill: Bill, number: str, user_id: int, template_id: str, remark: str) -> None:
    values = dict(zip(BILL_REMINDER_KEYS, (number, f"生活垃圾处理费 {bill.period:%Y-%m}",
                                           f"{bill.outstanding_fen // 100}.{bill.outstanding_fen % 100:02d}元",
                                           f"{bill.due_date.year}年{bill.due_date.month}月{bill.due_date.day}日",
                                           remark), strict=True))
    notifications.queue(user_id=user_id, template_id=template_id, subject=("fee_bill", bill.id), values=values,
                        page=f"pages/fees/bill?id={bill.id}")
