"""WeChat Pay's notify sender: signed, encrypted notifies retried on WeChat's schedule until answered 2xx.

One daemon thread per simulator sends what is due. The schedule (15 s, 15 s, 30 s, 3 min … 24 h 4 min in all) is
multiplied by `time_scale` so tests see the retries in seconds. Injected faults apply to a delivery's first attempt
(a stale timestamp, a wrong serial, a bad signature, a SIGNTEST probe before it); `duplicate` sends an answered
notify once more; `amount_mismatch` and `payer_differs` (another user's openid as the payer) are genuine WeChat
data that differs from the order (every attempt).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time

import requests

from miniprogram_mock.paystate import (
    NOTIFY_TIMEOUT_S,
    RETRY_SCHEDULE_S,
    Delivery,
    Order,
    PayState,
    Refund,
    now_cst,
    rfc3339,
)

log = logging.getLogger(__name__)
STALE_BY_S = 600
_threads: dict[int, threading.Thread] = {}
_threads_lock = threading.Lock()


def queue_payment_notify(st: PayState, order: Order) -> Delivery | None:
    """TRANSACTION.SUCCESS for a paid order (nothing when the `never_sent` fault is armed)."""
    if st.take_fault("never_sent"):
        return None
    resource = order.as_transaction()
    if st.take_fault("amount_mismatch"):
        resource["amount"] = dict(resource["amount"], total=order.total + 1, payer_total=order.total + 1)
    if st.take_fault("payer_differs"):
        resource["payer"] = {"openid": "o-another-payer-" + secrets.token_hex(4)}
    return _queue(st, Delivery(id=_event_id(), url=order.notify_url, event_type="TRANSACTION.SUCCESS",
                               resource=resource, original_type="transaction", summary="支付成功",
                               faults=_first_attempt_faults(st)))


def queue_refund_notify(st: PayState, item: Refund) -> None:
    """Settle the refund after `refund_delay_s` (ABNORMAL when that fault is armed) and notify its URL."""
    item.status = "ABNORMAL" if st.take_fault("refund_abnormal") else "PROCESSING"

    def settle() -> None:
        with st.lock:
            if item.status == "PROCESSING":
                item.status, item.success_time = "SUCCESS", now_cst()
            if not item.notify_url:
                return
            resource = {"mchid": item.order.mchid, "out_trade_no": item.order.out_trade_no,
                        "transaction_id": item.order.transaction_id, "out_refund_no": item.out_refund_no,
                        "refund_id": item.refund_id, "refund_status": item.status,
                        "user_received_account": "支付用户零钱",
                        "amount": {"total": item.order.total, "refund": item.amount, "payer_total": item.order.total,
                                   "payer_refund": item.amount}}
            if item.success_time:
                resource["success_time"] = rfc3339(item.success_time)
            _queue(st, Delivery(id=_event_id(), url=item.notify_url, event_type=f"REFUND.{item.status}",
                                resource=resource, original_type="refund",
                                summary="退款成功" if item.status == "SUCCESS" else "退款异常",
                                faults=_first_attempt_faults(st)))

    if st.refund_delay_s:
        threading.Timer(st.refund_delay_s, settle).start()
    else:
        settle()


def _first_attempt_faults(st: PayState) -> set[str]:
    return {name for name in ("duplicate", "stale_timestamp", "wrong_serial", "bad_signature", "signtest")
            if st.take_fault(name)}


def _event_id() -> str:
    return "EV-" + now_cst().strftime("%Y%m%d%H%M%S") + secrets.token_hex(6)


def _queue(st: PayState, delivery: Delivery) -> Delivery:
    with st.lock:
        delivery.due_at = time.time()
        st.deliveries.append(delivery)
    _ensure_sender(st)
    st.wake.set()
    return delivery


def _ensure_sender(st: PayState) -> None:
    with _threads_lock:
        thread = _threads.get(id(st))
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=_run, args=(st,), name="wechat-pay-notify", daemon=True)
            _threads[id(st)] = thread
            thread.start()


def _run(st: PayState) -> None:
    session = requests.Session()
    session.trust_env = False
    while True:
        with st.lock:
            pending = [d for d in st.deliveries if not d.done]
            due = [d for d in pending if d.due_at <= time.time()]
            wait = min((d.due_at for d in pending), default=time.time() + 3600) - time.time()
        for delivery in due:
            _attempt(st, session, delivery)
        if not due:
            st.wake.wait(timeout=max(0.01, min(wait, 1.0)))
            st.wake.clear()


def _attempt(st: PayState, session: requests.Session, delivery: Delivery) -> None:
    first = not delivery.attempts
    faults = delivery.faults if first else set()
    if first and "signtest" in faults:
        _send(st, session, delivery, probe=True)  # the probe is its own request; the real notify follows
    ok = _send(st, session, delivery, stale="stale_timestamp" in faults, wrong_serial="wrong_serial" in faults,
               corrupt="bad_signature" in faults)
    with st.lock:
        if ok and "duplicate" in delivery.faults and len([a for a in delivery.attempts if a["ok"]]) == 1:
            delivery.due_at = time.time()  # WeChat sends an answered notify again: it must be idempotent
            return
        retries = len([a for a in delivery.attempts if not a.get("probe")]) - 1
        if ok or retries >= len(RETRY_SCHEDULE_S):
            delivery.done = True
            return
        delivery.due_at = time.time() + RETRY_SCHEDULE_S[retries] * st.time_scale


def _send(st: PayState, session: requests.Session, delivery: Delivery, *, probe: bool = False, stale: bool = False,
          wrong_serial: bool = False, corrupt: bool = False) -> bool:
    body = json.dumps({"id": delivery.id, "create_time": rfc3339(now_cst()), "resource_type": "encrypt-resource",
                       "event_type": delivery.event_type, "summary": delivery.summary,
                       "resource": {"original_type": delivery.original_type,
                                    **st.encrypt(json.dumps(delivery.resource, ensure_ascii=False),
                                                 delivery.original_type)}}, ensure_ascii=False)
    headers = st.sign_headers(body, timestamp=int(time.time()) - STALE_BY_S if stale else None,
                              serial="PUB_KEY_ID_0000000000000000000000WRONG" if wrong_serial else None,
                              corrupt=corrupt, probe=probe)
    headers["Content-Type"] = "application/json"
    started = time.time()
    try:
        answer = session.post(delivery.url, data=body.encode(), headers=headers, timeout=NOTIFY_TIMEOUT_S)
        status, text = answer.status_code, answer.text[:500]
    except requests.RequestException as exc:
        status, text = None, exc.__class__.__name__
    ok = status is not None and 200 <= status < 300 and not probe
    with st.lock:
        delivery.attempts.append({"at": started, "status": status, "answer": text, "ok": ok, "probe": probe,
                                  "stale": stale, "wrong_serial": wrong_serial, "bad_signature": corrupt})
    return ok
