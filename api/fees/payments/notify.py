"""WeChat Pay's notifies (payments and refunds): verify, decide, settle — and keep every refused one.

The answer is WeChat's contract, not the service's envelope: 204 when the notify is accepted or already handled
(WeChat stops sending); 4xx/5xx with {"code": "FAIL", "message"} when a retry may help (a stale timestamp — the
next attempt is signed afresh —, a bad signature, an unreadable body, our own failure). A genuine notify that
cannot settle its order (unknown order, amount, appid or mchid differing) is answered 204 after it is kept for
billing staff: WeChat would send the same data again, and a retry cannot make it right. A notify that cannot be read
(a body, resource or decrypted transaction of the wrong shape: verdict `malformed`) is answered 400 FAIL and kept.
Whatever else goes wrong here — our own failure — is answered 500 FAIL, never the service's envelope.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import sqlalchemy as sa

from api import metrics
from api.db import Session, insert_for, unit_of_work, utcnow
from api.fees.models import PayNotification, PayOrder
from api.fees.payments import orders, refunds
from api.fees.payments.notice_schemas import RefundNoticeSchema
from api.wechatpay import errors as pay_errors
from api.wechatpay.client import get_pay_client

log = logging.getLogger(__name__)
ACCEPTED, RETRY, KEPT = "accepted", "retry", "kept"


def receive(headers, body: bytes, *, kind: str) -> tuple[str, int]:
    """One notify from start to answer, in its own unit of work: (body, HTTP status) in WeChat's format whatever
    happens. Our own failure rolls back and answers 500 FAIL: WeChat sends the notify again later."""
    try:
        with unit_of_work():
            outcome, message = handle(headers, body, kind=kind)
    except Exception:  # noqa: BLE001 - the answer must stay WeChat's {"code": "FAIL"}, not the envelope
        log.exception("notify could not be handled", extra={"kind": kind})
        return json.dumps({"code": "FAIL", "message": "系统繁忙，请稍后重试"}, ensure_ascii=False), 500
    return answer(outcome, message)


def handle(headers, body: bytes, *, kind: str) -> tuple[str, str]:
    """(outcome, message) for one notify; `kind` is payment | refund (which URL it came to)."""
    try:
        notice = get_pay_client().parse_notify(headers, body)
    except pay_errors.NotifyRefused as exc:
        _keep(None, exc.verdict, exc.detail, headers, body, signed_at=exc.signed_at)
        return RETRY, exc.detail
    except pay_errors.PayNotConfigured:
        return RETRY, "WeChat Pay is not configured"
    resource = notice["resource"]
    signed_at = notice.get("_signed_at")
    event_type = str(notice.get("event_type", ""))
    malformed = _malformed(kind, event_type, resource)
    if malformed:  # genuine but unreadable: kept, and WeChat is told it failed (4xx), never a 500
        _keep(notice, "malformed", malformed, headers, body, signed_at=signed_at)
        return RETRY, malformed
    if kind == "payment" and event_type == "TRANSACTION.SUCCESS":
        problem = _settle_payment(resource)
    elif kind == "refund" and event_type.startswith("REFUND."):
        problem = refunds.settle_from_wechat(resource)
    else:
        problem = f"unexpected event {event_type!r} at the {kind} URL"
    if problem:
        _keep(notice, "mismatch", problem, headers, body, signed_at=signed_at)
        return KEPT, problem
    if not _keep(notice, "accepted", "", headers, body, signed_at=signed_at):
        # this notification id was accepted before: the settlement above found its work done and changed nothing
        _keep(notice, "duplicate", "already handled", headers, body, signed_at=signed_at)
        return ACCEPTED, "already handled"
    return ACCEPTED, "ok"


def _malformed(kind: str, event_type: str, resource: dict) -> str | None:
    """Why the decrypted resource cannot be read as what its event says it is (None: it can)."""
    if kind == "payment" and event_type == "TRANSACTION.SUCCESS":
        return orders.transaction_problem(resource)
    if kind == "refund" and event_type.startswith("REFUND."):
        found = RefundNoticeSchema().validate(resource)
        return f"malformed refund: {', '.join(sorted(found))}" if found else None
    return None


def _settle_payment(resource: dict) -> str | None:
    order = Session.scalar(sa.select(PayOrder).where(PayOrder.out_trade_no == str(resource.get("out_trade_no")))
                           .with_for_update())
    problem = orders.check_transaction(order, resource)
    if problem:
        log.error("payment notify does not match its order", extra={"problem": problem,
                                                                    "out_trade_no": resource.get("out_trade_no")})
        return problem
    orders.settle(resource, source="notify", locked=order)
    return None


def _keep(notice: dict | None, verdict: str, detail: str, headers, body: bytes, *, signed_at: int | None) -> bool:
    """Record the notify and its verdict; False when an `accepted` one with its id was recorded before."""
    resource = (notice or {}).get("resource") or {}
    values = dict(
        notification_id=str(notice.get("id"))[:64] if notice else None,
        event_type=str(notice.get("event_type"))[:32] if notice else None, verdict=verdict, detail=detail[:300],
        out_trade_no=str(resource["out_trade_no"])[:32] if resource.get("out_trade_no") else None,
        out_refund_no=str(resource["out_refund_no"])[:64] if resource.get("out_refund_no") else None,
        serial=(headers.get("Wechatpay-Serial") or "")[:64] or None,
        signed_at=_moment(signed_at),
        body=body[:8192].decode("utf-8", "replace"), received_at=utcnow())
    stmt = insert_for(PayNotification).values(**values)
    if verdict == "accepted":  # two deliveries of one notify racing: the second finds the first's row
        stmt = stmt.on_conflict_do_nothing(index_elements=["notification_id"],
                                           index_where=sa.text("verdict = 'accepted'"))  # the index's own text
    recorded = Session.execute(stmt.returning(PayNotification.id)).first() is not None
    if recorded:
        metrics.PAY_NOTIFIES.labels(verdict).inc()
    return recorded


def _moment(timestamp: int | None) -> datetime | None:
    """A notify's Wechatpay-Timestamp as a time, or None when it names no time there is (10^12 s: year 33658)."""
    if not timestamp:
        return None
    try:
        moment = datetime.fromtimestamp(timestamp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment if 1970 <= moment.year <= 2199 else None


def answer(outcome: str, message: str) -> tuple[str, int]:
    """The HTTP answer WeChat expects for an outcome."""
    if outcome in (ACCEPTED, KEPT):
        return "", 204
    return json.dumps({"code": "FAIL", "message": message[:120]}, ensure_ascii=False), 400


def kept(verdict: str | None, limit: int = 100) -> list[PayNotification]:
    query = sa.select(PayNotification).where(PayNotification.verdict != "accepted")
    if verdict:
        query = query.where(PayNotification.verdict == verdict)
    return list(Session.scalars(query.order_by(PayNotification.id.desc()).limit(limit)))
