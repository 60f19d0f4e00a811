"""The simulator behaves as the documented WeChat APIs do."""

import time

import pytest
import requests

from tests.conftest import APPID, APPSECRET


@pytest.fixture
def base(mock_server):
    return mock_server.url


def token(base, force=False):
    return requests.post(base + "cgi-bin/stable_token", json={"grant_type": "client_credential", "appid": APPID,
                                                              "secret": APPSECRET, "force_refresh": force}).json()


def test_classic_token_replaces_the_old_one_with_five_minutes_overlap(base):
    params = {"grant_type": "client_credential", "appid": APPID, "secret": APPSECRET}
    old = requests.get(base + "cgi-bin/token", params=params).json()["access_token"]
    new = requests.get(base + "cgi-bin/token", params=params).json()["access_token"]
    assert old != new
    for value in (old, new):  # both still valid
        r = requests.post(base + "wxa/msg_sec_check", params={"access_token": value}, json={"content": "hi"})
        assert r.json()["errcode"] == 0


def test_bad_credentials_and_unknown_tokens(base):
    bad = requests.get(base + "cgi-bin/token", params={"grant_type": "client_credential", "appid": APPID,
                                                       "secret": "wrong"}).json()
    assert bad["errcode"] == 40125 and " rid: " in bad["errmsg"]
    r = requests.post(base + "wxa/msg_sec_check", params={"access_token": "nope"}, json={"content": "x"})
    assert r.json()["errcode"] == 40001


def test_stable_token_is_stable_and_force_refresh_is_limited(base):
    before = token(base)["access_token"]
    assert token(base)["access_token"] == before
    forced = token(base, force=True)["access_token"]
    assert forced != before and token(base)["access_token"] == forced
    assert token(base, force=True)["errcode"] == 45011  # 30 s between forced refreshes


def test_codes_are_single_use_and_expire(base, wechat):
    code = wechat.login_code("o-sim")
    params = {"appid": APPID, "secret": APPSECRET, "js_code": code, "grant_type": "authorization_code",
              "access_token": "ignored"}
    assert requests.get(base + "sns/jscode2session", params=params).json()["openid"] == "o-sim"
    assert requests.get(base + "sns/jscode2session", params=params).json()["errcode"] == 40163
    expired = wechat.login_code("o-sim", ttl_s=0)
    time.sleep(0.01)
    assert requests.get(base + "sns/jscode2session", params={**params, "js_code": expired}).json()["errcode"] == 40029


def test_subscribe_send_checks_quota_and_value_rules(base, wechat):
    wechat.login_code("o-msg")
    access = token(base)["access_token"]
    body = {"touser": "o-msg", "template_id": "tmpl-report-progress", "data": {
        "character_string1": {"value": "BY1"}, "thing2": {"value": "垃圾"}, "phrase3": {"value": "已受理"},
        "time4": {"value": "2026年11月24日 15:01"}, "thing5": {"value": "备注"}}}
    url = base + "cgi-bin/message/subscribe/send"
    assert requests.post(url, params={"access_token": access}, json=body).json()["errcode"] == 43101
    wechat.allow("o-msg")
    too_long = {**body, "data": {**body["data"], "thing2": {"value": "字" * 21}}}
    r = requests.post(url, params={"access_token": access}, json=too_long).json()
    assert r["errcode"] == 47003 and "data.thing2.value" in r["errmsg"]
    assert requests.post(url, params={"access_token": access}, json=body).json()["errcode"] == 0
    assert requests.post(url, params={"access_token": access}, json=body).json()["errcode"] == 43101
    assert len(wechat.messages("o-msg")) == 1
    unknown = requests.post(url, params={"access_token": access}, json={**body, "template_id": "x"}).json()
    assert unknown["errcode"] == 40037


