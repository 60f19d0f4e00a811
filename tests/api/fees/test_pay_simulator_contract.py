"""The WeChat Pay simulator checked against WeChat's v3 contract (shared/reference/wechat-pay-invoice.md §2.3) with
raw HTTP — our own signing code, not wechatpayv3 — so the simulator is held to WeChat, not to our client."""

import base64
import gzip
import json
import secrets
import time

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tests.conftest import APIV3_KEY, APPID, MCHID, MERCHANT_SERIAL, PUBLIC_KEY_ID


@pytest.fixture
def wx(mock_server, pay_keys):
    merchant = serialization.load_pem_private_key(pay_keys["merchant_private"].encode(), password=None)
    platform = serialization.load_pem_public_key(
        open(pay_keys["platform_public_file"]).read().encode())
    base = mock_server.url.rstrip("/")

    class Raw:
        def call(self, method: str, path: str, body: dict | None = None, *, key=merchant, serial=MERCHANT_SERIAL,
                 timestamp: int | None = None, signed: bool = True) -> requests.Response:
            text = json.dumps(body) if body is not None else ""
            ts, nonce = str(timestamp or int(time.time())), secrets.token_hex(8)
            signature = base64.b64encode(key.sign(f"{method}\n{path}\n{ts}\n{nonce}\n{text}\n".encode(),
                                                  padding.PKCS1v15(), hashes.SHA256())).decode()
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if signed:
                headers["Authorization"] = (f'WECHATPAY2-SHA256-RSA2048 mchid="{MCHID}",nonce_str="{nonce}",'
                                            f'signature="{signature}",timestamp="{ts}",serial_no="{serial}"')
            return requests.request(method, base + path, data=text.encode() if text else None, headers=headers,
                                    timeout=5)

        def verified(self, response: requests.Response) -> bool:
            h = response.headers
            message = f"{h['Wechatpay-Timestamp']}\n{h['Wechatpay-Nonce']}\n{response.text}\n".encode()
            try:
                platform.verify(base64.b64decode(h["Wechatpay-Signature"]), message, padding.PKCS1v15(),
                                hashes.SHA256())
            except Exception:  # noqa: BLE001
                return False
            return h["Wechatpay-Serial"] == PUBLIC_KEY_ID and h["Wechatpay-Signature-Type"] == \
                "WECHATPAY2-SHA256-RSA2048"

        def prepay(self, out_trade_no: str, total: int = 500, **extra) -> requests.Response:
            return self.call("POST", "/v3/pay/transactions/jsapi", {
                "appid": APPID, "mchid": MCHID, "description": "生活垃圾处理费", "out_trade_no": out_trade_no,
                "notify_url": "https://example.invalid/notify", "amount": {"total": total, "currency": "CNY"},
                "payer": {"openid": "o-raw"}, **extra})

        def pay(self, prepay_id: str, *, key=merchant) -> requests.Response:
            ts, nonce, package = str(int(time.time())), secrets.token_hex(8), f"prepay_id={prepay_id}"
            sign = base64.b64encode(key.sign(f"{APPID}\n{ts}\n{nonce}\n{package}\n".encode(), padding.PKCS1v15(),
                                             hashes.SHA256())).decode()
            return requests.post(base + "/_mock/pay/confirm", json={"appId": APPID, "timeStamp": ts, "nonceStr": nonce,
                                                                     "package": package, "signType": "RSA",
                                                                     "paySign": sign}, timeout=5)

    return Raw()


def test_requests_without_a_valid_merchant_signature_are_refused(wx):
    from miniprogram_mock.paystate import generate_rsa_pem

    stranger = serialization.load_pem_private_key(generate_rsa_pem()[0].encode(), password=None)
    for response in (wx.call("GET", f"/v3/pay/transactions/out-trade-no/X1?mchid={MCHID}", signed=False),
                     wx.call("GET", f"/v3/pay/transactions/out-trade-no/X1?mchid={MCHID}", key=stranger),
                     wx.call("GET", f"/v3/pay/transactions/out-trade-no/X1?mchid={MCHID}", serial="00AA"),
                     wx.call("GET", f"/v3/pay/transactions/out-trade-no/X1?mchid={MCHID}",
                             timestamp=int(time.time()) - 600)):
        assert response.status_code == 401 and response.json()["code"] == "SIGN_ERROR"


def test_prepay_answers_a_signed_prepay_id_and_is_idempotent_per_out_trade_no(wx):
    first = wx.prepay("RAW20261201000001")
    assert first.status_code == 200 and first.json()["prepay_id"].startswith("wx") and wx.verified(first)
    assert wx.prepay("RAW20261201000001").json() == first.json()  # the same request again
    assert wx.prepay("RAW20261201000001", total=600).json()["code"] == "OUT_TRADE_NO_USED"
    missing = wx.call("POST", "/v3/pay/transactions/jsapi", {"appid": APPID, "mchid": MCHID})
    assert missing.status_code == 400 and missing.json()["code"] == "PARAM_ERROR"
    assert wx.prepay("bad no!").json()["code"] == "PARAM_ERROR"
    assert wx.prepay("RAW20261201000002", total=0).status_code == 400


