"""Paying bills: the JSAPI prepay, settlement (from a notify or a query), cancelling, and the sweep that asks
WeChat about orders whose notify is late or lost.

A bill is locked into at most one live order (`bills.live_order_id`, set under the bill's row lock); the lock is
released when the order is paid, closed, or its time_expire passes. Settlement is one transaction: the order
paid, each bill credited with its item, one ledger entry, the receipts job in the outbox, events. Settling twice
(a duplicate notify, a notify and a query racing) finds the order paid and does nothing. A payment by another
WeChat user than the order's is settled all the same (the money has moved; WeChat would repeat a refused notify for
a day) and flagged on the order for the billing head.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from api import jobs
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.fees import errors, staff
from api.fees.billing import accounts
from api.fees.models import Bill, BillLine, FeeAccount, FeeItem, LedgerEntry, OrderItem, PayOrder, Refund
from api.fees.payments.notice_schemas import TransactionNoticeSchema
from api.identity.models import User
from api.notifications import inbox
from api.outbox import service as outbox
from api.wechatpay import errors as pay_errors
from api.wechatpay.client import DESCRIPTION_BYTES, fit_utf8, get_pay_client

log = logging.getLogger(__name__)
PAYABLE = ("unpaid", "partly_paid")
MAX_BILLS_PER_ORDER = 24


def new_out_trade_no(now: datetime) -> str:
    return f"SF{now:%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}"  # 26 characters, [0-9A-Z]


def bills_of(user_id: int, status: str | None = None) -> list[Bill]:
    query = sa.select(Bill).where(Bill.account_id.in_(accounts.bound_account_ids(user_id)))
    if status == "payable":
        query = query.where(Bill.status.in_(PAYABLE))
    elif status:
        query = query.where(Bill.status == status)
    return list(Session.scalars(query.order_by(Bill.period.desc(), Bill.id).limit(120)))


def with_lines(bills: list[Bill]) -> list[Bill]:
    """The bills with `.lines` set (one query for all of them), each line with its item's name (生活垃圾处理费)."""
    lines: dict[int, list[BillLine]] = {}
    if bills:
        names = dict(Session.execute(sa.select(FeeItem.code, FeeItem.name)).all())
        for line in Session.scalars(sa.select(BillLine).where(BillLine.bill_id.in_([b.id for b in bills]))
                                    .order_by(BillLine.item_code)):
            line.item_name = names.get(line.item_code, line.item_code)
            lines.setdefault(line.bill_id, []).append(line)
    for bill in bills:
        bill.lines = lines.get(bill.id, [])
    return bills


def _description(first_period: str, count: int) -> str:
    """What the payer's WeChat shows for the order: at most WeChat's 127 UTF-8 bytes."""
    return fit_utf8(f"白云区生活垃圾处理费 {first_period}" + (f" 等{count}笔" if count > 1 else ""), DESCRIPTION_BYTES)


def _live(bill: Bill, now: datetime) -> PayOrder | None:
    if bill.live_order_id is None:
        return None
    order = Session.get(PayOrder, bill.live_order_id)
    return order if order is not None and order.status == "pending" and order.time_expire > now else None


