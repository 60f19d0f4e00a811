"""WeChat Pay v3 through wechatpayv3 (platform-public-key mode), behind a small interface.

wechatpayv3's gateway is hard-coded: WECHATPAY_API_BASE replaces it (the simulator in dev and tests). The library
returns (status, text) and raises on a 2xx whose signature does not verify; here every outcome becomes a value or
one of three errors: PayRefused (WeChat answered no, with its code), PayUnavailable (transport, 5xx, a bad
signature on an answer: try again later), and for notifies NotifyRefused (with the verdict kept for staff).
Notifies are checked here beyond what the library does (shared/reference/wechat-pay-invoice.md §2.2): the
signature type and serial first (an unknown serial would make the library fetch certificates), then the
timestamp within ±NOTIFY_WINDOW_S, then the signature and the AES-256-GCM resource (the library); whatever the
library raises on a malformed notify becomes NotifyRefused too. A trade bill is checked against the hash_value
WeChat gives with its download link (SHA1 of the decompressed file): a file that does not match is downloaded again,
and after BILL_TRIES it is BillUnverified — never read as data.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import secrets
import time
from datetime import date, datetime
from functools import lru_cache

import requests
from wechatpayv3 import WeChatPay, WeChatPayType

from api.config import get_config
from api.timefmt import SHANGHAI
from api.wechatpay import errors

log = logging.getLogger(__name__)
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
PROBE_PREFIX = "WECHATPAY/SIGNTEST/"
DESCRIPTION_BYTES = 127  # WeChat's `description` is string(127), counted in UTF-8 bytes
BILL_TRIES = 3  # a trade bill whose file does not match its hash is asked for (and downloaded) this often
BILL_HASHES = {"SHA1": hashlib.sha1}


def fit_utf8(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-8 bytes, on a character boundary."""
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


