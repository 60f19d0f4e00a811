"""WeChat Pay v3 endpoints the backend uses: JSAPI prepay, query, close, refund + query, trade bill + download.

Every request must carry the merchant's valid signature (401 SIGN_ERROR otherwise); every 2xx answer is signed
with the platform key; errors are WeChat's `{"code","message"}` with its HTTP statuses.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import secrets
from datetime import date, datetime

from flask import Blueprint, Response, current_app, request

from miniprogram_mock.notify import queue_refund_notify
from miniprogram_mock.paystate import CST, Order, PayState, Refund, new_id, now_cst, parse_expire

bp = Blueprint("mock_pay", __name__)

OUT_TRADE_NO = re.compile(r"^[0-9A-Za-z_\-|*]{6,32}$")
OUT_REFUND_NO = re.compile(r"^[0-9A-Za-z_\-|*@]{1,64}$")
DESCRIPTION_BYTES = 127  # string(127): WeChat counts the UTF-8 bytes (a Chinese character is three)
BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
               "货币种类,"
               "应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,"
               "费率,订单金额,申请退款金额,费率备注")


def pay_state() -> PayState:
    return current_app.extensions["wechat_pay_mock"]


class PayError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@bp.app_errorhandler(PayError)
def _pay_error(exc: PayError):
    return Response(json.dumps({"code": exc.code, "message": exc.message}, ensure_ascii=False), exc.status,
                    mimetype="application/json")


@bp.before_request
def _authenticate():
    st = pay_state()
    if request.path.startswith("/v3/"):
        path = request.full_path.rstrip("?") if request.query_string else request.path
        problem = st.verify_request(request.method, path, request.get_data(as_text=True),
                                    request.headers.get("Authorization", ""))
        if problem:
            raise PayError(401, "SIGN_ERROR", f"签名错误，请检查后再试（{problem}）")


def signed(body: dict | None, status: int = 200) -> Response:
    text = "" if body is None else json.dumps(body, ensure_ascii=False)
    response = Response(text, 204 if body is None else status, mimetype="application/json")
    response.headers.update(pay_state().sign_headers(text))
    return response


def _body() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise PayError(400, "PARAM_ERROR", "请求体不是合法的 JSON 对象")
    return body


def _need(body: dict, *keys: str):
    for key in keys:
        value = body
        for part in key.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value in (None, ""):
            raise PayError(400, "PARAM_ERROR",
                           f"输入源“/body/{key.replace('.', '/')}”映射到值字段“{key}”必填性规则校验失败")


@bp.post("/v3/pay/transactions/jsapi")
def jsapi_prepay():
    st, body = pay_state(), _body()
    _need(body, "appid", "mchid", "description", "out_trade_no", "notify_url", "amount.total", "payer.openid")
    if body["mchid"] != st.merchant.mchid or body["appid"] != st.merchant.appid:
        raise PayError(403, "NO_AUTH", "商户号与 AppID 不匹配")
    if not isinstance(body["description"], str) or len(body["description"].encode("utf-8")) > DESCRIPTION_BYTES:
        raise PayError(400, "PARAM_ERROR", f"description 长度超过 {DESCRIPTION_BYTES} 字节")
    if not OUT_TRADE_NO.match(str(body["out_trade_no"])):
        raise PayError(400, "PARAM_ERROR", "out_trade_no 格式错误")
    total = body["amount"]["total"]
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        raise PayError(400, "PARAM_ERROR", "amount.total 必须为正整数（分）")
    if not str(body["notify_url"]).startswith(("https://", "http://")) or "?" in body["notify_url"]:
        raise PayError(400, "PARAM_ERROR", "notify_url 格式错误")
    try:
        expire = parse_expire(body.get("time_expire"))
    except ValueError as exc:
        raise PayError(400, "PARAM_ERROR", "time_expire 格式错误") from exc
    key = json.dumps([body["description"], total, body["payer"]["openid"], body.get("time_expire")],
                     ensure_ascii=False)
    with st.lock:
        existing = st.orders.get(body["out_trade_no"])
        if existing is not None:
            if existing.state == "SUCCESS":
                raise PayError(403, "ORDERPAID", "该订单已支付")
            if existing.state == "CLOSED":
                raise PayError(400, "ORDER_CLOSED", "订单已关闭")
            if existing.body_key != key:
                raise PayError(403, "OUT_TRADE_NO_USED", "商户订单号重复")
            return signed({"prepay_id": existing.prepay_id})  # the same request again: the same prepay_id
        order = Order(out_trade_no=body["out_trade_no"], prepay_id="wx" + secrets.token_hex(16), appid=body["appid"],
                      mchid=body["mchid"], description=body["description"], total=total,
                      openid=body["payer"]["openid"], notify_url=body["notify_url"], time_expire=expire,
                      attach=body.get("attach"), body_key=key)
        st.orders[order.out_trade_no] = order
        st.by_prepay[order.prepay_id] = order
    return signed({"prepay_id": order.prepay_id})


def _mchid(value) -> None:
    """A query names the merchant (?mchid=, required) and a close in its body: it must be this merchant."""
    if value in (None, ""):
        raise PayError(400, "PARAM_ERROR", "输入源“/query/mchid”映射到值字段“mchid”必填性规则校验失败")
    if value != pay_state().merchant.mchid:
        raise PayError(403, "NO_AUTH", "商户号不匹配")


def _order(out_trade_no: str) -> Order:
    order = pay_state().orders.get(out_trade_no)
    if order is None:
        raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
    return order


@bp.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
def query_by_out_trade_no(out_trade_no: str):
    _mchid(request.args.get("mchid"))
    with pay_state().lock:
        return signed(_order(out_trade_no).as_transaction())


@bp.get("/v3/pay/transactions/id/<transaction_id>")
def query_by_transaction_id(transaction_id: str):
    st = pay_state()
    _mchid(request.args.get("mchid"))
    with st.lock:
        order = st.by_transaction.get(transaction_id)
        if order is None:
            raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
        return signed(order.as_transaction())


@bp.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
def close(out_trade_no: str):
    st, body = pay_state(), _body()
    _need(body, "mchid")
    _mchid(body["mchid"])
    with st.lock:
        order = _order(out_trade_no)
        if order.state in ("SUCCESS", "REFUND"):
            raise PayError(400, "ORDERPAID", "订单已支付，不能关闭")
        order.state = "CLOSED"
    return signed(None)


@bp.post("/v3/refund/domestic/refunds")
def refund():
    st, body = pay_state(), _body()
    _need(body, "out_refund_no", "amount.refund", "amount.total")
    if not OUT_REFUND_NO.match(str(body["out_refund_no"])):
        raise PayError(400, "PARAM_ERROR", "out_refund_no 格式错误")
    amount = body["amount"]
    with st.lock:
        order = (st.orders.get(body.get("out_trade_no") or "")
                 or st.by_transaction.get(body.get("transaction_id") or ""))
        if order is None:
            raise PayError(404, "RESOURCE_NOT_EXISTS", "订单不存在")
        existing = st.refunds.get(body["out_refund_no"])
        if existing is not None:  # the same out_refund_no is one refund, however often it is asked for
            if existing.amount != amount["refund"] or existing.order is not order:
                raise PayError(400, "INVALID_REQUEST", "退款单号已存在，且退款金额或订单不同")
            return signed(existing.as_refund())
        if order.state not in ("SUCCESS", "REFUND"):
            raise PayError(400, "INVALID_REQUEST", "订单未支付，不能退款")
        if amount["total"] != order.total:
            raise PayError(400, "PARAM_ERROR", "订单金额 total 与原订单不符")
        if not isinstance(amount["refund"], int) or amount["refund"] <= 0:
            raise PayError(400, "PARAM_ERROR", "退款金额必须为正整数（分）")
        if amount["refund"] > order.total - order.refunded:
            raise PayError(403, "NOT_ENOUGH", "可退金额不足")
        item = Refund(out_refund_no=body["out_refund_no"], refund_id=new_id("50", 30), order=order,
                      amount=amount["refund"], reason=body.get("reason"), notify_url=body.get("notify_url"))
        order.refunded += item.amount
        order.state = "REFUND"
        st.refunds[item.out_refund_no] = item
        queue_refund_notify(st, item)
        return signed(item.as_refund())


@bp.get("/v3/refund/domestic/refunds/<out_refund_no>")
def query_refund(out_refund_no: str):
    st = pay_state()
    with st.lock:
        item = st.refunds.get(out_refund_no)
        if item is None:
            raise PayError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
        return signed(item.as_refund())


@bp.get("/v3/bill/tradebill")
def trade_bill():
    st = pay_state()
    try:
        day = date.fromisoformat(request.args.get("bill_date", ""))
    except ValueError as exc:
        raise PayError(400, "PARAM_ERROR", "bill_date 格式错误") from exc
    if day > now_cst().date():
        raise PayError(400, "NO_STATEMENT_EXIST", "账单日期不能晚于今天")
    original = bill_csv(st, day).encode("utf-8")
    # hash_value is the digest of the bill itself — the decompressed file when tar_type is GZIP — as WeChat documents
    digest = hashlib.sha1(original).hexdigest()  # noqa: S324 - WeChat's choice, not ours
    data = _corrupted(original) if st.take_fault("corrupt_bill") else original
    if request.args.get("tar_type") == "GZIP":
        data = gzip.compress(data, mtime=0)
    token = secrets.token_urlsafe(24)
    with st.lock:
        st.bill_tokens[token] = data
    base = request.host_url.rstrip("/")
    return signed({"hash_type": "SHA1", "hash_value": digest,
                   "download_url": f"{base}/v3/billdownload/file?token={token}"})


def _corrupted(data: bytes) -> bytes:
    """The `corrupt_bill` fault: the file differs from the bill in a way that still reads as a bill — the first
    row's 商户订单号 loses its last character (a bill without rows gains a blank line)."""
    lines = data.split(b"\r\n")
    if len(lines) > 3 and lines[1].count(b",`") > 6:
        cells = lines[1].split(b",")
        cells[6] = cells[6][:-1]
        lines[1] = b",".join(cells)
        return b"\r\n".join(lines)
    return data + b"\r\n"


