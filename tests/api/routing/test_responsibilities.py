"""The 权责清单: street line, district line, street office as owner of last resort (属地兜底)."""

import pytest

from api.organisation.service import load_demo_organisation, load_divisions
from api.routing import service
from api.taxonomy.service import load_national
from tests.factories.identity import StaffFactory
from tests.support import staff_token

SANYUANLI, JINGTAI = "440111002000", "440111004000"


@pytest.fixture
def admin(db_session):
    load_divisions()
    load_demo_organisation()
    load_national()
    db_session.commit()
    return staff_token(StaffFactory(roles=("admin",)))


def resolve(client, headers, code, street):
    return client.get(f"/admin/responsibilities/resolve?category_code={code}&street_code={street}",
                      headers=headers).json


def test_street_rule_beats_district_rule_beats_the_street_office(client, admin):
    owner = resolve(client, admin, "event:01-02", SANYUANLI)
    assert (owner["basis"], owner["department_code"], owner["department_name"]) == (
        "territorial", "street-002", "三元里街道办事处")
    assert client.put("/admin/responsibilities", json={"category_code": "event:01-02",
                                                       "department_code": "sanitation"},
                      headers=admin).status_code == 200
    assert resolve(client, admin, "event:01-02", SANYUANLI)["basis"] == "district_rule"
    street_rule = client.put("/admin/responsibilities", json={"category_code": "event:01-02", "division_code": JINGTAI,
                                                              "department_code": "law_enforcement"}, headers=admin)
    assert resolve(client, admin, "event:01-02", JINGTAI)["department_code"] == "law_enforcement"
    assert resolve(client, admin, "event:01-02", SANYUANLI)["department_code"] == "sanitation"
    assert client.delete(f"/admin/responsibilities/{street_rule.json['id']}", headers=admin).status_code == 204
    assert resolve(client, admin, "event:01-02", JINGTAI)["department_code"] == "sanitation"


def test_setting_a_line_twice_updates_it(client, admin):
    for dept in ("sanitation", "municipal"):
        client.put("/admin/responsibilities", json={"category_code": "event:01-10", "department_code": dept},
                   headers=admin)
    rules = client.get("/admin/responsibilities?category_code=event:01-10", headers=admin).json
    assert len(rules) == 1


def test_towns_have_a_government_as_their_office(client, admin):
    assert resolve(client, admin, "event:05-01", "440111103000")["department_name"] == "人和镇人民政府"


@pytest.mark.parametrize("body, status, code", [
    ({"category_code": "event:01-02", "department_code": "nobody"}, 400, "UNKNOWN_DEPARTMENT"),
    ({"category_code": "event:01-02", "division_code": "440111002901", "department_code": "sanitation"}, 400,
     "UNKNOWN_STREET"),
    ({"category_code": "event:09-09", "department_code": "sanitation"}, 404, "CATEGORY_NOT_FOUND"),
    ({"category_code": "garbage", "department_code": "sanitation"}, 400, "VALIDATION_ERROR"),
])
def test_bad_lines_are_refused(client, admin, body, status, code):
    response = client.put("/admin/responsibilities", json=body, headers=admin)
    assert response.status_code == status and response.json["error"]["code"] == code


def test_demo_list_assigns_by_major_class_with_exceptions(admin, db_session):
    assert service.load_demo_rules() > 0
    assert service.responsible("event:01-02", SANYUANLI).department.code == "sanitation"
    assert service.responsible("event:01-01", SANYUANLI).department.code == "law_enforcement"
    assert service.responsible("event:05-01", SANYUANLI).basis == "territorial"  # 街面秩序: the street's own
