"""cgi-bin/token, cgi-bin/stable_token and sns/jscode2session."""

from __future__ import annotations

import base64
import secrets
import time

from flask import Blueprint, jsonify, request

from miniprogram_mock.common import json_body, state, wechat_api
from miniprogram_mock.state import FORCE_REFRESH_PER_DAY, LOGIN_PER_USER_PER_MIN, error

bp = Blueprint("mock_login", __name__)


def _check_app(appid: str | None, secret: str | None) -> dict | None:
    apps = state().apps
    if appid not in apps:
        return error(40013, "invalid appid")
    if apps[appid] != secret:
        return error(40125, "invalid appsecret")
    return None


@bp.get("/cgi-bin/token")
@wechat_api("token", needs_token=False)
def token():
    args = request.args
    if args.get("grant_type") != "client_credential":
        return jsonify(error(40002, "invalid grant_type"))
    problem = _check_app(args.get("appid"), args.get("secret"))
    if problem:
        return jsonify(problem)
    st = state()
    with st.lock:
        issued = st.issue_token(args["appid"], "token")  # replaces this family's previous token (5-min overlap)
    return jsonify({"access_token": issued.value, "expires_in": st.token_ttl_s})


@bp.post("/cgi-bin/stable_token")
@wechat_api("stable_token", needs_token=False)
def stable_token():
    body = json_body()
    if body.get("grant_type") != "client_credential":
        return jsonify(error(40002, "invalid grant_type"))
    problem = _check_app(body.get("appid"), body.get("secret"))
    if problem:
        return jsonify(problem)
    st = state()
    appid, now = body["appid"], time.time()
    with st.lock:
        current = st.valid_current_token(appid, "stable")
        if body.get("force_refresh"):
            recent = [t for t in st.force_refreshes[appid] if t > now - 86400]
            if len(recent) >= FORCE_REFRESH_PER_DAY:
                return jsonify(error(45009, "reach max api daily quota limit"))
            if recent and recent[-1] > now - 30:
                return jsonify(error(45011, "api minute-quota reach limit, force refresh needs 30s interval"))
            st.force_refreshes[appid] = recent + [now]
            current = None
        if current is None:
            current = st.issue_token(appid, "stable")
        return jsonify({"access_token": current.value, "expires_in": int(current.expires_at - now)})


@bp.get("/sns/jscode2session")
@wechat_api("jscode2session", needs_token=False)  # wechatpy sends an access_token here too: ignored
def jscode2session():
    args = request.args
    problem = _check_app(args.get("appid"), args.get("secret"))
    if problem:
        return jsonify(error(40029, "invalid code") if problem["errcode"] == 40125 else problem)
    if args.get("grant_type") != "authorization_code":
        return jsonify(error(40002, "invalid grant_type"))
    st, now = state(), time.time()
    with st.lock:
        code = st.codes.get(args.get("js_code", ""))
        if code is None or code.expires_at <= now:
            return jsonify(error(40029, "invalid code"))
        if code.used:
            return jsonify(error(40163, "code been used"))
        calls = st.login_calls[code.openid]
        while calls and calls[0] <= now - 60:
            calls.popleft()
        if len(calls) >= LOGIN_PER_USER_PER_MIN:
            return jsonify(error(45011, "api minute-quota reach limit mustslower retry next minute"))
        calls.append(now)
        code.used = True
        # WeChat's shape: base64 of 16 random bytes (the key that decrypts wx.getUserProfile data)
        result = {"openid": code.openid, "session_key": base64.b64encode(secrets.token_bytes(16)).decode()}
        if code.unionid:
            result["unionid"] = code.unionid
    return jsonify(result)