@bp.get("/v3/billdownload/file")
def bill_download():
    data = pay_state().bill_tokens.get(request.args.get("token", ""))
    if data is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "账单文件不存在或已过期")
    return Response(data, mimetype="application/octet-stream")  # not signed, as WeChat's is not


def _yuan(fen: int) -> str:
    return f"`{fen // 100}.{fen % 100:02d}"


def bill_csv(st: PayState, day: date) -> str:
    """The day's trade bill (bill_type ALL) in WeChat's layout: backtick-prefixed values, a summary at the end."""
    out, rows, paid, refunded, refund_total = io.StringIO(), [], 0, 0, 0
    with st.lock:
        for order in st.orders.values():
            if order.success_time and order.success_time.astimezone(CST).date() == day:
                rows.append(_bill_row(order.success_time, order, "SUCCESS", order.total))
                paid += order.total
        for item in st.refunds.values():
            if item.success_time and item.status == "SUCCESS" and item.success_time.astimezone(CST).date() == day:
                rows.append(_bill_row(item.success_time, item.order, "REFUND", 0, item))
                refunded += 1
                refund_total += item.amount
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BILL_HEADER + "\r\n")
    writer.writerows(rows)
    out.write("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n")
    writer.writerow([f"`{len(rows)}", _yuan(paid), _yuan(refund_total), "`0.00", "`0.00", _yuan(paid),
                     _yuan(refund_total)])
    return out.getvalue()


def _bill_row(at: datetime, order: Order, status: str, total: int, item: Refund | None = None) -> list[str]:
    return [f"`{at.astimezone(CST):%Y-%m-%d %H:%M:%S}", f"`{order.appid}", f"`{order.mchid}", "`0", "`",
            f"`{order.transaction_id}", f"`{order.out_trade_no}", f"`{order.openid}", "`JSAPI", f"`{status}",
            "`OTHERS", "`CNY", _yuan(total), "`0.00", f"`{item.refund_id if item else 0}",
            f"`{item.out_refund_no if item else 0}", _yuan(item.amount if item else 0), "`0.00",
            f"`{'ORIGINAL' if item else ''}", f"`{'SUCCESS' if item else ''}", f"`{order.description}",
            f"`{order.attach or ''}", "`0.00", "`0.60%", _yuan(order.total), _yuan(item.amount if item else 0), "`"]
