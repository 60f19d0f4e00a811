"""No input a client can send gets a 500: each answers a 4xx with a stable code and stores nothing."""

import json

import pytest
import sqlalchemy as sa

from api.reports.models import Report
from tests.factories.identity import StaffFactory
from tests.support import BAIYUN_GCJ, citizen_login, staff_token

BIG = 2**64 + 1


@pytest.fixture
def alice(client, wechat, db_session):
    return citizen_login(client, wechat, "o-hostile")


@pytest.fixture
def clerk(db_session):
    return staff_token(StaffFactory(roles=("intake_clerk", "dispatcher", "command_centre", "admin")))


def reports_stored(db_session) -> int:
    return db_session.scalar(sa.select(sa.func.count()).select_from(Report))


@pytest.mark.parametrize("path, status, code", [
    (f"/reports/{BIG}", 404, "NOT_FOUND"), (f"/reports/{2**63}", 404, "NOT_FOUND"),
    (f"/reports/{10**40}/photos/1", 405, "METHOD_NOT_ALLOWED"),  # a photo is only ever DELETEd by that path
])
def test_ids_beyond_64_bits_in_the_path_are_not_found(client, alice, path, status, code):
    response = client.get(path, headers=alice)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)


@pytest.mark.parametrize("query", [f"page={BIG}", "page=99999999999999999999999999", f"page_size={BIG}"])
def test_page_numbers_beyond_range_are_refused(client, alice, query):
    response = client.get(f"/reports?{query}", headers=alice)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"


def test_ids_beyond_64_bits_inside_bodies_are_refused(client, clerk):
    response = client.post("/cases/1/merge", json={"into_case_id": BIG}, headers=clerk)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"
    head = staff_token(StaffFactory(roles=("dept_head",)))
    receive = client.post("/cases/1/receive", json={"handler_id": -BIG}, headers=head)
    assert receive.status_code == 400 and receive.json["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("text", ["\x00", "垃圾\x00堆放", "\ud800 lone", "end \udfff"])
def test_text_with_nul_or_lone_surrogates_is_refused(client, alice, db_session, text):
    body = json.dumps({"description": text + " 描述", "location": BAIYUN_GCJ})  # json.dumps escapes: \\u0000 …
    response = client.post("/reports", data=body, content_type="application/json", headers=alice)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"
    assert reports_stored(db_session) == 0


def test_nul_in_a_query_string_is_refused(client, clerk):
    response = client.get("/cases?desk=intake&street_code=%00", headers=clerk)
    assert response.status_code == 400


@pytest.mark.parametrize("description", ["   ", "\u3000\u3000", " \n\t "])
def test_a_description_of_only_spaces_is_refused(client, alice, db_session, description):
    response = client.post("/reports", json={"description": description, "location": BAIYUN_GCJ}, headers=alice)
    assert response.status_code == 400 and "description" in response.json["error"]["details"]["fields"]
    assert reports_stored(db_session) == 0


@pytest.mark.parametrize("body, code", [
    ("[" * 5000 + "]" * 5000, "INVALID_JSON"),  # deeper than Python's recursion limit
    ('{"description": ' + "[" * 40 + "]" * 40 + "}", "INVALID_JSON"),  # deeper than the parser's nesting limit
    # beyond int's digit limit
    ('{"description": "x", "location": {"lat": ' + "9" * 5000 + ', "lon": 113.26}}', "INVALID_JSON"),
    ('{"description": "xx", "location": {"lat": 2' + "3" * 400 + ', "lon": 113.26}}', "INVALID_JSON"),
    ('{"description": "xx", "location": {"lat": 1e999, "lon": 113.26}}', "VALIDATION_ERROR"),  # inf: out of range
    ('{"description": "xx", "location": {"lat": NaN, "lon": 113.26}}', "INVALID_JSON"),
    ('{"description": "xx", "location": {"lat": Infinity, "lon": 113.26}}', "INVALID_JSON"),
])
def test_absurd_json_is_refused(client, alice, db_session, body, code):
    response = client.post("/reports", data=body, content_type="application/json", headers=alice)
    assert (response.status_code, response.json["error"]["code"]) == (400, code)
    assert reports_stored(db_session) == 0


@pytest.mark.parametrize("period", ["from=0001-01-01&to=9999-12-31", "from=9999-12-30&to=9999-12-31",
                                    "from=2026-01-01&to=9999-12-31", "from=1900-01-01&to=2026-01-01"])
def test_statistics_periods_at_the_limits_are_refused(client, clerk, period):
    response = client.get(f"/statistics?group_by=street&{period}", headers=clerk)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("until", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_times_that_do_not_exist_in_utc_are_refused(client, clerk, until):
    response = client.post("/cases/1/extend", json={"until": until, "reason": "时间越界"}, headers=clerk)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"


def test_a_rating_score_must_be_a_whole_number(client, alice):
    response = client.post("/reports/1/rating", json={"score": 1.5}, headers=alice)
    assert response.status_code == 400 and "score" in response.json["error"]["details"]["fields"]


def test_every_page_number_and_size_on_every_list_is_bounded(client):
    """A page a client makes up can never become an offset beyond 64 bits: every paged list declares both bounds."""
    from api.paging import PAGE_MAX

    spec = client.get("/openapi.json").json
    paged = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":  # the path's own (path ids)
                continue
            params = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p.get("in") == "query"}
            if "page" not in params and "page_size" not in params:
                continue
            paged += 1
            assert params["page"].get("minimum") == 1 and params["page"].get("maximum") == PAGE_MAX, (method, path)
            assert 1 <= params["page_size"].get("maximum", 2**64) <= 500, (method, path)
    assert paged >= 4  # the desks, the grid register, the inbox, a citizen's reports


@pytest.mark.parametrize("path", ["/admin/grids", "/me/inbox", "/cases?desk=intake"])
def test_the_largest_64_bit_page_is_refused_not_a_500(client, clerk, path):
    glue = "&" if "?" in path else "?"
    response = client.get(f"{path}{glue}page={2**63 - 1}", headers=clerk)
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"


@pytest.mark.parametrize("sub", [str(10**30), str(2**63), "0", "-5", "abc"])
def test_a_properly_signed_token_naming_an_impossible_user_is_401(client, config, db_session, sub):
    from datetime import timedelta

    import jwt

    from api.db import utcnow
    token = jwt.encode({"sub": sub, "iss": "suiyun-city", "iat": utcnow(), "exp": utcnow() + timedelta(hours=1)},
                       config.SECRET_KEY, algorithm="HS256")
    response = client.get("/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401 and response.json["error"]["code"] == "TOKEN_INVALID"