def test_query_close_and_their_errors(wx):
    prepay_id = wx.prepay("RAW20261201000010").json()["prepay_id"]
    query = wx.call("GET", f"/v3/pay/transactions/out-trade-no/RAW20261201000010?mchid={MCHID}")
    assert query.status_code == 200 and wx.verified(query)
    assert query.json()["trade_state"] == "NOTPAY" and "transaction_id" not in query.json()
    unknown = wx.call("GET", f"/v3/pay/transactions/out-trade-no/NOPE00000001?mchid={MCHID}")
    assert unknown.status_code == 404 and unknown.json()["code"] == "ORDER_NOT_EXIST"
    paid = wx.pay(prepay_id)
    assert paid.status_code == 200
    by_id = wx.call("GET", f"/v3/pay/transactions/id/{paid.json()['transaction_id']}?mchid={MCHID}")
    assert by_id.json()["trade_state"] == "SUCCESS" and by_id.json()["amount"]["payer_total"] == 500
    closing = wx.call("POST", "/v3/pay/transactions/out-trade-no/RAW20261201000010/close", {"mchid": MCHID})
    assert closing.status_code == 400 and closing.json()["code"] == "ORDERPAID"
    assert wx.prepay("RAW20261201000010").json()["code"] == "ORDERPAID"
    other = wx.prepay("RAW20261201000011").json()["prepay_id"]
    closed = wx.call("POST", "/v3/pay/transactions/out-trade-no/RAW20261201000011/close", {"mchid": MCHID})
    assert closed.status_code == 204 and closed.text == "" and wx.verified(closed)
    assert wx.pay(other).json()["code"] == "ORDER_CLOSED"


def test_pay_sign_is_checked_as_the_payment_sheet_does(wx):
    from miniprogram_mock.paystate import generate_rsa_pem

    prepay_id = wx.prepay("RAW20261201000020").json()["prepay_id"]
    stranger = serialization.load_pem_private_key(generate_rsa_pem()[0].encode(), password=None)
    refused = wx.pay(prepay_id, key=stranger)
    assert refused.status_code == 400 and refused.json()["code"] == "SIGN_ERROR"
    assert wx.pay(prepay_id).status_code == 200


def test_an_expired_order_cannot_be_paid(wx):
    from datetime import UTC, datetime, timedelta

    past = (datetime.now(UTC) - timedelta(minutes=1)).astimezone().isoformat(timespec="seconds")
    prepay_id = wx.prepay("RAW20261201000030", time_expire=past).json()["prepay_id"]
    assert wx.pay(prepay_id).json()["code"] == "ORDER_CLOSED"


def test_refunds_and_the_trade_bill(wx):
    prepay_id = wx.prepay("RAW20261201000040", total=1000).json()["prepay_id"]
    wx.pay(prepay_id)
    body = {"out_trade_no": "RAW20261201000040", "out_refund_no": "RRAW0001", "amount": {"refund": 300, "total": 1000,
                                                                                          "currency": "CNY"}}
    refund = wx.call("POST", "/v3/refund/domestic/refunds", body)
    assert refund.status_code == 200 and wx.verified(refund) and refund.json()["amount"]["refund"] == 300
    assert wx.call("POST", "/v3/refund/domestic/refunds", body).json()["refund_id"] == refund.json()["refund_id"]
    too_much = wx.call("POST", "/v3/refund/domestic/refunds", dict(body, out_refund_no="RRAW0002",
                                                                    amount={"refund": 800, "total": 1000}))
    assert too_much.status_code == 403 and too_much.json()["code"] == "NOT_ENOUGH"
    queried = wx.call("GET", "/v3/refund/domestic/refunds/RRAW0001")
    assert queried.json()["status"] == "SUCCESS" and wx.verified(queried)
    assert wx.call("GET", "/v3/refund/domestic/refunds/NOPE").status_code == 404

    from miniprogram_mock.paystate import now_cst

    day = now_cst().date().isoformat()
    bill = wx.call("GET", f"/v3/bill/tradebill?bill_date={day}&bill_type=ALL&tar_type=GZIP")
    assert bill.status_code == 200 and wx.verified(bill) and bill.json()["hash_type"] == "SHA1"
    path = bill.json()["download_url"].split(":", 2)[2].split("/", 1)[1]
    data = wx.call("GET", "/" + path).content
    text = gzip.decompress(data).decode()
    assert text.startswith("交易时间,") and "`RAW20261201000040" in text and "`RRAW0001" in text
    assert text.splitlines()[-1].split(",")[1:3] == ["`10.00", "`3.00"]
    future = wx.call("GET", "/v3/bill/tradebill?bill_date=2199-01-01&bill_type=ALL")
    assert future.status_code == 400 and future.json()["code"] == "NO_STATEMENT_EXIST"