def test_msg_sec_check_v2_shape(base, wechat):
    wechat.login_code("o-sec")
    access = token(base)["access_token"]
    r = requests.post(base + "wxa/msg_sec_check", params={"access_token": access},
                      json={"version": 2, "openid": "o-sec", "scene": 3, "content": "有人赌博"}).json()
    assert r["errcode"] == 0 and r["result"] == {"suggest": "risky", "label": 20001} and r["trace_id"]
    bad_scene = requests.post(base + "wxa/msg_sec_check", params={"access_token": access},
                              json={"version": 2, "openid": "o-sec", "scene": 9, "content": "x"}).json()
    assert bad_scene["errcode"] == 40129
    v1 = requests.post(base + "wxa/msg_sec_check", params={"access_token": access}, json={"content": "赌博"}).json()
    assert v1["errcode"] == 87014


def test_faults_can_be_injected_and_cleared(base, wechat):
    wechat.fault("stable_token", errcode=-1, times=1)
    assert token(base)["errcode"] == -1
    assert "access_token" in token(base)
    wechat.fault("*", http_status=500, times=-1)
    assert requests.post(base + "cgi-bin/stable_token", json={}).status_code == 500
    wechat.clear_faults()
    assert "access_token" in token(base)


def test_stable_token_and_token_are_isolated(base):
    """WeChat: the two token APIs are 完全隔离，互不影响 — a call to one never changes what the other returns."""
    params = {"grant_type": "client_credential", "appid": APPID, "secret": APPSECRET}
    stable = token(base)["access_token"]
    classic = requests.get(base + "cgi-bin/token", params=params).json()["access_token"]
    assert classic != stable and token(base)["access_token"] == stable  # a classic call left stable alone
    requests.get(base + "cgi-bin/token", params=params)
    assert token(base)["access_token"] == stable
    refreshed = token(base, force=True)["access_token"]
    assert refreshed != stable
    r = requests.post(base + "wxa/msg_sec_check", params={"access_token": classic}, json={"content": "hi"})
    assert r.json()["errcode"] == 0  # a forced stable refresh did not expire the classic token


def test_session_key_has_wechats_shape(base, wechat):
    import base64

    code = wechat.login_code("o-shape")
    session = requests.get(base + "sns/jscode2session", params={"appid": APPID, "secret": APPSECRET,
                                                                "js_code": code,
                                                                "grant_type": "authorization_code"}).json()
    assert len(base64.b64decode(session["session_key"], validate=True)) == 16


def test_wechat_at_a_distance_answers_later(base, wechat):
    """`latency_ms` delays the calls that cross the network (msgSecCheck, imgSecCheck, subscribe send,
    jscode2session), not the simulator's own control endpoints."""
    access = token(base)["access_token"]
    openid = "o-far"
    wechat.login_code(openid)  # a user WeChat knows
    requests.post(base + "_mock/config", json={"latency_ms": 120}).raise_for_status()
    started = time.perf_counter()
    answer = requests.post(base + "wxa/msg_sec_check", params={"access_token": access},
                           json={"version": 2, "openid": openid, "scene": 3, "content": "你好"})
    assert answer.json()["errcode"] == 0 and time.perf_counter() - started >= 0.12
    started = time.perf_counter()
    requests.get(base + "_mock/calls")
    assert time.perf_counter() - started < 0.12  # the control plane is not far away


def test_the_load_test_simulator_keeps_connections_alive(tmp_path):
    """Under gunicorn (miniprogram_mock/wsgi.py, as the benchmarks run it) two calls share one connection and the
    configured latency applies, as with WeChat's own servers."""
    import http.client
    import os
    import sys
    from pathlib import Path

    from tests.support import free_port, spawn, stop_group

    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    proc = spawn([gunicorn, "-w", "1", "-k", "gthread", "--threads", "8", "--keep-alive", "30", "-b",
                  f"127.0.0.1:{port}", "miniprogram_mock.wsgi:app"],
                 env={**os.environ, "MOCK_APPS": f"{APPID}:{APPSECRET}", "MOCK_LATENCY_MS": "50"})
    try:
        for _ in range(100):
            try:
                access = token(f"http://127.0.0.1:{port}/")["access_token"]
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        for _ in range(2):
            started = time.perf_counter()
            conn.request("GET", f"/sns/jscode2session?appid={APPID}&secret={APPSECRET}&js_code=nope"
                                f"&grant_type=authorization_code&access_token={access}")
            response = conn.getresponse()
            response.read()
            assert response.status == 200 and response.getheader("Connection", "").lower() != "close"
            assert time.perf_counter() - started >= 0.05
        assert conn.sock is not None  # still the first connection
        conn.close()
    finally:
        stop_group(proc.pid, proc=proc)