class PayClient:
    def __init__(self, *, mchid: str, appid: str, private_key: str, cert_serial_no: str, apiv3_key: str,
                 public_key: str, public_key_id: str, api_base: str, notify_url: str, refund_notify_url: str,
                 timeout: float, notify_window_s: int):
        self.mchid, self.appid, self.public_key_id = mchid, appid, public_key_id
        self.notify_url, self.refund_notify_url, self.notify_window_s = notify_url, refund_notify_url, notify_window_s
        self._pay = WeChatPay(wechatpay_type=WeChatPayType.MINIPROG, mchid=mchid, private_key=private_key,
                              cert_serial_no=cert_serial_no, appid=appid, apiv3_key=apiv3_key,
                              notify_url=notify_url, public_key=public_key, public_key_id=public_key_id,
                              timeout=(3, timeout))
        self._pay._core._gate_way = api_base.rstrip("/")

    # -- calls ------------------------------------------------------------------------------------------
    def _call(self, what: str, send) -> tuple[int, object]:
        try:
            status, body = send()
        except requests.RequestException as exc:
            raise errors.PayUnavailable(f"{what}: transport error {exc.__class__.__name__}") from exc
        except Exception as exc:  # noqa: BLE001 - wechatpayv3 raises bare Exception on an unverifiable answer
            raise errors.PayUnavailable(f"{what}: {exc}") from exc
        if status >= 500 or status == 429:
            raise errors.PayUnavailable(f"{what}: HTTP {status}")
        return status, body

    @staticmethod
    def _json(body) -> dict:
        try:
            return json.loads(body) if body else {}
        except (TypeError, ValueError):
            return {}

    def _refused(self, what: str, status: int, body) -> errors.PayRefused:
        data = self._json(body)
        return errors.PayRefused(what, status, str(data.get("code", "UNKNOWN")), str(data.get("message", "")))

    def prepay(self, *, out_trade_no: str, description: str, amount_fen: int, openid: str, time_expire: datetime,
               attach: str | None = None) -> str:
        status, body = self._call("prepay", lambda: self._pay.pay(
            description=fit_utf8(description, DESCRIPTION_BYTES), out_trade_no=out_trade_no,
            amount={"total": amount_fen, "currency": "CNY"},
            payer={"openid": openid},  # time_expire in Beijing time (+08:00), as WeChat's examples are
            time_expire=time_expire.astimezone(SHANGHAI).isoformat(timespec="seconds"), attach=attach))
        if status != 200:
            raise self._refused("prepay", status, body)
        return self._json(body)["prepay_id"]

    def payment_params(self, prepay_id: str) -> dict:
        """wx.requestPayment's parameters, paySign by the merchant key over appId, timeStamp, nonceStr, package."""
        timestamp, nonce, package = str(int(time.time())), secrets.token_hex(16), f"prepay_id={prepay_id}"
        return {"appId": self.appid, "timeStamp": timestamp, "nonceStr": nonce, "package": package,
                "signType": "RSA", "paySign": self._pay.sign([self.appid, timestamp, nonce, package])}

    def query(self, out_trade_no: str) -> dict | None:
        status, body = self._call("query", lambda: self._pay.query(out_trade_no=out_trade_no))
        if status == 404:
            return None
        if status != 200:
            raise self._refused("query", status, body)
        return self._json(body)

    def close(self, out_trade_no: str) -> bool:
        """True when closed (or already closed); False when WeChat says it was paid meanwhile."""
        status, body = self._call("close", lambda: self._pay.close(out_trade_no=out_trade_no))
        if status in (200, 204):
            return True
        if self._json(body).get("code") == "ORDERPAID":
            return False
        if status == 404:
            return True  # WeChat never saw the order: nothing to close
        raise self._refused("close", status, body)

    def refund(self, *, out_refund_no: str, out_trade_no: str, refund_fen: int, total_fen: int, reason: str) -> dict:
        status, body = self._call("refund", lambda: self._pay.refund(
            out_refund_no=out_refund_no, out_trade_no=out_trade_no, reason=reason[:80],
            amount={"refund": refund_fen, "total": total_fen, "currency": "CNY"},
            notify_url=self.refund_notify_url))
        if status != 200:
            raise self._refused("refund", status, body)
        return self._json(body)

    def query_refund(self, out_refund_no: str) -> dict | None:
        status, body = self._call("query_refund", lambda: self._pay.query_refund(out_refund_no=out_refund_no))
        if status == 404:
            return None
        if status != 200:
            raise self._refused("query_refund", status, body)
        return self._json(body)

    def trade_bill(self, day: date, tries: int = BILL_TRIES) -> str | None:
        """The day's trade bill (CSV text) as its hash says it is, or None when WeChat has none for that day.
        A file that does not match is asked for again; BillUnverified after `tries`."""
        problem = ""
        for _ in range(max(1, tries)):
            status, body = self._call("trade_bill", lambda: self._pay.trade_bill(bill_date=day.isoformat()))
            if status == 400 and self._json(body).get("code") == "NO_STATEMENT_EXIST":
                return None
            if status != 200:
                raise self._refused("trade_bill", status, body)
            answer = self._json(body)
            if not isinstance(answer.get("download_url"), str):
                raise errors.PayUnavailable("trade_bill: no download_url")
            data = self._download(answer["download_url"])
            problem = ("the gzip file is damaged" if data is None
                       else _bill_problem(data, answer.get("hash_type"), answer.get("hash_value")))
            if data is not None and not problem:
                return data.decode("utf-8-sig")
            log.warning("trade bill does not match its hash", extra={"day": day.isoformat(), "problem": problem})
        raise errors.BillUnverified(f"trade bill for {day}: {problem} (after {max(1, tries)} downloads)")

    def _download(self, url: str) -> bytes | None:
        """The bill file, decompressed when it is gzip (tar_type GZIP); None when the archive is damaged."""
        status, data = self._call("download_bill", lambda: self._pay.download_bill(url))
        if status != 200 or not isinstance(data, bytes | bytearray):
            raise errors.PayUnavailable(f"download_bill: HTTP {status}")
        if data[:2] != b"\x1f\x8b":
            return bytes(data)
        try:
            return gzip.decompress(data)
        except (OSError, EOFError):  # a truncated or damaged archive: as good as a wrong hash
            return None

    # -- notifies -----------------------------------------------------------------------------------------
    def parse_notify(self, headers, body: bytes) -> dict:
        """The verified notify with its decrypted `resource`, or NotifyRefused(verdict, detail)."""
        signature = headers.get("Wechatpay-Signature", "")
        if signature.startswith(PROBE_PREFIX):
            raise errors.NotifyRefused("probe", "WeChat's signature probe")
        if headers.get("Wechatpay-Signature-Type", SIGNATURE_TYPE) != SIGNATURE_TYPE:
            raise errors.NotifyRefused("forged", "unknown signature type")
        if headers.get("Wechatpay-Serial") != self.public_key_id:
            raise errors.NotifyRefused("forged", f"unknown key serial {headers.get('Wechatpay-Serial', '')[:40]!r}")
        stamp = headers.get("Wechatpay-Timestamp", "")
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= 20):
            raise errors.NotifyRefused("forged", "no timestamp")
        signed_at = int(stamp)
        if abs(time.time() - signed_at) > self.notify_window_s:
            raise errors.NotifyRefused("stale", f"signed {int(time.time()) - signed_at} s away from now",
                                       signed_at=signed_at)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.NotifyRefused("forged", "unreadable body: not UTF-8") from exc
        try:
            result = self._pay.callback({k: headers.get(k, "") for k in (
                "Wechatpay-Signature", "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial",
                "Wechatpay-Signature-Type")} | {"Wechatpay-Signature-Type": SIGNATURE_TYPE}, text)
        except Exception as exc:  # noqa: BLE001 - the library raises bare Exception (an unknown algorithm) and
            # AttributeError / TypeError / ValueError on a body or resource of the wrong shape: signed, unreadable
            raise errors.NotifyRefused("malformed", f"unreadable notify: {exc.__class__.__name__}",
                                       signed_at=signed_at) from exc
        if not isinstance(result, dict):
            raise errors.NotifyRefused("forged", "signature or decryption failed", signed_at=signed_at)
        if not isinstance(result.get("resource"), dict):
            raise errors.NotifyRefused("malformed", "the decrypted resource is not an object", signed_at=signed_at)
        result["_signed_at"] = signed_at
        return result


