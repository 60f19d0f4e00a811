"""The e-receipt issuing platform's client: issue a document, reverse one, query one.

Signed with the app's secret (HMAC-SHA256 over "timestamp\\nbody"); the caller's `request_id` makes a repeated
request return the same document. Transport errors, timeouts and 5xx are IssuerUnavailable (try again later: a
receipt waits, it is never lost); other refusals are IssuerRefused. A number already held here is refused by the
caller (receipts.hold), never kept twice.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import requests

from api.config import get_config


class IssuerUnavailable(Exception):
    pass


class NumberHeld(IssuerUnavailable):
    """The platform answered with a (票据代码, 号码) already held here: refused, and the job fails as if the platform
    were away (retried, then left failed for staff) — a number is never kept twice."""


class IssuerRefused(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"HTTP {status} {code} {message}")
        self.status, self.code = status, code


_session = requests.Session()
_session.trust_env = False


def _call(method: str, path: str, body: dict | None = None) -> dict:
    config = get_config()
    if not config.ISSUER_API_BASE:
        raise IssuerUnavailable("no issuing platform configured (ISSUER_API_BASE)")
    data = json.dumps(body or {}, ensure_ascii=False, separators=(",", ":")).encode() if method == "POST" else b""
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-App-Id": config.ISSUER_APP_ID, "X-Timestamp": ts,
               "X-Signature": hmac.new(config.ISSUER_SECRET.encode(), ts.encode() + b"\n" + data,
                                       hashlib.sha256).hexdigest()}
    try:
        answer = _session.request(method, config.ISSUER_API_BASE.rstrip("/") + path, data=data or None,
                                  headers=headers, timeout=config.ISSUER_TIMEOUT_S)
    except requests.RequestException as exc:
        raise IssuerUnavailable(f"transport error {exc.__class__.__name__}") from exc
    if answer.status_code >= 500 or answer.status_code == 429:
        raise IssuerUnavailable(f"HTTP {answer.status_code}")
    try:
        payload = answer.json()
    except ValueError as exc:
        raise IssuerUnavailable("unreadable answer") from exc
    if answer.status_code != 200:
        raise IssuerRefused(answer.status_code, str(payload.get("code")), str(payload.get("message")))
    return payload


def issue(*, request_id: str, kind: str, payer: str, items: list[dict], total_fen: int) -> dict:
    return _call("POST", "/einvoice/v1/documents", {"request_id": request_id, "kind": kind, "payer": payer,
                                                     "items": items, "total_fen": total_fen})


def reverse(*, request_id: str, code: str, number: str, reason: str) -> dict:
    return _call("POST", f"/einvoice/v1/documents/{code}/{number}/reversal", {"request_id": request_id,
                                                                              "reason": reason})
