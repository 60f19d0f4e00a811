"""Shared plumbing for simulator endpoints: state access, injected faults, access-token checks."""

from __future__ import annotations

import functools
import time

from flask import current_app, jsonify, request

from miniprogram_mock.state import DISTANT_APIS, State, error


def state() -> State:
    return current_app.extensions["wechat_mock"]


def wechat_api(name: str, *, needs_token: bool = True):
    """Wrap an endpoint: apply an injected fault for `name`, then check access_token if required."""

    def decorator(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            if name in DISTANT_APIS and state().latency_s:
                time.sleep(state().latency_s)  # the network to WeChat and back
            fault = state().take_fault(name)
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.http_status:
                    return jsonify({"errmsg": "injected"}), fault.http_status
                if fault.errcode is not None:
                    return jsonify(error(fault.errcode, "injected fault"))
            if needs_token:
                problem = check_token(request.args.get("access_token", ""))
                if problem is not None:
                    return jsonify(problem)
            return func(*args, **kwargs)

        return wrapper

    return decorator


def check_token(value: str) -> dict | None:
    st = state()
    with st.lock:
        token = st.tokens.get(value)
        if token is None:
            return error(40001, "invalid credential, access_token is invalid or not latest")
        if token.expires_at <= time.time():
            return error(42001, "access_token expired")
    return None


def json_body() -> dict:
    body = request.get_json(silent=True, force=True)
    return body if isinstance(body, dict) else {}
