"""An Open311 world: the district and its staff (the case engine's), an admin, and one registered client."""

import pytest

from tests.api.cases.conftest import build_world
from tests.factories.identity import StaffFactory
from tests.support import staff_token

HERE = {"lat": 23.1625, "long": 113.2628}  # WGS-84, in the demo grid
FORMATS = ("json", "xml")


def register(client, admin, name="市民热线平台", rate=60) -> dict:
    answer = client.post("/admin/open311/clients", json={"name": name, "rate_per_minute": rate}, headers=admin)
    assert answer.status_code == 201, answer.json
    return answer.json


@pytest.fixture
def o311(db_session, client, wechat):
    world = build_world(db_session, client, wechat)
    admin = staff_token(StaffFactory(roles=("admin",)))
    db_session.commit()
    key = register(client, admin)["api_key"]
    return {**world, "admin": admin, "key": key}


@pytest.fixture
def o311_live(api_server, committed, client, wechat):
    """The same world, committed, with the API on a real port (for an external client)."""
    world = build_world(committed, client, wechat)
    admin = staff_token(StaffFactory(roles=("admin",)))
    committed.commit()
    key = register(client, admin)["api_key"]
    return {**world, "admin": admin, "key": key, "base": api_server + "/open311/v2"}
