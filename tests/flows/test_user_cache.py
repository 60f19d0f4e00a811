"""Two API processes each cache the users they authenticate (api/identity/cache.py): a change made through one is
obeyed by the other on the very next request — a signed-out token, a disabled account, a removed role."""

from __future__ import annotations

import pytest
import requests

from api.db import unit_of_work
from api.identity import service
from api.roles import Role
from tests.support import start_web, stop_group

pytestmark = pytest.mark.flow


def _as(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _code(response: requests.Response) -> str | None:
    return response.json()["error"]["code"] if response.status_code >= 400 else None


def test_a_change_through_one_process_is_obeyed_by_the_other_at_once(committed, config, wechat):
    with unit_of_work():
        service.create_staff("cache-admin", "p4ssword-admin", {Role.ADMIN})
        staff = service.create_staff("cache-staff", "p4ssword-staff", {Role.ADMIN, Role.INTAKE_CLERK})
        other = service.create_staff("cache-other", "p4ssword-other", {Role.INTAKE_CLERK})
    web = {"WEB_WORKERS": "1", "WEB_THREADS": "2", "LOGIN_MAX_PER_IP_PER_MIN": "1000"}
    (a, proc_a), (b, proc_b) = start_web(config, **web), start_web(config, **web)
    try:
        def login(username: str, password: str) -> str:
            answer = requests.post(a + "/auth/staff-login", json={"username": username, "password": password})
            return answer.json()["access_token"]

        admin_token, staff_token = login("cache-admin", "p4ssword-admin"), login("cache-staff", "p4ssword-staff")
        other_token = login("cache-other", "p4ssword-other")
        citizen = requests.post(a + "/auth/wechat-login", json={"code": wechat.login_code("o-cache")}).json()
        for base in (a, b):  # each process has every one of them cached
            for token in (admin_token, staff_token, other_token, citizen["access_token"]):
                assert requests.get(base + "/me", headers=_as(token)).status_code == 200
            assert requests.get(base + "/admin/staff", headers=_as(staff_token)).status_code == 200

        # a citizen signs out through A: the token is refused by B at once, a new login works everywhere
        assert requests.post(a + "/auth/sign-out", headers=_as(citizen["access_token"])).status_code == 204
        refused = requests.get(b + "/me", headers=_as(citizen["access_token"]))
        assert (refused.status_code, _code(refused)) == (401, "TOKEN_INVALID")
        again = requests.post(b + "/auth/wechat-login", json={"code": wechat.login_code("o-cache")}).json()
        assert requests.get(a + "/me", headers=_as(again["access_token"])).status_code == 200

        # an administrator removes a role through A: B refuses what the role allowed on the very next request
        changed = requests.patch(f"{a}/admin/staff/{staff.id}", json={"roles": ["intake_clerk"]},
                                 headers=_as(admin_token))
        assert changed.status_code == 200
        refused = requests.get(b + "/admin/staff", headers=_as(staff_token))
        assert (refused.status_code, _code(refused)) == (403, "ROLE_NOT_ALLOWED")
        assert requests.get(b + "/me", headers=_as(staff_token)).json()["roles"] == ["intake_clerk"]

        # … disables the account through B: A refuses its token on the very next request
        assert requests.patch(f"{b}/admin/staff/{staff.id}", json={"is_active": False},
                              headers=_as(admin_token)).status_code == 200
        refused = requests.get(a + "/me", headers=_as(staff_token))
        assert (refused.status_code, _code(refused)) == (401, "TOKEN_INVALID")

        # … signs another staff member out everywhere through A: B refuses the token, the account still logs in
        assert requests.post(f"{a}/admin/staff/{other.id}/sign-out", headers=_as(admin_token)).status_code == 204
        refused = requests.get(b + "/me", headers=_as(other_token))
        assert (refused.status_code, _code(refused)) == (401, "TOKEN_INVALID")
        assert requests.get(b + "/me", headers=_as(login("cache-other", "p4ssword-other"))).status_code == 200
    finally:
        stop_group(proc_a.pid, proc=proc_a)
        stop_group(proc_b.pid, proc=proc_b)
