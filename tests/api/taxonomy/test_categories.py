"""The GB/T 30428 classes: seed, read, versioned edits, extension classes, access."""

import pytest

from api.reports.categories import CATEGORIES
from api.taxonomy import service
from tests.factories.identity import StaffFactory
from tests.support import staff_token


@pytest.fixture
def seeded(db_session):
    assert service.load_national() == 139 + 13  # the national classes and the shipped 燃气安全 ones
    assert service.load_national() == 0  # idempotent


@pytest.fixture
def admin(db_session):
    return staff_token(StaffFactory(roles=("admin",)))


def test_seed_has_events_and_components_with_limits(seeded, client, admin):
    events = client.get("/admin/categories?kind=event", headers=admin).json
    components = client.get("/admin/categories?kind=component&major_code=01", headers=admin).json
    assert len(events) == 54 + 13 and len(components) == 38
    gas = client.get("/admin/categories?kind=event&major_code=07", headers=admin).json
    assert [c["name"] for c in gas][:2] == ["燃气泄漏", "燃气设施私改"]
    assert {c["major_name"] for c in gas} == {"燃气安全"} and len(gas) == 13
    garbage = client.get("/admin/categories/event:01-02", headers=admin).json
    assert (garbage["name"], garbage["time_limit"], garbage["clock_type"]) == ("暴露垃圾", 1.0, "working_days")
    manhole = client.get("/admin/categories/component:01-01", headers=admin).json
    assert manhole["clock_type"] == "emergency_hours" and manhole["is_safety"] is True


def test_every_citizen_category_hint_names_a_seeded_class(seeded):
    for category in CATEGORIES:
        for code in category.gbt_hints:
            assert service.current(code).code == code


def test_an_edit_writes_a_new_version_and_keeps_the_old(seeded, client, admin):
    edited = client.patch("/admin/categories/event:01-02", json={"expected_version": 1, "time_limit": 4,
                                                                 "clock_type": "working_hours"}, headers=admin)
    assert edited.status_code == 200 and edited.json["version"] == 2 and edited.json["time_limit"] == 4.0
    versions = client.get("/admin/categories/event:01-02/versions", headers=admin).json
    assert [(v["version"], v["is_current"], v["clock_type"]) for v in versions] == [
        (1, False, "working_days"), (2, True, "working_hours")]
    stale = client.patch("/admin/categories/event:01-02", json={"expected_version": 1, "time_limit": 8},
                         headers=admin)
    assert stale.status_code == 409 and stale.json["error"]["code"] == "CATEGORY_VERSION_CONFLICT"
    same = client.patch("/admin/categories/event:01-02", json={"expected_version": 2, "time_limit": 4},
                        headers=admin)
    assert same.status_code == 400 and same.json["error"]["code"] == "NOTHING_CHANGED"


@pytest.mark.parametrize("body", [
    {"expected_version": 1, "time_limit": 0},
    {"expected_version": 1, "clock_type": "fortnights"},
    {"time_limit": 3},
])
def test_bad_edits_are_refused(seeded, client, admin, body):
    response = client.patch("/admin/categories/event:01-02", json=body, headers=admin)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"


def test_extension_classes_and_unknown_codes(seeded, client, admin):
    body = {"kind": "event", "major_code": "06", "major_name": "扩展事件", "minor_code": "01", "name": "共享单车堆积",
            "filing_condition": "x", "closing_condition": "y", "time_limit": 2, "clock_type": "working_days"}
    created = client.post("/admin/categories", json=body, headers=admin)
    assert created.status_code == 201 and created.json["code"] == "event:06-01"
    assert client.post("/admin/categories", json=body, headers=admin).json["error"]["code"] == "CATEGORY_EXISTS"
    assert client.get("/admin/categories/event:09-09", headers=admin).json["error"]["code"] == "CATEGORY_NOT_FOUND"


def test_only_admins_edit_and_citizens_cannot_read(seeded, client):
    clerk = staff_token(StaffFactory(roles=("intake_clerk",)))
    assert client.get("/admin/categories", headers=clerk).status_code == 200
    assert client.patch("/admin/categories/event:01-02", json={"expected_version": 1, "time_limit": 2},
                        headers=clerk).status_code == 403