def _bill_problem(data: bytes, hash_type, hash_value) -> str:
    """Why the decompressed bill is not the one WeChat described ("" when it is)."""
    algorithm = BILL_HASHES.get(str(hash_type).upper())
    if algorithm is None or not isinstance(hash_value, str):
        return f"unknown hash_type {str(hash_type)[:20]!r}"
    if algorithm(data).hexdigest() != hash_value.strip().lower():
        return f"{hash_type} differs from hash_value"
    return ""


@lru_cache(maxsize=1)
def _client_for(key: tuple) -> PayClient:
    return PayClient(**dict(key))


def get_pay_client() -> PayClient:
    """The process's client for the active configuration (keys are read from their files once)."""
    config = get_config()
    if not config.WECHATPAY_MCHID:
        raise errors.PayNotConfigured("WeChat Pay is not configured (WECHATPAY_MCHID)")
    return _client_for(tuple(sorted({
        "mchid": config.WECHATPAY_MCHID, "appid": config.WECHAT_APPID,
        "private_key": _read(config.WECHATPAY_PRIVATE_KEY_FILE), "cert_serial_no": config.WECHATPAY_CERT_SERIAL,
        "apiv3_key": config.WECHATPAY_APIV3_KEY, "public_key": _read(config.WECHATPAY_PUBLIC_KEY_FILE),
        "public_key_id": config.WECHATPAY_PUBLIC_KEY_ID, "api_base": config.WECHATPAY_API_BASE,
        "notify_url": config.WECHATPAY_NOTIFY_URL, "refund_notify_url": config.WECHATPAY_REFUND_NOTIFY_URL,
        "timeout": config.WECHATPAY_TIMEOUT_S, "notify_window_s": config.WECHATPAY_NOTIFY_WINDOW_S}.items())))


@lru_cache(maxsize=8)
def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def reset_pay_client() -> None:
    _client_for.cache_clear()
    _read.cache_clear()