def test_many_login_codes_at_once(base):
    codes = requests.post(base + "_mock/login-codes", json={"count": 3, "prefix": "o-load"}).json()["codes"]
    assert len(set(codes)) == 3
    session = requests.get(base + "sns/jscode2session", params={"appid": APPID, "secret": APPSECRET,
                                                                 "js_code": codes[1], "grant_type":
                                                                 "authorization_code"}).json()
    assert session["openid"] == "o-load-1"


def _issuer_call(client, path: str, body: dict | None = None):
    """A call to the simulated issuing platform, signed as api/fees/receipts/issuer.py signs it."""
    import json

    from miniprogram_mock.issuer import signature

    data = json.dumps(body).encode() if body is not None else b""
    ts = str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-App-Id": "suiyun", "X-Timestamp": ts,
               "X-Signature": signature("issuer-secret", ts, data)}
    return (client.post(path, data=data, headers=headers) if body is not None else client.get(path, headers=headers))


def _issue_doc(client, request_id: str, total: int = 500):
    return _issuer_call(client, "/einvoice/v1/documents", {
        "request_id": request_id, "kind": "fiscal", "payer": "张三", "total_fen": total,
        "items": [{"item": "disposal", "amount_fen": total}]})


def test_the_issuing_platform_keeps_its_numbering_across_a_restart(tmp_path):
    from miniprogram_mock import create_mock_app

    state = tmp_path / "var" / "issuer-state.jsonl"

    def platform():  # the simulator started (again) on the same var folder
        return create_mock_app(issuer_apps={"suiyun": "issuer-secret"}, issuer_state=state)

    before = platform()
    first = _issue_doc(before.test_client(), "receipt-1-0").json
    red = _issuer_call(before.test_client(), f"/einvoice/v1/documents/{first['code']}/{first['number']}/reversal",
                       {"request_id": "reversal-1", "reason": "退款"}).json
    again = _issue_doc(before.test_client(), "receipt-2-0").json
    assert [d["number"][-1] for d in (first, red, again)] == ["1", "2", "3"]

    after = platform().test_client()  # restarted: nothing given out before is given out again
    fresh = _issue_doc(after, "receipt-3-0").json
    assert fresh["number"] == "0000000004" and fresh["code"] == first["code"]
    assert _issue_doc(after, "receipt-2-0").json == again  # a repeated request: the same document
    assert _issuer_call(after, f"/einvoice/v1/documents/{first['code']}/{first['number']}").json["status"] == \
        "reversed"
    assert _issuer_call(after, f"/einvoice/v1/documents/{red['code']}/{red['number']}").json["reverses"] == \
        f"{first['code']}-{first['number']}"
    refused = _issuer_call(after, f"/einvoice/v1/documents/{first['code']}/{first['number']}/reversal",
                           {"request_id": "reversal-1-again", "reason": "退款"})
    assert refused.status_code == 409  # reversed once, before the restart

    after.application.extensions["issuer_mock"].reset()  # the tests' reset between tests: a clean platform
    assert _issue_doc(after, "receipt-9-0").json["number"] == "0000000001"
    assert _issue_doc(platform().test_client(), "receipt-10-0").json["number"] == "0000000002"


def test_the_issuing_platform_without_a_state_file_forgets_at_a_restart():
    from miniprogram_mock import create_mock_app

    numbers = [_issue_doc(create_mock_app(issuer_apps={"suiyun": "issuer-secret"}).test_client(),
                          f"receipt-{n}-0").json["number"] for n in range(2)]
    assert numbers == ["0000000001", "0000000001"]  # the backend refuses it (fees/receipts/service.py)
