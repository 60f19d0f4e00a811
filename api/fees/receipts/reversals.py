"""After a refund: the receipts that covered the refunded bill are reversed (红冲: the platform's red document,
rendered and stored) and re-issued for what is left (after a cancel nothing is left of the bill's period: a
receipt that covered only it is not re-issued) — one job per refund, idempotent (the platform's request ids
are the receipts': a retried job gets the same red documents back)."""

from __future__ import annotations

import sqlalchemy as sa

from api import jobs
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.fees import staff
from api.fees.models import Bill, BillLine, FeeItem, Receipt, Refund
from api.fees.receipts import issuer
from api.fees.receipts import service as receipts
from api.media.storage import get_storage
from api.notifications import inbox
from api.outbox import service as outbox


def after_refund(refund_id: int) -> int:
    """Reverse and re-issue the refunded bill's receipts; returns how many were reversed (IssuerUnavailable
    propagates: the job is retried, nothing is half-done here)."""
    refund = Session.get(Refund, refund_id)
    if refund is None or refund.status != "succeeded" or refund.bill_id is None:
        return 0
    bill = Session.get(Bill, refund.bill_id)
    lines = [(line.item_code, line.amount_fen) for line in Session.scalars(
        sa.select(BillLine).where(BillLine.bill_id == bill.id, BillLine.amount_fen > 0).order_by(BillLine.item_code))]
    kinds = dict(Session.execute(sa.select(FeeItem.code, FeeItem.receipt_kind)).all())
    if refund.kind == "cancel":  # the bill's whole payment by this order: nothing of its period stays on a receipt
        shares = dict.fromkeys((code for code, _ in lines), refund.amount_fen)
    else:
        shares = dict(receipts.split(refund.amount_fen, lines))  # the refund over the bill's lines, to the fen
    period, reversed_ = bill.period.strftime("%Y-%m"), 0
    current = Session.scalars(sa.select(Receipt).where(
        Receipt.order_id == refund.order_id, Receipt.account_id == bill.account_id,
        Receipt.status.in_(("awaiting_issue", "issued"))).order_by(Receipt.id).with_for_update())
    for receipt in current:
        items, taken = _less(receipt.items, period, {i: f for i, f in shares.items() if kinds[i] == receipt.kind})
        if not taken:
            continue
        if receipt.status == "awaiting_issue":  # not numbered yet: it is simply issued for what is left
            receipt.items, receipt.amount_fen = items, sum(i["amount_fen"] for i in items)
            if receipt.amount_fen == 0:
                receipt.status = "cancelled"
            record("fee_receipt", receipt.id, "receipt_reduced", Actor.system(), payload={"refund_id": refund.id})
            continue
        _reverse(receipt, refund)
        reversed_ += 1
        if sum(i["amount_fen"] for i in items):
            again = Receipt(order_id=receipt.order_id, account_id=receipt.account_id, kind=receipt.kind,
                            generation=receipt.generation + 1, replaces_id=receipt.id, payer_name=receipt.payer_name,
                            items=items, amount_fen=sum(i["amount_fen"] for i in items), status="awaiting_issue",
                            created_at=utcnow())
            Session.add(again)
            Session.flush()
            outbox.add(jobs.ISSUE_RECEIPT(again.id))
    Session.flush()
    return reversed_


def give_up(refund_id: int, error: str) -> None:
    """The reversal job's last try failed (the platform away for its whole retry window, or a platform fault such as
    a red number another document holds): the refund keeps its money, its receipt is not reversed — recorded on the
    refund and told to the billing heads of the bill's street, who take it up with the issuing platform."""
    refund = Session.get(Refund, refund_id)
    if refund is None:
        return
    record("fee_refund", refund.id, "receipt_reversal_failed", Actor.system(), reason=error[:500])
    bill = Session.get(Bill, refund.bill_id) if refund.bill_id else None
    inbox.notify(staff.billing_heads([bill.street_code] if bill is not None else None), "fee_reversal_failed",
                 "fee_refund", refund.id, f"退款{refund.out_refund_no}的票据未能冲红，请与票据平台核查后重试",
                 flagged=True)


def _less(items: list[dict], period: str, shares: dict[str, int]) -> tuple[list[dict], int]:
    """The items with the refund's share taken off the bill's period, and how much was taken."""
    out, taken = [], 0
    for item in items:
        share = shares.get(item["item"], 0) if item["period"] == period else 0
        share = min(share, item["amount_fen"])
        taken += share
        if item["amount_fen"] - share:
            out.append(dict(item, amount_fen=item["amount_fen"] - share))
    return out, taken


def _reverse(receipt: Receipt, refund: Refund) -> None:
    red = issuer.reverse(request_id=f"reversal-{receipt.id}", code=receipt.doc_code, number=receipt.doc_number,
                         reason=f"退款 {refund.out_refund_no}")
    holder = receipts.hold(red["code"], red["number"], receipt.id, "reversal")
    if holder is not None:  # a platform fault: the same request id gets the same number back, so nothing is kept
        raise issuer.NumberHeld(f"reversal of receipt {receipt.id}: platform gave {red['code']}-{red['number']}, "
                                f"already held by {holder}")
    receipt.reversal_code, receipt.reversal_number = red["code"], red["number"]
    pdf = receipts.render(receipt, red=red)
    receipt.reversal_pdf_key = f"receipts/{receipt.id}-{red['code']}-{red['number']}-red.pdf"
    get_storage().put(receipt.reversal_pdf_key, pdf, "application/pdf")
    receipt.status, receipt.reversed_at = "reversed", utcnow()
    record("fee_receipt", receipt.id, "receipt_reversed", Actor.system(), from_state="issued", to_state="reversed",
           reason=refund.reason, payload={"refund_id": refund.id, "red": f"{red['code']}-{red['number']}"})
