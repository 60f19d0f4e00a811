"""WeChat Pay v3 in the simulator: keys, signatures, orders, refunds, injected notify faults.

The wire contract is WeChat's (shared/reference/wechat-pay-invoice.md §2.3): requests carry a merchant RSA
signature over "METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n"; every 2xx answer and every notify is signed
with the platform key over "TIMESTAMP\\nNONCE\\nBODY\\n" and names the platform public key id in
Wechatpay-Serial; notify resources are AES-256-GCM with the APIv3 key.
"""

from __future__ import annotations

import base64
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CST = timezone(timedelta(hours=8))
REQUEST_WINDOW_S = 300  # WeChat refuses a request signed more than five minutes away from its clock
# WeChat's notify retry schedule (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h: 24h4m in all)
RETRY_SCHEDULE_S = (15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600)
NOTIFY_TIMEOUT_S = 5.0  # an answer slower than this counts as a failure
NOTIFY_FAULTS = ("duplicate", "stale_timestamp", "wrong_serial", "bad_signature", "never_sent", "amount_mismatch",
                 "late_after_close", "signtest", "refund_abnormal", "payer_differs")
BILL_FAULTS = ("corrupt_bill",)  # the next trade-bill download differs from the bill its hash_value describes
PAY_FAULTS = NOTIFY_FAULTS + BILL_FAULTS


def generate_rsa_pem() -> tuple[str, str]:
    """(private key PEM, public key PEM) of a fresh RSA-2048 pair: the test harness's and make run's keys."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass(frozen=True)
class PayMerchant:
    """What WeChat knows of one merchant, and the platform key it signs that merchant's answers with."""

    mchid: str
    appid: str
    serial_no: str  # the merchant API certificate's serial, named in every request's Authorization
    merchant_public_key: str  # PEM: verifies request signatures and paySign
    apiv3_key: str  # 32 bytes: AES-256-GCM key of notify resources
    platform_private_key: str  # PEM: signs answers and notifies
    public_key_id: str  # PUB_KEY_ID_…: what Wechatpay-Serial says


def merchant_from_file(path: str) -> PayMerchant:
    """The merchant from a JSON file of PayMerchant's fields (make run writes one under var/)."""
    import json

    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    return PayMerchant(**{name: data[name] for name in PayMerchant.__dataclass_fields__})


def now_cst() -> datetime:
    return datetime.now(CST).replace(microsecond=0)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(CST).isoformat(timespec="seconds")


@dataclass
class Order:
    out_trade_no: str
    prepay_id: str
    appid: str
    mchid: str
    description: str
    total: int
    openid: str
    notify_url: str
    time_expire: datetime | None
    attach: str | None
    body_key: str  # the request's identifying fields: the same prepay repeated gets the same prepay_id
    state: str = "NOTPAY"
    transaction_id: str | None = None
    success_time: datetime | None = None
    created_at: datetime = field(default_factory=now_cst)
    refunded: int = 0

    def as_transaction(self) -> dict:
        body = {"appid": self.appid, "mchid": self.mchid, "out_trade_no": self.out_trade_no, "trade_type": "JSAPI",
                "trade_state": self.state, "trade_state_desc": STATE_DESC[self.state], "attach": self.attach or "",
                "payer": {"openid": self.openid},
                "amount": {"total": self.total, "currency": "CNY"}}
        if self.transaction_id:
            body.update({"transaction_id": self.transaction_id, "bank_type": "OTHERS",
                         "success_time": rfc3339(self.success_time)})
            body["amount"].update({"payer_total": self.total, "payer_currency": "CNY"})
        return body


STATE_DESC = {"NOTPAY": "未支付", "SUCCESS": "支付成功", "CLOSED": "已关闭", "REFUND": "转入退款",
              "PAYERROR": "支付失败", "USERPAYING": "用户支付中", "REVOKED": "已撤销"}


@dataclass
class Refund:
    out_refund_no: str
    refund_id: str
    order: Order
    amount: int
    reason: str | None
    notify_url: str | None
    status: str = "PROCESSING"
    create_time: datetime = field(default_factory=now_cst)
    success_time: datetime | None = None

    def as_refund(self) -> dict:
        body = {"refund_id": self.refund_id, "out_refund_no": self.out_refund_no,
                "transaction_id": self.order.transaction_id, "out_trade_no": self.order.out_trade_no,
                "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
                "create_time": rfc3339(self.create_time),
                "status": self.status, "funds_account": "AVAILABLE",
                "amount": {"total": self.order.total, "refund": self.amount, "payer_total": self.order.total,
                           "payer_refund": self.amount, "settlement_refund": self.amount,
                           "settlement_total": self.order.total, "discount_refund": 0, "currency": "CNY"}}
        if self.success_time:
            body["success_time"] = rfc3339(self.success_time)
        return body


