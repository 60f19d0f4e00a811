import pytest

from api.identity.models import User
from tests.factories.identity import StaffFactory
from tests.support import bearer, citizen_login, staff_token


def test_wechat_login_creates_the_citizen_once(client, wechat, db_session):
    first = client.post("/auth/wechat-login", json={"code": wechat.login_code("o-alice", unionid="u-alice")})
    second = client.post("/auth/wechat-login", json={"code": wechat.login_code("o-alice")})
    assert first.status_code == second.status_code == 200
    assert first.json["user"]["id"] == second.json["user"]["id"]
    user = db_session.get(User, first.json["user"]["id"])
    assert (user.openid, user.unionid, user.kind) == ("o-alice", "u-alice", "citizen")
    me = client.get("/me", headers=bearer(second.json["access_token"]))
    assert me.json["roles"] == ["citizen"]


@pytest.mark.parametrize("setup, status, code", [
    ("reused", 401, "WECHAT_CODE_INVALID"),
    ("unknown", 401, "WECHAT_CODE_INVALID"),
    ("expired", 401, "WECHAT_CODE_INVALID"),
    ("busy", 503, "WECHAT_UNAVAILABLE"),
    ("rate", 429, "WECHAT_RATE_LIMITED"),
    ("blocked", 401, "WECHAT_USER_BLOCKED"),
])
def test_wechat_login_errors_are_mapped(client, wechat, db_session, setup, status, code):
    login_code = wechat.login_code("o-bob", ttl_s=-1 if setup == "expired" else 300)
    if setup == "reused":
        client.post("/auth/wechat-login", json={"code": login_code})
    if setup == "unknown":
        login_code = "nope"
    faults = {"busy": -1, "rate": 45011, "blocked": 40226}
    if setup in faults:
        wechat.fault("jscode2session", errcode=faults[setup])
    response = client.post("/auth/wechat-login", json={"code": login_code})
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    if status == 429:
        assert response.headers["Retry-After"]


def test_wechat_down_is_a_503_not_a_500(client, wechat, db_session):
    wechat.fault("jscode2session", http_status=502)
    response = client.post("/auth/wechat-login", json={"code": wechat.login_code("o-carol")})
    assert response.status_code == 503 and response.json["error"]["code"] == "WECHAT_UNAVAILABLE"


def test_login_body_is_validated(client, db_session):
    response = client.post("/auth/wechat-login", json={})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "VALIDATION_ERROR"
    assert "code" in response.json["error"]["details"]["fields"]
    assert client.post("/auth/wechat-login", data="not json", content_type="application/json").status_code == 400


def test_staff_login_and_lockout(client, db_session):
    StaffFactory(username="clerk1", roles=("intake_clerk",))
    ok = client.post("/auth/staff-login", json={"username": "clerk1", "password": "correct horse"})
    assert ok.status_code == 200 and ok.json["user"]["roles"] == ["intake_clerk"]
    for _ in range(5):
        bad = client.post("/auth/staff-login", json={"username": "clerk1", "password": "wrong"})
        assert bad.status_code == 401 and bad.json["error"]["code"] == "BAD_CREDENTIALS"
    locked = client.post("/auth/staff-login", json={"username": "clerk1", "password": "correct horse"})
    assert locked.status_code == 429 and locked.json["error"]["code"] == "LOGIN_RATE_LIMITED"