def prepay(user: User, bill_ids: list[int]) -> tuple[PayOrder, dict]:
    """One order for the chosen bills' outstanding amounts → wx.requestPayment's signed parameters."""
    now, config = utcnow(), get_config()
    mine = accounts.bound_account_ids(user.id)
    bills = list(Session.scalars(sa.select(Bill).where(Bill.id.in_(bill_ids)).order_by(Bill.id).with_for_update()))
    if len(bills) != len(set(bill_ids)) or any(b.account_id not in mine for b in bills):
        raise errors.BillNotFound(details={"bill_ids": sorted(set(bill_ids) - {b.id for b in bills
                                                                               if b.account_id in mine})})
    unpayable = [b.id for b in bills if b.status not in PAYABLE or b.outstanding_fen <= 0]
    if unpayable:
        raise errors.BillNotPayable(details={"bill_ids": unpayable})
    locked = {b.id: b.live_order_id for b in bills if _live(b, now) is not None}
    if locked:
        raise errors.BillLocked(details={"bills": [{"bill_id": k, "order_id": v} for k, v in locked.items()]})
    total = sum(b.outstanding_fen for b in bills)
    periods = sorted({b.period.strftime("%Y-%m") for b in bills})
    order = PayOrder(out_trade_no=new_out_trade_no(now), user_id=user.id, openid=user.openid, amount_fen=total,
                     description=_description(periods[0], len(bills)),
                     time_expire=now + timedelta(seconds=config.PAY_ORDER_TTL_S), created_at=now)
    Session.add(order)
    Session.flush()
    for bill in bills:
        Session.add(OrderItem(order_id=order.id, bill_id=bill.id, amount_fen=bill.outstanding_fen))
        bill.live_order_id = order.id
    client = _client()
    try:
        order.prepay_id = client.prepay(out_trade_no=order.out_trade_no, description=order.description,
                                        amount_fen=total, openid=user.openid, time_expire=order.time_expire,
                                        attach=str(order.id))
    except pay_errors.PayUnavailable as exc:
        raise errors.PaymentsUnavailable(retry_after=5) from exc
    except pay_errors.PayRefused as exc:
        raise errors.PaymentRefused(details={"wechat_code": exc.code, "wechat_message": exc.message}) from exc
    record("fee_order", order.id, "order_created", Actor("citizen", user.id), to_state="pending",
           payload={"out_trade_no": order.out_trade_no, "amount_fen": total, "bills": [b.id for b in bills]})
    Session.flush()
    return order, client.payment_params(order.prepay_id)


def _client():
    try:
        return get_pay_client()
    except pay_errors.PayNotConfigured as exc:
        raise errors.PaymentsUnavailable(str(exc)) from exc


def order_of(user: User, order_id: int) -> PayOrder:
    order = Session.get(PayOrder, order_id)
    if order is None or order.user_id != user.id:
        raise errors.OrderNotFound()
    return order


def payment_params(user: User, order_id: int) -> dict:
    """The parameters again for a pending, unexpired order (the citizen closed the payment sheet)."""
    order = order_of(user, order_id)
    if order.status != "pending" or order.time_expire <= utcnow() or not order.prepay_id:
        raise errors.OrderNotPending()
    return _client().payment_params(order.prepay_id)


def cancel(user: User, order_id: int) -> PayOrder:
    """Close the order at WeChat and release its bills; if WeChat says it was paid meanwhile, settle it."""
    order = Session.get(PayOrder, order_of(user, order_id).id, with_for_update=True, populate_existing=True)
    if order.status != "pending":
        raise errors.OrderNotPending()
    try:
        closed = _client().close(order.out_trade_no)
    except pay_errors.PayError as exc:
        raise errors.PaymentsUnavailable(retry_after=5) from exc
    if not closed:
        found = _client().query(order.out_trade_no)
        if found and not check_transaction(order, found):
            settle(found, source="query")
        return order
    _close(order, Actor("citizen", user.id), "cancelled by the payer")
    return order


def _close(order: PayOrder, actor: Actor, reason: str) -> None:
    order.status, order.closed_at = "closed", utcnow()
    Session.execute(sa.update(Bill).where(Bill.live_order_id == order.id).values(live_order_id=None))
    record("fee_order", order.id, "order_closed", actor, from_state="pending", to_state="closed", reason=reason)
    Session.flush()