@dataclass
class Delivery:
    """One notification WeChat keeps trying to deliver until the merchant answers 2xx (or the schedule ends)."""

    id: str
    url: str
    event_type: str
    resource: dict  # the plaintext that is encrypted into the notify's resource
    original_type: str
    summary: str
    faults: set[str] = field(default_factory=set)  # applied to the first attempt (duplicate: resent once more)
    attempts: list[dict] = field(default_factory=list)
    due_at: float = 0.0
    done: bool = False


@dataclass
class PayState:
    merchant: PayMerchant | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    orders: dict[str, Order] = field(default_factory=dict)  # out_trade_no → order
    by_prepay: dict[str, Order] = field(default_factory=dict)
    by_transaction: dict[str, Order] = field(default_factory=dict)
    refunds: dict[str, Refund] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)  # notify fault → times left (-1: until cleared)
    time_scale: float = 1.0  # notify retry intervals × this (tests compress a day into seconds)
    refund_delay_s: float = 0.0  # a refund stays PROCESSING this long before it succeeds and is notified
    bill_tokens: dict[str, bytes] = field(default_factory=dict)
    wake: threading.Event = field(default_factory=threading.Event)

    def reset(self) -> None:
        with self.lock:
            for name in ("orders", "by_prepay", "by_transaction", "refunds", "bill_tokens", "faults"):
                getattr(self, name).clear()
            for delivery in self.deliveries:
                delivery.done = True
            self.deliveries.clear()
            self.time_scale, self.refund_delay_s = 1.0, 0.0

    def take_fault(self, name: str) -> bool:
        with self.lock:
            left = self.faults.get(name, 0)
            if left == 0:
                return False
            self.faults[name] = left - 1 if left > 0 else left
            return True

    # -- signatures ------------------------------------------------------------------------------------
    def verify_request(self, method: str, path_with_query: str, body: str, authorization: str) -> str | None:
        """None when the Authorization header is the merchant's valid signature; else why not."""
        m = self.merchant
        if m is None:
            return "no merchant configured"
        scheme, _, params = authorization.partition(" ")
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            return "unknown authorization scheme"
        fields = dict(_auth_field(part) for part in params.split(",") if "=" in part)
        if fields.get("mchid") != m.mchid:
            return "mchid does not match"
        if fields.get("serial_no") != m.serial_no:
            return "certificate serial does not match"
        try:
            if abs(time.time() - int(fields.get("timestamp", "0"))) > REQUEST_WINDOW_S:
                return "timestamp outside the five-minute window"
        except ValueError:
            return "timestamp is not a number"
        message = f"{method}\n{path_with_query}\n{fields.get('timestamp')}\n{fields.get('nonce_str')}\n{body}\n"
        return None if verify(m.merchant_public_key, message, fields.get("signature", "")) else "bad signature"

    def verify_pay_sign(self, app_id: str, timestamp: str, nonce: str, package: str, pay_sign: str) -> bool:
        """What wx.requestPayment checks: paySign over "appId\\ntimeStamp\\nnonceStr\\npackage\\n"."""
        return verify(self.merchant.merchant_public_key, f"{app_id}\n{timestamp}\n{nonce}\n{package}\n", pay_sign)

    def sign_headers(self, body: str, *, timestamp: int | None = None, serial: str | None = None,
                     corrupt: bool = False, probe: bool = False) -> dict[str, str]:
        ts, nonce = str(int(time.time()) if timestamp is None else timestamp), secrets.token_hex(16)
        signature = sign(self.merchant.platform_private_key, f"{ts}\n{nonce}\n{body}\n")
        if corrupt:
            signature = signature[:-8] + ("AAAAAAA=" if not signature.endswith("AAAAAAA=") else "BBBBBBB=")
        if probe:  # WeChat's signature-probe traffic: merchants must refuse it
            signature = "WECHATPAY/SIGNTEST/" + signature
        return {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Signature": signature,
                "Wechatpay-Serial": serial or self.merchant.public_key_id,
                "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048", "Request-ID": secrets.token_hex(16)}

    def encrypt(self, plaintext: str, associated_data: str) -> dict:
        nonce = secrets.token_urlsafe(9)[:12]
        ciphertext = AESGCM(self.merchant.apiv3_key.encode()).encrypt(nonce.encode(), plaintext.encode(),
                                                                       associated_data.encode())
        return {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated_data, "nonce": nonce}


def _auth_field(part: str) -> tuple[str, str]:
    key, _, value = part.strip().partition("=")
    return key, value.strip('"')


@lru_cache(maxsize=16)
def _private_key(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)  # slow: the key is checked on load


@lru_cache(maxsize=16)
def _public_key(pem: str):
    return serialization.load_pem_public_key(pem.encode())


def sign(private_pem: str, message: str) -> str:
    key = _private_key(private_pem)
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_pem: str, message: str, signature: str) -> bool:
    key = _public_key(public_pem)
    try:
        key.verify(base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def new_id(prefix: str, digits: int = 28) -> str:
    return prefix + "".join(secrets.choice("0123456789") for _ in range(digits))


def parse_expire(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("time_expire needs an offset")
    return moment.astimezone(UTC)
