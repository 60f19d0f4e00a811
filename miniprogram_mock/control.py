"""Test-only control endpoints under /_mock: mint login codes, grant subscribe quota, read what was sent,
inject faults (system busy, rate limit, slow answers), expire tokens."""

from __future__ import annotations

import secrets
import time

from flask import Blueprint, current_app, jsonify, request

from miniprogram_mock.common import json_body, state
from miniprogram_mock.state import CODE_TTL_S, Fault, LoginCode

bp = Blueprint("mock_control", __name__, url_prefix="/_mock")


@bp.post("/reset")
def reset():
    state().reset()
    current_app.extensions["wechat_pay_mock"].reset()
    current_app.extensions["issuer_mock"].reset()
    return jsonify({"ok": True})


@bp.post("/login-code")
def login_code():
    """What wx.login() gives the mini-program: a single-use code for this user (5-minute expiry)."""
    body, st = json_body(), state()
    openid = body.get("openid") or f"o{secrets.token_urlsafe(20)}"
    with st.lock:
        unionid = body.get("unionid", st.users.get(openid))
        st.users[openid] = unionid
        code = secrets.token_hex(16)
        st.codes[code] = LoginCode(openid=openid, unionid=unionid,
                                   expires_at=time.time() + float(body.get("ttl_s", CODE_TTL_S)))
    return jsonify({"code": code, "openid": openid})


@bp.post("/login-codes")
def login_codes():
    """{count, prefix}: `count` codes for as many users `<prefix>-<n>` (a load test's logins)."""
    body, st = json_body(), state()
    count, prefix = min(int(body.get("count", 1)), 100_000), str(body.get("prefix", "o-bulk"))
    codes = []
    with st.lock:
        for n in range(count):
            openid = f"{prefix}-{n}"
            st.users.setdefault(openid, None)
            code = secrets.token_hex(16)
            st.codes[code] = LoginCode(openid=openid, unionid=None, expires_at=time.time() + CODE_TTL_S)
            codes.append(code)
    return jsonify({"codes": codes})


@bp.post("/subscriptions")
def grant_subscription():
    """The user tapped 'allow' in wx.requestSubscribeMessage: one-time quota for a template."""
    body, st = json_body(), state()
    with st.lock:
        key = (body["openid"], body["template_id"])
        st.quotas[key] += int(body.get("count", 1))
        return jsonify({"openid": key[0], "template_id": key[1], "remaining": st.quotas[key]})


@bp.get("/subscriptions")
def list_subscriptions():
    st = state()
    with st.lock:
        rows = [{"openid": o, "template_id": t, "remaining": n} for (o, t), n in st.quotas.items()
                if o == request.args.get("openid", o)]
    return jsonify(rows)


@bp.get("/messages")
def messages():
    st, touser = state(), request.args.get("touser")
    with st.lock:
        rows = [m for m in st.messages if touser in (None, m["touser"])]
    return jsonify(rows)


@bp.post("/faults")
def add_fault():
    """{api, errcode?, http_status?, delay?, times?}; api is token, stable_token, jscode2session,
    subscribe_send, msg_sec_check, img_sec_check, getwxacodeunlimit, or * for all. times -1 = until cleared."""
    body, st = json_body(), state()
    fault = Fault(api=body["api"], errcode=body.get("errcode"), http_status=body.get("http_status"),
                  delay=float(body.get("delay", 0)), times=int(body.get("times", 1)))
    with st.lock:
        st.faults.append(fault)
    return jsonify({"ok": True})


@bp.delete("/faults")
def clear_faults():
    st = state()
    with st.lock:
        st.faults.clear()
    return jsonify({"ok": True})


@bp.post("/expire-tokens")
def expire_tokens():
    st = state()
    with st.lock:
        for token in st.tokens.values():
            token.expires_at = min(token.expires_at, time.time() - 1)
    return jsonify({"ok": True})


@bp.post("/config")
def configure():
    body, st = json_body(), state()
    with st.lock:
        if "token_ttl_s" in body:
            st.token_ttl_s = int(body["token_ttl_s"])
        if "risky_words" in body:
            st.risky_words = list(body["risky_words"])
        if "review_words" in body:
            st.review_words = list(body["review_words"])
        if "latency_ms" in body:  # msgSecCheck, imgSecCheck, subscribe send, jscode2session answer this much later
            st.latency_s = max(0.0, float(body["latency_ms"]) / 1000)
        if "templates" in body:
            st.templates.update({k: list(v) for k, v in body["templates"].items()})
    return jsonify({"ok": True})


@bp.get("/calls")
def calls():
    st = state()
    with st.lock:
        return jsonify(dict(st.calls))