def settle(transaction: dict, *, source: str, locked: PayOrder | None = None) -> PayOrder | None:
    """WeChat says this order is paid (a verified notify or our own query). Idempotent; the caller has checked
    appid, mchid and the amount against the order (and may pass it `locked` FOR UPDATE already). Money for an
    order we had closed is held or refunded."""
    order = locked or Session.scalar(sa.select(PayOrder).where(PayOrder.out_trade_no == transaction["out_trade_no"])
                                     .with_for_update())
    if order is None or order.status in ("paid", "paid_after_close"):
        return order
    paid_at = _parse_time(transaction.get("success_time")) or utcnow()
    order.transaction_id, order.paid_at = transaction.get("transaction_id"), paid_at
    _note_payer(order, transaction, source)
    Session.add(LedgerEntry(key=f"pay:{order.out_trade_no}", kind="payment", order_id=order.id,
                            amount_fen=order.amount_fen, occurred_at=paid_at))
    if order.status == "closed":
        return _paid_after_close(order, source)
    items = Session.execute(sa.select(OrderItem, Bill).join(Bill, Bill.id == OrderItem.bill_id)
                            .where(OrderItem.order_id == order.id).order_by(Bill.id).with_for_update(of=Bill)).all()
    if any(bill.live_order_id not in (None, order.id) or bill.outstanding_fen < item.amount_fen
           for item, bill in items):
        # paid as its time ran out while the bills went into a newer order: the money is not owed any more
        return _paid_after_close(order, source)
    previous, order.status = order.status, "paid"
    for item, bill in items:
        bill.paid_fen = min(bill.amount_fen, bill.paid_fen + item.amount_fen)
        bill.status = bill_status(bill)
        if bill.live_order_id == order.id:
            bill.live_order_id = None
        record("fee_bill", bill.id, "bill_paid", Actor.system(), to_state=bill.status,
               payload={"order_id": order.id, "amount_fen": item.amount_fen})
    record("fee_order", order.id, "order_paid", Actor.system(), from_state=previous, to_state="paid",
           payload={"transaction_id": order.transaction_id, "source": source, "amount_fen": order.amount_fen})
    outbox.add(jobs.PREPARE_RECEIPTS(order.id))
    Session.flush()
    return order


def _note_payer(order: PayOrder, transaction: dict, source: str) -> None:
    """Keep the payer WeChat names; another than the order's is flagged for the billing head (an event, a notice)."""
    payer = transaction.get("payer")
    openid = payer.get("openid") if isinstance(payer, dict) and isinstance(payer.get("openid"), str) else None
    order.paid_openid = openid[:64] if openid else None
    if not openid or openid == order.openid:
        return
    order.flag, order.flagged_at = "payer_differs", utcnow()
    record("fee_order", order.id, "order_flagged", Actor.system(), reason="payer differs from the order's",
           payload={"flag": "payer_differs", "source": source, "order_openid": order.openid,
                    "payer_openid": order.paid_openid})
    streets = sa.select(Bill.street_code).join(OrderItem, OrderItem.bill_id == Bill.id).where(
        OrderItem.order_id == order.id)
    inbox.notify(staff.billing_heads(streets), "fee_order_flagged", "fee_order", order.id,
                 f"缴费订单{order.out_trade_no}的付款人与下单人不一致（已入账），请核查")
    log.warning("payment by another payer than the order's", extra={"order_id": order.id, "source": source})


def flagged(user: User, limit: int = 200) -> list[PayOrder]:
    """Flagged orders, newest first; a street's staff see those that paid a bill of their street."""
    query = sa.select(PayOrder).where(PayOrder.flag.is_not(None))
    if user.scope_division_code is not None:
        query = query.where(sa.exists(sa.select(OrderItem.bill_id).join(Bill, Bill.id == OrderItem.bill_id).where(
            OrderItem.order_id == PayOrder.id, Bill.street_code == user.scope_division_code)))
    return list(Session.scalars(query.order_by(PayOrder.flagged_at.desc(), PayOrder.id.desc()).limit(limit)))


def bill_status(bill: Bill) -> str:
    if bill.amount_fen == 0:
        return "nothing_due"
    if bill.paid_fen >= bill.amount_fen:
        return "paid"
    return "partly_paid" if bill.paid_fen > 0 else "unpaid"


