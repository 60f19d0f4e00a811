"""The authentication cache (api/identity/cache.py) and signing out: a cached user costs no query, any change to
the user is seen by the next request, and each failure mode is handled as the module says."""

from __future__ import annotations

import dataclasses

import redis

from api import db
from api.config import get_config, init_config
from api.identity import cache, service
from api.identity.models import User
from api.roles import Role
from tests.console.conftest import sign_in
from tests.factories.identity import StaffFactory
from tests.support import bearer, citizen_login, sql_statements, staff_token


def test_a_cached_user_costs_no_query_and_a_change_is_read_afresh(client, wechat, db_session):
    headers = citizen_login(client, wechat, "o-cached")
    assert client.get("/me", headers=headers).status_code == 200  # fills the cache
    with sql_statements(db_session) as statements:
        assert client.get("/me", headers=headers).json["nickname"] is None
    assert statements == []
    assert client.put("/me/profile", json={"nickname": "阿明"}, headers=headers).status_code == 200
    with sql_statements(db_session) as statements:
        assert client.get("/me", headers=headers).json["nickname"] == "阿明"
    assert any("FROM users" in s for s in statements)  # the change gave the user a new version


def test_a_user_this_unit_of_work_holds_is_returned_as_it_is(db_session):
    clerk = StaffFactory(roles=("intake_clerk",))
    db_session.commit()
    cache.get(clerk.id)  # cached
    held = db_session.get(User, clerk.id)
    held.display_name = "改了还没写"
    assert cache.get(clerk.id) is held and held in db_session  # not swapped for the cached copy, not detached
    db_session.flush()
    assert db_session.get(User, clerk.id).display_name == "改了还没写"


def test_without_redis_the_user_is_read_from_the_database(client, wechat, db_session, monkeypatch):
    headers = citizen_login(client, wechat, "o-no-redis")
    client.get("/me", headers=headers)

    class Down:
        def get(self, _key):
            raise redis.ConnectionError("down")

    monkeypatch.setattr(cache, "_redis", Down)
    with sql_statements(db_session) as statements:
        assert client.get("/me", headers=headers).status_code == 200
    assert any("FROM users" in s for s in statements)


def test_a_change_redis_cannot_hear_of_is_not_made_but_logins_go_on(client, wechat, db_session, monkeypatch):
    admin, clerk = StaffFactory(roles=("admin",)), StaffFactory(roles=("intake_clerk",))

    def refuse(_ids):
        raise redis.ConnectionError("down")

    monkeypatch.setattr(cache, "_bump", refuse)
    refused = client.patch(f"/admin/staff/{clerk.id}", json={"is_active": False}, headers=staff_token(admin))
    assert (refused.status_code, refused.json["error"]["code"]) == (503, "SERVICE_UNAVAILABLE")
    refused = client.post(f"/admin/staff/{clerk.id}/sign-out", headers=staff_token(admin))
    assert refused.status_code == 503
    # a login only records its time: it is not held up by the outage
    assert client.post("/auth/wechat-login", json={"code": wechat.login_code("o-outage")}).status_code == 200
    assert client.post("/auth/staff-login", json={"username": clerk.username, "password": "correct horse"}
                       ).status_code == 200
    monkeypatch.undo()
    db_session.expire_all()
    assert db_session.get(User, clerk.id).is_active and db_session.get(User, clerk.id).token_epoch == 0
    assert client.get("/me", headers=staff_token(clerk)).status_code == 200


def test_a_rolled_back_savepoint_keeps_the_outer_change_announced(db_session):
    clerk = StaffFactory(roles=("intake_clerk",))
    db_session.commit()
    before = cache._redis().get(cache.VERSION_KEY.format(clerk.id))
    with db.unit_of_work():
        service.update_staff(clerk.id, service.Actor.system(), roles={Role.INTAKE_CLERK, Role.DISPATCHER})
        try:
            with db_session.begin_nested():
                db_session.add(User(kind="citizen", openid=None))  # violates identity_present
        except Exception:  # noqa: BLE001 - the savepoint's own failure
            pass
    assert cache._redis().get(cache.VERSION_KEY.format(clerk.id)) not in (None, before)


def test_max_age_zero_turns_the_cache_off(client, wechat, db_session):
    init_config(dataclasses.replace(get_config(), USER_CACHE_MAX_AGE_S=0))
    headers = citizen_login(client, wechat, "o-uncached")
    client.get("/me", headers=headers)
    with sql_statements(db_session) as statements:
        client.get("/me", headers=headers)
    assert any("FROM users" in s for s in statements)


def test_signing_out_refuses_every_token_of_the_caller(client, wechat, db_session):
    first = citizen_login(client, wechat, "o-two-phones")
    second = citizen_login(client, wechat, "o-two-phones")
    assert client.post("/auth/sign-out", headers=first).status_code == 204
    for headers in (first, second):
        refused = client.get("/me", headers=headers)
        assert (refused.status_code, refused.json["error"]["code"]) == (401, "TOKEN_INVALID")
    assert client.get("/me", headers=citizen_login(client, wechat, "o-two-phones")).status_code == 200
    user = db_session.query(User).filter_by(openid="o-two-phones").one()
    assert user.token_epoch == 1


def test_an_administrator_signs_a_staff_member_out_of_the_api_and_the_console(app, client, db_session):
    admin, clerk = StaffFactory(roles=("admin",)), StaffFactory(roles=("intake_clerk",))
    citizen_staff = StaffFactory(roles=("intake_clerk",))
    db_session.commit()
    console = sign_in(app, clerk)
    assert console.get("/console/desks/intake").status_code == 200
    headers = staff_token(clerk)
    assert client.post(f"/admin/staff/{clerk.id}/sign-out", headers=staff_token(citizen_staff)).status_code == 403
    assert client.post(f"/admin/staff/{clerk.id}/sign-out", headers=staff_token(admin)).status_code == 204
    assert client.get("/me", headers=headers).status_code == 401
    gone = console.get("/console/desks/intake")
    assert gone.status_code == 302 and "/console/sign-in" in gone.headers["Location"]
    assert client.post("/admin/staff/999999/sign-out", headers=staff_token(admin)).json["error"]["code"] == \
        "STAFF_NOT_FOUND"
    assert sign_in(app, clerk).get("/console/desks/intake").status_code == 200  # the account itself still works


def test_a_token_from_another_epoch_is_refused(client, wechat, db_session):
    headers = citizen_login(client, wechat, "o-epoch")
    user = db_session.query(User).filter_by(openid="o-epoch").one()
    from api.identity import tokens

    forged_future = tokens.issue(user.id, "citizen", get_config().SECRET_KEY, 600, epoch=user.token_epoch + 1)[0]
    assert client.get("/me", headers=bearer(forged_future)).status_code == 401
    assert client.get("/me", headers=headers).status_code == 200
