"""The wechatpy client against the simulator on a real port: shared token cache, lock, bounded retry."""

import pytest

from api.extensions import get_redis
from api.wechat import errors
from api.wechat.client import MiniProgramClient
from tests.conftest import APPID, APPSECRET


def make_client(mock_server) -> MiniProgramClient:
    return MiniProgramClient(APPID, APPSECRET, api_base=mock_server.url, redis_conn=get_redis(), timeout=5)


def test_token_is_fetched_once_and_shared_through_redis(mock_server, wechat):
    first, second = make_client(mock_server), make_client(mock_server)
    wechat.login_code("o-x")
    first.check_text("o-x", "你好")
    second.check_text("o-x", "你好")
    assert wechat.calls()["stable_token"] == 1
    ttl = get_redis().ttl(f"wechatpy:{APPID}_access_token")
    assert 6800 < ttl <= 6900  # expires_in minus a safety margin


def test_an_expired_token_is_refreshed_once_and_the_call_retried(mock_server, wechat):
    wechat.login_code("o-y")
    client = make_client(mock_server)
    client.check_text("o-y", "你好")
    wechat.expire_tokens()
    assert client.check_text("o-y", "你好")["suggest"] == "pass"
    assert wechat.calls()["stable_token"] == 2


def test_a_token_error_that_persists_does_not_recurse(mock_server, wechat):
    wechat.login_code("o-z")
    client = make_client(mock_server)
    wechat.fault("msg_sec_check", errcode=40001, times=-1)
    with pytest.raises(errors.WeChatRequestRejected) as info:
        client.check_text("o-z", "你好")
    assert info.value.errcode == 40001
    assert wechat.calls()["msg_sec_check"] == 2  # the call and exactly one retry


@pytest.mark.parametrize("errcode, error", [
    (-1, errors.WeChatUnavailable), (45011, errors.WeChatRateLimited), (40029, errors.WeChatLoginCodeInvalid),
    (40163, errors.WeChatLoginCodeInvalid), (47003, errors.WeChatRequestRejected),
])
def test_error_codes_map_to_domain_errors(mock_server, wechat, errcode, error):
    wechat.login_code("o-e")
    wechat.fault("msg_sec_check", errcode=errcode)
    with pytest.raises(error):
        make_client(mock_server).check_text("o-e", "你好")


def test_slow_wechat_times_out_as_unavailable(mock_server, wechat):
    wechat.login_code("o-slow")
    client = MiniProgramClient(APPID, APPSECRET, api_base=mock_server.url, redis_conn=get_redis(), timeout=0.3)
    client.check_text("o-slow", "warm the token")
    wechat.fault("msg_sec_check", delay=1.0)
    with pytest.raises(errors.WeChatUnavailable):
        client.check_text("o-slow", "你好")


def test_wxacode_is_a_real_png(mock_server):
    data = make_client(mock_server).get_wxa_code_unlimited("report=42", page="pages/report/detail")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
