"""Refunds: requested by a billing clerk, approved by a billing head who is not the requester, sent to WeChat by a
job, settled by WeChat's refund notify or by a query. A settled refund writes one negative ledger entry and does to
its bill what its kind says: an overcharge or exemption lowers the amount due with the money (the bill stays
settled; its receipt is re-issued for the new amount), a cancel gives the bill's whole payment back (the bill is
owed again, its payers are told, its receipt is reversed and not re-issued for it)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa

from api import jobs
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.fees import errors
from api.fees.billing import accounts, reminders
from api.fees.models import ADJUSTING_REFUNDS, Bill, LedgerEntry, OrderItem, PayOrder, Refund
from api.fees.payments import orders
from api.identity.models import User
from api.identity.names import staff_names
from api.outbox import service as outbox
from api.wechatpay import errors as pay_errors
from api.wechatpay.client import get_pay_client

log = logging.getLogger(__name__)
SPENT = ("requested", "approved", "processing", "succeeded")  # what counts against an item's refundable amount


def refundable(order_id: int, bill_id: int) -> int:
    item = Session.get(OrderItem, (order_id, bill_id))
    if item is None:
        return 0
    taken = Session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_fen), 0)).where(
        Refund.order_id == order_id, Refund.bill_id == bill_id, Refund.status.in_(SPENT)))
    return item.amount_fen - int(taken)


def request(actor: User, bill_id: int, amount_fen: int, kind: str, reason: str) -> Refund:
    """A refund request of one kind (REFUND_KINDS): an overcharge or exemption only on a settled bill, a cancel
    of exactly what one paid order paid for the bill and has not refunded (its whole payment)."""
    bill = Session.get(Bill, bill_id, with_for_update=True)
    if bill is None or not accounts.in_scope(actor, bill.street_code):
        raise errors.BillNotFound()
    if kind in ADJUSTING_REFUNDS and bill.status != "paid":
        raise errors.BillNotSettled(details={"status": bill.status})
    paid_orders = list(Session.scalars(sa.select(PayOrder.id).join(OrderItem, OrderItem.order_id == PayOrder.id)
                                       .where(OrderItem.bill_id == bill.id, PayOrder.status == "paid")
                                       .order_by(PayOrder.id.desc())))
    options = [(order_id, refundable(order_id, bill.id)) for order_id in paid_orders]
    if kind == "cancel":
        order_id = _whole_payment(options, amount_fen)
    else:
        order_id = next((o for o, left in options if left >= amount_fen), None)
    if order_id is None or amount_fen > bill.paid_fen:
        raise errors.RefundTooLarge(details={"refundable_fen": min(bill.paid_fen, max((left for _, left in options),
                                                                                      default=0))})
    refund = Refund(out_refund_no=f"RF{utcnow():%Y%m%d%H%M%S}{secrets.token_hex(5).upper()}", order_id=order_id,
                    bill_id=bill.id, amount_fen=amount_fen, kind=kind, reason=reason, requested_by=actor.id)
    Session.add(refund)
    Session.flush()
    record("fee_refund", refund.id, "refund_requested", Actor("staff", actor.id), to_state="requested",
           reason=reason, payload={"bill_id": bill.id, "order_id": order_id, "amount_fen": amount_fen, "kind": kind})
    return named([refund])[0]


def _whole_payment(options: list[tuple[int, int]], amount_fen: int) -> int | None:
    """The paid order whose unrefunded payment for the bill is exactly `amount_fen` (a cancel takes it whole)."""
    order_id = next((o for o, left in options if left == amount_fen), None)
    if order_id is None and any(left > amount_fen for _, left in options):
        raise errors.CancelNotWhole(details={"refundable_fen": max(left for _, left in options)})
    return order_id


def for_staff(actor: User, refund_id: int) -> Refund:
    refund = Session.get(Refund, refund_id)
    bill = Session.get(Bill, refund.bill_id) if refund is not None and refund.bill_id else None
    if refund is None or (bill is not None and not accounts.in_scope(actor, bill.street_code)) or (
            bill is None and actor.scope_division_code is not None):
        raise errors.RefundNotFound()
    return refund


def decide(actor: User, refund_id: int, approve: bool, reason: str) -> Refund:
    refund = for_staff(actor, refund_id)
    Session.refresh(refund, with_for_update=True)
    if refund.status != "requested":
        raise errors.AlreadyDecided()
    if refund.requested_by == actor.id:
        raise errors.OwnRequest()
    refund.status, refund.approved_by, refund.decided_at = ("approved" if approve else "rejected"), actor.id, utcnow()
    record("fee_refund", refund.id, "refund_approved" if approve else "refund_rejected", Actor("staff", actor.id),
           from_state="requested", to_state=refund.status, reason=reason)
    if approve:
        outbox.add(jobs.SUBMIT_REFUND(refund.id))
    Session.flush()
    return named([refund])[0]


def submit(refund_id: int) -> str:
    """The job: ask WeChat to refund (the same out_refund_no however often, so a retry never refunds twice)."""
    refund = Session.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.status != "approved":
        return "gone"
    order = Session.get(PayOrder, refund.order_id)
    try:
        answer = get_pay_client().refund(out_refund_no=refund.out_refund_no, out_trade_no=order.out_trade_no,
                                         refund_fen=refund.amount_fen, total_fen=order.amount_fen,
                                         reason=refund.reason)
    except pay_errors.PayRefused as exc:
        refund.status, refund.last_error = "closed", f"{exc.code}: {exc.message}"[:500]
        record("fee_refund", refund.id, "refund_refused", Actor.system(), from_state="approved", to_state="closed",
               reason=refund.last_error)
        return "refused"
    refund.status, refund.refund_id = "processing", answer.get("refund_id")
    record("fee_refund", refund.id, "refund_submitted", Actor.system(), from_state="approved",
           to_state="processing", payload={"refund_id": refund.refund_id})
    if answer.get("status") in ("SUCCESS", "CLOSED", "ABNORMAL"):
        _apply(refund, answer)
    Session.flush()
    return "submitted"


def settle_from_wechat(resource: dict) -> str | None:
    """A refund notify's resource; None when applied (or already), else why it cannot be."""
    refund = Session.scalar(sa.select(Refund).where(Refund.out_refund_no == str(resource.get("out_refund_no")))
                            .with_for_update())
    if refund is None:
        return "unknown out_refund_no"
    if (resource.get("amount") or {}).get("refund") != refund.amount_fen:
        return f"refund amount {(resource.get('amount') or {}).get('refund')} differs from {refund.amount_fen}"
    _apply(refund, dict(resource, status=resource.get("refund_status")))
    return None


