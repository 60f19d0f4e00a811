"""Test-only WeChat Pay controls under /_mock/pay: the payer's side of wx.requestPayment, notify faults, timing.

- POST /_mock/pay/confirm {appId, timeStamp, nonceStr, package, signType, paySign}: what the mini-program's
  payment sheet does — paySign is verified with the merchant's public key, the order becomes SUCCESS and its
  notify is queued. An expired or closed order is refused (unless `late_after_close` is armed: paid anyway).
- POST /_mock/pay/faults {fault, times?}: one of PAY_FAULTS (the notify faults, and `corrupt_bill`: a trade-bill
  download that does not match its hash_value); times -1 = until cleared. DELETE clears them.
- POST /_mock/pay/config {time_scale?, refund_delay_s?}; GET /_mock/pay/deliveries; GET /_mock/pay/orders/<no>.
"""

from __future__ import annotations

import time

from flask import Blueprint, jsonify, request

from miniprogram_mock.notify import queue_payment_notify
from miniprogram_mock.pay import PayError, pay_state
from miniprogram_mock.paystate import PAY_FAULTS, new_id, now_cst

bp = Blueprint("mock_pay_control", __name__, url_prefix="/_mock/pay")


@bp.post("/confirm")
def confirm():
    st, body = pay_state(), request.get_json(silent=True) or {}
    package = str(body.get("package", ""))
    if body.get("signType") != "RSA" or not package.startswith("prepay_id="):
        raise PayError(400, "PARAM_ERROR", "signType must be RSA and package prepay_id=…")
    if body.get("appId") != st.merchant.appid or not st.verify_pay_sign(
            str(body.get("appId")), str(body.get("timeStamp")), str(body.get("nonceStr")), package,
            str(body.get("paySign", ""))):
        raise PayError(400, "SIGN_ERROR", "paySign 校验失败")
    with st.lock:
        order = st.by_prepay.get(package.removeprefix("prepay_id="))
        if order is None:
            raise PayError(404, "ORDER_NOT_EXIST", "prepay_id 不存在")
        if order.state == "SUCCESS":
            raise PayError(403, "ORDERPAID", "该订单已支付")
        late = st.take_fault("late_after_close")
        expired = order.time_expire is not None and order.time_expire.timestamp() < time.time()
        if (order.state == "CLOSED" or expired) and not late:
            raise PayError(400, "ORDER_CLOSED", "订单已关闭或已过期")
        order.state, order.success_time = "SUCCESS", now_cst()
        order.transaction_id = new_id("42000", 23)
        st.by_transaction[order.transaction_id] = order
        delivery = queue_payment_notify(st, order)
        return jsonify({"out_trade_no": order.out_trade_no, "transaction_id": order.transaction_id,
                        "notify_id": delivery.id if delivery else None})


@bp.post("/faults")
def add_fault():
    body, st = request.get_json(silent=True) or {}, pay_state()
    if body.get("fault") not in PAY_FAULTS:
        return jsonify({"error": f"fault must be one of {PAY_FAULTS}"}), 400
    with st.lock:
        st.faults[body["fault"]] = int(body.get("times", 1))
    return jsonify({"ok": True})


@bp.delete("/faults")
def clear_faults():
    st = pay_state()
    with st.lock:
        st.faults.clear()
    return jsonify({"ok": True})


@bp.post("/config")
def configure():
    body, st = request.get_json(silent=True) or {}, pay_state()
    with st.lock:
        if "time_scale" in body:
            st.time_scale = max(0.0, float(body["time_scale"]))
        if "refund_delay_s" in body:
            st.refund_delay_s = max(0.0, float(body["refund_delay_s"]))
    return jsonify({"ok": True})


@bp.get("/deliveries")
def deliveries():
    st = pay_state()
    with st.lock:
        rows = [{"id": d.id, "event_type": d.event_type, "url": d.url, "done": d.done, "faults": sorted(d.faults),
                 "out_trade_no": d.resource.get("out_trade_no"), "attempts": list(d.attempts)}
                for d in st.deliveries]
    return jsonify(rows)


@bp.get("/orders/<out_trade_no>")
def order(out_trade_no: str):
    st = pay_state()
    with st.lock:
        found = st.orders.get(out_trade_no)
        if found is None:
            return jsonify({"error": "no such order"}), 404
        return jsonify({**found.as_transaction(), "prepay_id": found.prepay_id, "refunded": found.refunded})