def test_notifies_are_signed_and_encrypted_as_wechat_sends_them(wx, mock_server, pay_keys):
    """A real listener on a port receives the notify; it verifies and decrypts it with WeChat's rules."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            got.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = wx.call("POST", "/v3/pay/transactions/jsapi", {
            "appid": APPID, "mchid": MCHID, "description": "x", "out_trade_no": "RAW20261201000050",
            "notify_url": f"http://127.0.0.1:{server.server_port}/notify", "amount": {"total": 123},
            "payer": {"openid": "o-raw"}})
        wx.pay(answer.json()["prepay_id"])
        deadline = time.time() + 5
        while not got and time.time() < deadline:
            time.sleep(0.02)
    finally:
        server.shutdown()
    headers, body = got[0]
    platform = serialization.load_pem_public_key(open(pay_keys["platform_public_file"]).read().encode())
    platform.verify(base64.b64decode(headers["Wechatpay-Signature"]),
                    f"{headers['Wechatpay-Timestamp']}\n{headers['Wechatpay-Nonce']}\n{body.decode()}\n".encode(),
                    padding.PKCS1v15(), hashes.SHA256())
    notice = json.loads(body)
    assert notice["event_type"] == "TRANSACTION.SUCCESS" and notice["resource_type"] == "encrypt-resource"
    resource = notice["resource"]
    plain = AESGCM(APIV3_KEY.encode()).decrypt(resource["nonce"].encode(), base64.b64decode(resource["ciphertext"]),
                                               resource["associated_data"].encode())
    transaction = json.loads(plain)
    assert transaction["out_trade_no"] == "RAW20261201000050" and transaction["amount"]["total"] == 123
    assert transaction["trade_state"] == "SUCCESS" and transaction["mchid"] == MCHID


def test_a_description_over_127_utf8_bytes_is_refused_and_makes_no_order(wx):
    fits = "费" * 42 + "a"  # 127 bytes
    assert wx.prepay("RAW20261201000060", description=fits).status_code == 200
    too_long = wx.prepay("RAW20261201000061", description=fits + "a")  # 128 bytes, only 44 characters
    assert too_long.status_code == 400 and too_long.json()["code"] == "PARAM_ERROR"
    assert wx.call("GET", f"/v3/pay/transactions/out-trade-no/RAW20261201000061?mchid={MCHID}").status_code == 404
    assert wx.prepay("RAW20261201000062", description=["x"]).json()["code"] == "PARAM_ERROR"


def test_an_order_query_must_name_the_merchant(wx):
    wx.prepay("RAW20261201000070")
    for path in ("/v3/pay/transactions/out-trade-no/RAW20261201000070",
                 "/v3/pay/transactions/out-trade-no/RAW20261201000070?mchid=",
                 "/v3/pay/transactions/id/4200000000000000000000000000"):
        missing = wx.call("GET", path)
        assert missing.status_code == 400 and missing.json()["code"] == "PARAM_ERROR", path
    other = wx.call("GET", "/v3/pay/transactions/out-trade-no/RAW20261201000070?mchid=1900000001")
    assert other.status_code == 403 and other.json()["code"] == "NO_AUTH"
    assert wx.call("GET", f"/v3/pay/transactions/out-trade-no/RAW20261201000070?mchid={MCHID}").status_code == 200


def _bill(wx, tar_type: str = "GZIP") -> tuple[dict, bytes]:
    from miniprogram_mock.paystate import now_cst

    answer = wx.call("GET", f"/v3/bill/tradebill?bill_date={now_cst().date().isoformat()}&bill_type=ALL"
                            f"&tar_type={tar_type}").json()
    path = answer["download_url"].split(":", 2)[2].split("/", 1)[1]
    data = wx.call("GET", "/" + path).content
    return answer, gzip.decompress(data) if tar_type == "GZIP" else data


def test_the_trade_bills_hash_is_the_sha1_of_the_decompressed_bill(wx, mock_server):
    import hashlib

    wx.pay(wx.prepay("RAW20261201000080", total=700).json()["prepay_id"])
    answer, bill = _bill(wx)
    assert answer["hash_type"] == "SHA1" and answer["hash_value"] == hashlib.sha1(bill).hexdigest()
    plain_answer, plain = _bill(wx, tar_type="")
    assert plain == bill and plain_answer["hash_value"] == answer["hash_value"]
    # the corrupt_bill fault: the next file differs from what its hash describes, and still reads as a bill
    requests.post(mock_server.url + "_mock/pay/faults", json={"fault": "corrupt_bill"}, timeout=5).raise_for_status()
    corrupt_answer, corrupt = _bill(wx)
    assert corrupt_answer["hash_value"] == answer["hash_value"] != hashlib.sha1(corrupt).hexdigest()
    assert corrupt.decode().startswith("交易时间,") and "`RAW20261201000080" not in corrupt.decode()
    assert _bill(wx)[1] == bill  # once only