def _apply(refund: Refund, answer: dict) -> None:
    status = answer.get("status")
    if refund.status in ("succeeded", "closed", "abnormal") or status not in ("SUCCESS", "CLOSED", "ABNORMAL"):
        return
    before = refund.status
    if status != "SUCCESS":
        refund.status, refund.last_error = status.lower(), f"WeChat: {status}"
        record("fee_refund", refund.id, "refund_failed", Actor.system(), from_state=before, to_state=refund.status)
        return
    when = orders._parse_time(answer.get("success_time")) or utcnow()
    refund.status, refund.settled_at = "succeeded", when
    Session.add(LedgerEntry(key=f"refund:{refund.out_refund_no}", kind="refund", order_id=refund.order_id,
                            refund_id=refund.id, amount_fen=-refund.amount_fen, occurred_at=when))
    if refund.bill_id is not None:
        _take_off_bill(refund)
    record("fee_refund", refund.id, "refund_succeeded", Actor.system(), from_state=before, to_state="succeeded")
    if refund.bill_id is not None:
        outbox.add(jobs.REVERSE_RECEIPTS(refund.id))  # its receipts: 红冲 and re-issue for what is left
    Session.flush()


def _take_off_bill(refund: Refund) -> None:
    """The money leaves the bill; an overcharge or exemption takes it off the amount due too (the bill stays
    settled), a cancel leaves the bill owing it again and tells its payers so."""
    bill = Session.get(Bill, refund.bill_id, with_for_update=True)
    before_status, before_amount = bill.status, bill.amount_fen
    bill.paid_fen -= refund.amount_fen
    if refund.kind in ADJUSTING_REFUNDS:
        bill.amount_fen -= refund.amount_fen
        bill.adjusted_fen += refund.amount_fen
        if refund.kind == "exemption":
            bill.exempted_fen += refund.amount_fen
    bill.status = orders.bill_status(bill)
    record("fee_bill", bill.id, "bill_refunded", Actor.system(), from_state=before_status, to_state=bill.status,
           payload={"refund_id": refund.id, "amount_fen": refund.amount_fen, "kind": refund.kind,
                    "amount_before_fen": before_amount, "amount_after_fen": bill.amount_fen})
    if refund.kind == "cancel" and bill.outstanding_fen > 0:
        reminders.owed_again(bill)


def stale(now: datetime, limit: int = 200) -> list[int]:
    """Refunds WeChat has not confirmed PAY_QUERY_AFTER_S after approval: processing (the notify is late or lost)
    or still approved (the submit job ran out of retries while WeChat was away)."""
    return list(Session.scalars(sa.select(Refund.id).where(
        Refund.status.in_(("approved", "processing")),
        Refund.decided_at <= now - timedelta(seconds=get_config().PAY_QUERY_AFTER_S))
        .order_by(Refund.id).limit(limit)))


def follow_up(refund_id: int) -> str:
    """The sweep's step for one stale refund: submit it again (the same out_refund_no: never twice) or ask."""
    refund = Session.get(Refund, refund_id, with_for_update=True)
    if refund is None or refund.status not in ("approved", "processing"):
        return "gone"
    if refund.status == "approved":
        return "refund " + submit(refund_id)
    found = get_pay_client().query_refund(refund.out_refund_no)
    if found:
        _apply(refund, found)
    return "refund " + refund.status


def listing(actor: User, status: str | None, kind: str | None = None) -> list[Refund]:
    query = sa.select(Refund).outerjoin(Bill, Bill.id == Refund.bill_id)
    if actor.scope_division_code is not None:
        query = query.where(Bill.street_code == actor.scope_division_code)
    if status:
        query = query.where(Refund.status == status)
    if kind:
        query = query.where(Refund.kind == kind)
    return named(list(Session.scalars(query.order_by(Refund.id.desc()).limit(200))))


def named(rows: list[Refund]) -> list[Refund]:
    """The refunds with who asked and who decided by name (`requested_by_name`, `decided_by_name`; None: the
    system, or nobody yet), looked up in one query."""
    names = staff_names([r.requested_by for r in rows] + [r.approved_by for r in rows])
    for row in rows:
        row.requested_by_name, row.decided_by_name = names.get(row.requested_by), names.get(row.approved_by)
    return rows
