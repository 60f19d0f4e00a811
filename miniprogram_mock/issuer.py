"""A simulated e-receipt issuing platform (财政电子票据 / 数电票 开具平台): numbering, check codes, reversal, query.

Real platforms are provincial and each has its own interface; this one keeps what the backend must cope with:
an app id + HMAC-SHA256 signature over "timestamp\\nbody" (±5 minutes), idempotency by the caller's `request_id`
(the same request is answered with the same document), a 票据代码 per kind and year, 10-digit numbers in order,
6-character check codes, reversal (红冲) of a valid document once, and a query by code and number. Faults
(/_mock/issuer/faults): `timeout` (answers after ISSUER_TIMEOUT_DELAY_S), `duplicate_number` (hands out the
previous number again, as a platform bug would), `down` (503 for `seconds`, multiplied by the `time_scale` of
/_mock/issuer/config so an hour-long outage passes in a test) and `up` (the platform is back: a `down` ends now).

Like the real platform it keeps its numbering across restarts when given a state file (`make run`: var/; tests: a
temporary one): every document it hands out is appended to it as a JSON line and replayed at start (counters,
request ids, reversals follow from the documents). `reset()` empties it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import Blueprint, current_app, jsonify, request

from miniprogram_mock.paystate import now_cst, rfc3339

bp = Blueprint("mock_issuer", __name__)
WINDOW_S = 300
TIMEOUT_DELAY_S = 12.0
CODES = {"fiscal": "4401{year:02d}26", "vat": "26{year:02d}44"}  # 票据代码 prefixes (synthetic)


@dataclass
class Document:
    kind: str
    code: str
    number: str
    check_code: str
    issued_at: str
    total_fen: int
    payer: str
    status: str = "valid"
    reversed_by: str | None = None
    reverses: str | None = None


@dataclass
class IssuerState:
    apps: dict[str, str] = field(default_factory=dict)  # app id → secret
    lock: threading.RLock = field(default_factory=threading.RLock)
    documents: dict[tuple[str, str], Document] = field(default_factory=dict)
    by_request: dict[str, Document] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    down_until: float = 0.0
    time_scale: float = 1.0
    calls: int = 0
    path: Path | None = None  # the journal of documents handed out (None: numbering forgotten at a restart)

    def __post_init__(self) -> None:
        if self.path is not None and self.path.exists():
            with self.lock, self.path.open(encoding="utf-8") as journal:
                for line in journal:
                    if line.strip():
                        entry = json.loads(line)
                        self._remember(entry.pop("request_id"), Document(**entry))

    def reset(self) -> None:
        with self.lock:
            for name in ("documents", "by_request", "counters", "faults"):
                getattr(self, name).clear()
            self.down_until, self.time_scale, self.calls = 0.0, 1.0, 0
            if self.path is not None:
                self.path.write_text("", encoding="utf-8")

    def keep(self, request_id: str, doc: Document) -> None:
        """A document handed out for `request_id`: in memory and, with a state file, on disk before it is answered."""
        with self.lock:
            self._remember(request_id, doc)
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as journal:
                    journal.write(json.dumps({"request_id": request_id, **asdict(doc)}, ensure_ascii=False) + "\n")

    def _remember(self, request_id: str, doc: Document) -> None:
        original = self.documents.get(tuple(doc.reverses.split("-", 1))) if doc.reverses else None
        if original is not None:  # a red document: the one it reverses is reversed by it
            original.status, original.reversed_by = "reversed", f"{doc.code}-{doc.number}"
        self.documents[(doc.code, doc.number)] = doc
        self.by_request[request_id] = doc
        self.counters[doc.code] = max(self.counters.get(doc.code, 0), int(doc.number))

    def take(self, fault: str) -> bool:
        with self.lock:
            left = self.faults.get(fault, 0)
            if not left:
                return False
            self.faults[fault] = left - 1 if left > 0 else left
            return True


def issuer() -> IssuerState:
    return current_app.extensions["issuer_mock"]


def signature(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def _fail(status: int, code: str, message: str):
    return jsonify({"code": code, "message": message}), status


@bp.before_request
def _gate():
    st = issuer()
    if not request.path.startswith("/einvoice/"):
        return None
    with st.lock:
        st.calls += 1
    if time.time() < st.down_until:
        return _fail(503, "PLATFORM_DOWN", "开票平台维护中")
    if st.take("timeout"):
        time.sleep(TIMEOUT_DELAY_S)
    secret = st.apps.get(request.headers.get("X-App-Id", ""))
    ts = request.headers.get("X-Timestamp", "0")
    if secret is None or not ts.isdigit() or abs(time.time() - int(ts)) > WINDOW_S or not hmac.compare_digest(
            signature(secret, ts, request.get_data()), request.headers.get("X-Signature", "")):
        return _fail(401, "SIGN_ERROR", "签名错误")
    return None


def _next(st: IssuerState, kind: str) -> tuple[str, str]:
    code = CODES[kind].format(year=now_cst().year % 100)
    if st.take("duplicate_number") and st.counters.get(code):
        return code, f"{st.counters[code]:010d}"  # the number it gave last time, again
    return code, f"{st.counters.get(code, 0) + 1:010d}"  # counted when kept (st.keep)


def _issue(st: IssuerState, request_id: str, kind: str, total: int, payer: str,
           reverses: str | None = None) -> Document:
    code, number = _next(st, kind)
    doc = Document(kind=kind, code=code, number=number, check_code=secrets.token_hex(3), issued_at=rfc3339(now_cst()),
                   total_fen=total, payer=payer, reverses=reverses)
    st.keep(request_id, doc)
    return doc


def _answer(doc: Document):
    return jsonify({"code": doc.code, "number": doc.number, "check_code": doc.check_code, "issued_at": doc.issued_at,
                    "status": doc.status, "total_fen": doc.total_fen, "reverses": doc.reverses,
                    "reversed_by": doc.reversed_by})


@bp.post("/einvoice/v1/documents")
def issue():
    st, body = issuer(), request.get_json(silent=True) or {}
    if body.get("kind") not in CODES or not isinstance(body.get("total_fen"), int) or not body.get("request_id") \
            or not isinstance(body.get("items"), list) or not body.get("payer"):
        return _fail(400, "PARAM_ERROR", "request_id, kind, payer, items and total_fen are required")
    if sum(int(i.get("amount_fen", 0)) for i in body["items"]) != body["total_fen"]:
        return _fail(400, "AMOUNT_MISMATCH", "items do not add up to total_fen")
    with st.lock:
        known = st.by_request.get(body["request_id"])
        if known is None:
            known = _issue(st, body["request_id"], body["kind"], body["total_fen"], body["payer"])
        return _answer(known)


@bp.post("/einvoice/v1/documents/<code>/<number>/reversal")
def reverse(code: str, number: str):
    st, body = issuer(), request.get_json(silent=True) or {}
    if not body.get("request_id"):
        return _fail(400, "PARAM_ERROR", "request_id is required")
    with st.lock:
        known = st.by_request.get(body["request_id"])
        if known is not None:
            return _answer(known)
        doc = st.documents.get((code, number))
        if doc is None:
            return _fail(404, "NOT_FOUND", "票据不存在")
        if doc.status != "valid" or doc.reverses is not None:
            return _fail(409, "ALREADY_REVERSED", "票据已冲红或为冲红票据")
        red = _issue(st, body["request_id"], doc.kind, -doc.total_fen, doc.payer, reverses=f"{code}-{number}")
        return _answer(red)  # the original is marked reversed as the red document is kept


@bp.get("/einvoice/v1/documents/<code>/<number>")
def query(code: str, number: str):
    st = issuer()
    with st.lock:
        doc = st.documents.get((code, number))
        return _answer(doc) if doc else _fail(404, "NOT_FOUND", "票据不存在")


@bp.post("/_mock/issuer/faults")
def faults():
    st, body = issuer(), request.get_json(silent=True) or {}
    with st.lock:
        if body.get("fault") == "down":
            st.down_until = time.time() + float(body.get("seconds", 3600)) * st.time_scale
        elif body.get("fault") == "up":
            st.down_until = 0.0
        elif body.get("fault") in ("timeout", "duplicate_number"):
            st.faults[body["fault"]] = int(body.get("times", 1))
        else:
            return _fail(400, "PARAM_ERROR", "fault is timeout, duplicate_number, down or up")
    return jsonify({"ok": True})


@bp.post("/_mock/issuer/config")
def configure():
    st, body = issuer(), request.get_json(silent=True) or {}
    with st.lock:
        if "time_scale" in body:
            st.time_scale = max(0.0, float(body["time_scale"]))
        if "apps" in body:
            st.apps.update({str(k): str(v) for k, v in body["apps"].items()})
    return jsonify({"ok": True})


@bp.get("/_mock/issuer/documents")
def documents():
    st = issuer()
    with st.lock:
        return jsonify([json.loads(_answer(d).get_data()) | {"kind": d.kind, "payer": d.payer}
                        for d in st.documents.values()])