def _paid_after_close(order: PayOrder, source: str) -> PayOrder:
    """The payer paid as we closed (or as the order expired and its bills went into another): the money is in the
    ledger, no bill is credited. Refunded at once, or held for billing staff (PAY_PAID_AFTER_CLOSE)."""
    previous, order.status = order.status, "paid_after_close"
    Session.execute(sa.update(Bill).where(Bill.live_order_id == order.id).values(live_order_id=None))
    record("fee_order", order.id, "order_paid_after_close", Actor.system(), from_state=previous,
           to_state="paid_after_close", payload={"transaction_id": order.transaction_id, "source": source})
    if get_config().PAY_PAID_AFTER_CLOSE == "refund":
        refund = Refund(out_refund_no=f"RF{order.out_trade_no[2:]}A", order_id=order.id, bill_id=None,
                        amount_fen=order.amount_fen, kind="cancel", reason="订单关闭后支付，自动退款",
                        status="approved", decided_at=utcnow())
        Session.add(refund)
        Session.flush()
        record("fee_refund", refund.id, "refund_approved", Actor.system(), to_state="approved",
               reason="paid after the order was closed")
        outbox.add(jobs.SUBMIT_REFUND(refund.id))
    Session.flush()
    return order


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def transaction_problem(transaction) -> str | None:
    """Why what WeChat sent is not a transaction we can read (fields of the wrong kind): None when it is one."""
    found = TransactionNoticeSchema().validate(transaction) if isinstance(transaction, dict) else {"_": "not an object"}
    return f"malformed transaction: {', '.join(sorted(found))}" if found else None


def check_transaction(order: PayOrder | None, transaction: dict) -> str | None:
    """Why a transaction WeChat reports cannot settle this order (None: it can)."""
    config = get_config()
    malformed = transaction_problem(transaction)
    if malformed:
        return malformed
    if order is None:
        return "unknown out_trade_no"
    if transaction.get("appid") != config.WECHAT_APPID or transaction.get("mchid") != config.WECHATPAY_MCHID:
        return "appid or mchid differs"
    if (transaction.get("amount") or {}).get("total") != order.amount_fen:
        return f"amount {(transaction.get('amount') or {}).get('total')} differs from the order's {order.amount_fen}"
    if transaction.get("trade_state") != "SUCCESS":
        return f"trade_state {transaction.get('trade_state')}"
    return None


# -- the sweep: lost or late notifies, expired orders ---------------------------------------------------------
def stale_pending(now: datetime, limit: int = 200) -> list[int]:
    after = now - timedelta(seconds=get_config().PAY_QUERY_AFTER_S)
    return list(Session.scalars(sa.select(PayOrder.id).where(PayOrder.status == "pending",
                                                            PayOrder.created_at <= after)
                                .order_by(PayOrder.created_at).limit(limit)))


def reconcile_order(order_id: int) -> str:
    """Ask WeChat about one pending order: settle it, close it when expired, or leave it. Returns what happened."""
    order = Session.get(PayOrder, order_id, with_for_update=True)
    if order is None or order.status != "pending":
        return "gone"
    client = get_pay_client()
    found = client.query(order.out_trade_no)
    state = (found or {}).get("trade_state")
    if state in ("SUCCESS", "REFUND"):
        problem = check_transaction(order, dict(found, trade_state="SUCCESS"))
        if problem:
            log.error("query disagrees with the order", extra={"order_id": order.id, "problem": problem})
            return "mismatch"
        settle(found, source="query")
        return "settled"
    if found is None or state in ("CLOSED", "REVOKED", "PAYERROR") or order.time_expire <= utcnow():
        if state not in ("CLOSED", "REVOKED") and found is not None and not client.close(order.out_trade_no):
            return "paid meanwhile"  # the next sweep (or the notify) settles it
        _close(order, Actor.system(), "expired unpaid" if state != "CLOSED" else "closed at WeChat")
        return "closed"
    return "waiting"


def payer_accounts(order_id: int) -> list[tuple[FeeAccount, int]]:
    """The accounts an order paid for, with the amount each."""
    return list(Session.execute(sa.select(FeeAccount, sa.func.sum(OrderItem.amount_fen))
                                .join(Bill, Bill.account_id == FeeAccount.id)
                                .join(OrderItem, OrderItem.bill_id == Bill.id)
                                .where(OrderItem.order_id == order_id).group_by(FeeAccount.id)
                                .order_by(FeeAccount.id)).all())