def test_login_attempts_per_ip_are_limited(client, app, db_session, monkeypatch):
    import dataclasses

    from api.config import get_config, init_config

    init_config(dataclasses.replace(get_config(), LOGIN_MAX_PER_IP_PER_MIN=3))
    codes = [client.post("/auth/staff-login", json={"username": "x", "password": "y"}).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_tokens_are_checked(client, db_session):
    staff = StaffFactory(roles=("admin",))
    assert client.get("/me").json["error"]["code"] == "TOKEN_MISSING"
    assert client.get("/me", headers=bearer("garbage")).json["error"]["code"] == "TOKEN_INVALID"
    assert client.get("/me", headers=staff_token(staff)).status_code == 200
    db_session.get(User, staff.id).is_active = False
    db_session.commit()
    assert client.get("/me", headers=staff_token(staff)).json["error"]["code"] == "TOKEN_INVALID"


def test_expired_token_is_refused(client, db_session, config):
    from datetime import timedelta

    import jwt

    from api.db import utcnow
    staff = StaffFactory()
    token = jwt.encode({"sub": str(staff.id), "iss": "suiyun-city", "iat": utcnow() - timedelta(hours=3),
                        "exp": utcnow() - timedelta(hours=1)}, config.SECRET_KEY, algorithm="HS256")
    assert client.get("/me", headers=bearer(token)).json["error"]["code"] == "TOKEN_INVALID"


def _login(client, password, ip, username="clerk1"):
    return client.post("/auth/staff-login", json={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip})


def test_wrong_passwords_from_one_address_do_not_lock_the_account_elsewhere(client, db_session):
    StaffFactory(username="clerk1", roles=("intake_clerk",))
    for _ in range(5):
        assert _login(client, "wrong", "203.0.113.9").status_code == 401
    assert _login(client, "correct horse", "203.0.113.9").json["error"]["code"] == "LOGIN_RATE_LIMITED"
    assert _login(client, "correct horse", "198.51.100.7").status_code == 200  # the owner, from their desk


def test_failures_from_everywhere_only_slow_the_account_down(client, db_session):
    import dataclasses

    from api.config import get_config, init_config

    init_config(dataclasses.replace(get_config(), STAFF_LOGIN_ACCOUNT_FREE_FAILURES=6, STAFF_LOGIN_BACKOFF_MAX_S=8))
    StaffFactory(username="clerk1", roles=("intake_clerk",))
    for n in range(6):  # six addresses, one failure each: within the free failures
        assert _login(client, "wrong", f"203.0.113.{n}").status_code == 401
    assert _login(client, "wrong", "203.0.113.50").status_code == 401  # the 7th: a 2 s back-off starts
    waited = _login(client, "correct horse", "198.51.100.7")
    assert waited.status_code == 429 and waited.json["error"]["details"]["scope"] == "account_backoff"
    assert 1 <= int(waited.headers["Retry-After"]) <= 8


def test_staff_unlock_clears_every_counter(client, app, db_session):
    StaffFactory(username="clerk1", roles=("intake_clerk",))
    for _ in range(5):
        _login(client, "wrong", "203.0.113.9")
    result = app.test_cli_runner().invoke(args=["staff-unlock", "clerk1"])
    assert result.exit_code == 0
    assert _login(client, "correct horse", "203.0.113.9").status_code == 200


def test_behind_a_trusted_proxy_the_limits_see_the_client_address(config, committed):
    """A second app binds its own engine: `committed` (tables truncated afterwards), not a rolled-back session."""
    import dataclasses

    from api import create_app

    proxied = create_app(dataclasses.replace(config, TRUSTED_PROXY_COUNT=1)).test_client()
    StaffFactory(username="clerk1", roles=("intake_clerk",))
    for _ in range(5):
        proxied.post("/auth/staff-login", json={"username": "clerk1", "password": "wrong"},
                     headers={"X-Forwarded-For": "203.0.113.9"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    # another client behind the same proxy is not locked out: the limit is per client, not one global limit
    other = proxied.post("/auth/staff-login", json={"username": "clerk1", "password": "correct horse"},
                         headers={"X-Forwarded-For": "198.51.100.7"}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200


def test_a_citizen_sets_the_nickname_staff_will_see(client, wechat, db_session):
    import sqlalchemy as sa

    from api.events.models import Event

    citizen = citizen_login(client, wechat, "o-nickname")
    assert client.get("/me", headers=citizen).json["nickname"] is None
    saved = client.put("/me/profile", json={"nickname": "  街坊阿丽  "}, headers=citizen)
    assert saved.status_code == 200, saved.json
    assert saved.json["nickname"] == "街坊阿丽" and client.get("/me", headers=citizen).json["nickname"] == "街坊阿丽"
    assert client.put("/me/profile", json={"nickname": "街坊阿丽"}, headers=citizen).status_code == 200  # no change
    cleared = client.put("/me/profile", json={"nickname": None}, headers=citizen)
    assert cleared.status_code == 200 and cleared.json["nickname"] is None
    user = db_session.scalar(sa.select(User).where(User.openid == "o-nickname"))
    assert user.nickname is None
    changes = db_session.scalars(sa.select(Event.payload).where(
        Event.subject_type == "user", Event.subject_id == user.id, Event.action == "profile_updated")
        .order_by(Event.id)).all()
    assert changes == [{"nickname": "街坊阿丽"}, {"nickname": None}]


@pytest.mark.parametrize("body", [{}, {"nickname": ""}, {"nickname": "   "}, {"nickname": "长" * 33},
                                  {"nickname": 7}])
def test_a_nickname_is_one_to_thirty_two_characters(client, wechat, db_session, body):
    citizen = citizen_login(client, wechat, "o-nickname-bad")
    response = client.put("/me/profile", json=body, headers=citizen)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"
    assert client.put("/me/profile", json={"nickname": "长" * 32}, headers=citizen).status_code == 200


def test_staff_names_are_not_set_through_the_citizens_profile(client, db_session):
    staff = StaffFactory(roles=("intake_clerk",))
    response = client.put("/me/profile", json={"nickname": "我改名"}, headers=staff_token(staff))
    assert response.status_code == 403


def test_staff_see_a_citizen_by_nickname_else_by_a_masked_openid():
    from api.identity.names import masked_openid, person_name

    openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"  # 28 characters, as WeChat's are
    assert masked_openid(openid) == "oUpF****eS6o"
    assert masked_openid("o-short1") == "o-****t1" and masked_openid("abc") == "****"
    assert person_name(User(kind="citizen", openid=openid, nickname=None)) == "oUpF****eS6o"
    assert person_name(User(kind="citizen", openid=openid, nickname="阿丽")) == "阿丽"
    assert person_name(User(kind="staff", username="clerk", display_name="王受理")) == "王受理"
    assert person_name(None) is None
