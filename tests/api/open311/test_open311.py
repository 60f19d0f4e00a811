"""The Open311 GeoReport v2 façade: what a client files becomes a case at the 受理 desk; what the public follows are
the cases staff accepted, without anyone's own words or numbers; keys, rates and errors in the specification's
shape — every test in both formats."""

import dataclasses
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.cases.models import Case
from api.config import init_config
from api.db import utcnow
from api.open311.models import Open311Request
from api.outbox.models import OutboxJob
from api.reports.models import Report
from tests.api.cases.conftest import act, after_photo, new_case
from tests.api.open311.conftest import FORMATS, HERE, register
from tests.support import run_worker

pytestmark = pytest.mark.parametrize("fmt", FORMATS)


def body(answer, fmt):
    """The answer as JSON-like data: XML read back into the same lists and dicts (the errors' codes as ints)."""
    if fmt == "json":
        assert answer.mimetype == "application/json"
        return answer.json
    assert answer.mimetype == "text/xml"
    root = ET.fromstring(answer.get_data())
    return [{child.tag: (int(child.text) if child.tag == "code" else child.text) for child in item} for item in root]


def errors(answer, fmt, status: int) -> str:
    assert answer.status_code == status, answer.get_data(as_text=True)
    found = body(answer, fmt)
    assert len(found) == 1 and found[0]["code"] == status and found[0]["description"]
    return found[0]["description"]


def file(client, fmt, key, **fields):
    return client.post(f"/open311/v2/requests.{fmt}", data={"api_key": key, "service_code": "exposed_garbage",
                                                           **HERE, **fields})


def test_services_list_the_citizen_categories_with_their_group_and_keywords(client, o311, fmt):
    services = body(client.get(f"/open311/v2/services.{fmt}"), fmt)
    garbage = next(s for s in services if s["service_code"] == "exposed_garbage")
    assert garbage["service_name"] == "暴露垃圾/垃圾堆放" and garbage["group"] == "市容环境"
    assert "垃圾堆" in garbage["keywords"].split(",") and garbage["metadata"] in (False, "false")
    assert {s["service_code"] for s in services} >= {"illegal_parking", "street_light", "other"}
    definition = client.get(f"/open311/v2/services/street_light.{fmt}")
    assert definition.status_code == 200
    errors(client.get(f"/open311/v2/services/unicorns.{fmt}"), fmt, 404)


def test_a_filed_request_waits_at_the_intake_desk_never_dispatched_on_its_own(client, o311, fmt, db_session):
    answer = file(client, fmt, o311["key"], description="路口垃圾堆了三天，联系我 13812345678",
                  media_url="https://app.example/p/1.jpg", first_name="张", phone="13812345678")
    assert answer.status_code == 201
    (filed,) = body(answer, fmt)
    token = filed["token"]
    row = db_session.scalar(sa.select(Open311Request).where(Open311Request.token == token))
    case = db_session.get(Case, row.case_id)
    assert (case.source, case.status, case.category_code) == ("open311", "pending", "event:01-02")
    assert row.media_url == "https://app.example/p/1.jpg" and row.contact["phone"] == "13812345678"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0  # no citizen report: no WeChat check
    jobs = db_session.scalars(sa.select(OutboxJob.func)).all()
    assert not any("classify" in j or "route_report" in j or "content" in j for j in jobs)
    case_id = case.id
    run_worker()  # the classifier suggests (the 小类 it was filed under, its words), and decides nothing
    suggested = client.get(f"/cases/{case_id}", headers=o311["t"]["clerk"]).json
    assert suggested["status"] == "pending" and suggested["suggestions"][0]["code"] == "event:01-02"
    desk = client.get("/cases?desk=intake", headers=o311["t"]["clerk"]).json["items"]
    assert row.case_id in [c["id"] for c in desk]
    (only_token,) = body(client.get(f"/open311/v2/tokens/{token}.{fmt}"), fmt)
    assert only_token == {"token": token}  # not public until a person accepts it
    assert body(client.get(f"/open311/v2/requests.{fmt}"), fmt) == []


def test_a_request_is_followed_as_staff_move_it_to_closed(client, o311, fmt, db_session):
    token = body(file(client, fmt, o311["key"], description="垃圾"), fmt)[0]["token"]
    case_id = db_session.scalar(sa.select(Open311Request.case_id).where(Open311Request.token == token))
    t = o311["t"]
    assert act(client, t["clerk"], case_id, "accept", {"citizen_remark": "已立案，电话 020-86001234 可咨询\x0b"}
               ).status_code == 200  # a control character XML cannot carry: dropped, the XML stays well-formed
    (ticket,) = body(client.get(f"/open311/v2/tokens/{token}.{fmt}"), fmt)
    request_id = ticket["service_request_id"]
    (seen,) = body(client.get(f"/open311/v2/requests/{request_id}.{fmt}"), fmt)
    assert seen["status"] == "open" and seen["service_code"] == "exposed_garbage"
    assert seen["requested_datetime"].endswith("+08:00")
    assert "020-****1234" in (seen["status_notes"] or "") and "86001234" not in (seen["description"] or "")
    act(client, t["dispatcher"], case_id, "dispatch")
    (dispatched,) = body(client.get(f"/open311/v2/requests/{request_id}.{fmt}"), fmt)
    assert dispatched["agency_responsible"] == "区环卫所" and dispatched["expected_datetime"].endswith("+08:00")
    act(client, t["handler"], case_id, "receive")
    assert after_photo(client, t["handler"], case_id).status_code == 201
    act(client, t["handler"], case_id, "result", {"result_text": "已清运"})
    assert act(client, t["supervisor"], case_id, "check", {"passed": True}).json["status"] == "closed"
    (closed,) = body(client.get(f"/open311/v2/requests/{request_id}.{fmt}"), fmt)
    assert closed["status"] == "closed" and not closed.get("expected_datetime")
    listed = body(client.get(f"/open311/v2/requests.{fmt}?status=closed"), fmt)
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert body(client.get(f"/open311/v2/requests.{fmt}?status=open"), fmt) == []


def test_the_public_list_never_carries_a_citizens_words_or_numbers(client, o311, fmt, db_session):
    t = o311["t"]
    report_id, case_id = new_case(client, t)  # a citizen's report, with their own description
    run_worker()  # the WeChat content check passes its photo (a photo not yet checked is never shown)
    words = db_session.get(Report, report_id).description
    assert body(client.get(f"/open311/v2/requests.{fmt}"), fmt) == []  # not accepted yet: not listed
    act(client, t["clerk"], case_id, "accept", {"citizen_remark": "身份证 440111199001011234 的市民请来电"})
    (seen,) = body(client.get(f"/open311/v2/requests.{fmt}"), fmt)
    text = " ".join(str(v) for v in seen.values() if v)
    assert words not in text and "440111199001011234" not in text and "440111************" in text
    assert seen["address"] and seen["lat"] and seen["long"]  # the street and the point (WGS-84), not what was typed
    assert seen["media_url"] and "/media/" in seen["media_url"] and "/display" in seen["media_url"]


@pytest.mark.parametrize(("fields", "status"), [
    ({"service_code": "unicorns"}, 404),
    ({"lat": "", "long": "", "address_string": "三元里大道1号"}, 400),
    ({"lat": 22.54, "long": 114.05}, 400),  # Shenzhen
    ({"lat": "north"}, 400),
    ({"media_url": "javascript:alert(1)"}, 400),
    ({"description": "x" * 4001}, 400),
])
def test_bad_requests_are_refused_in_the_specifications_shape(client, o311, fmt, fields, status):
    description = errors(file(client, fmt, o311["key"], **fields), fmt, status)
    assert description


def test_keys_missing_wrong_revoked_and_over_their_rate(client, o311, fmt, db_session):
    errors(client.post(f"/open311/v2/requests.{fmt}", data={"service_code": "exposed_garbage", **HERE}), fmt, 403)
    errors(file(client, fmt, "not-a-key"), fmt, 403)
    slow = register(client, o311["admin"], name="小程序聚合平台", rate=2)
    assert file(client, fmt, slow["api_key"]).status_code == 201
    assert file(client, fmt, slow["api_key"]).status_code == 201
    limited = file(client, fmt, slow["api_key"])
    errors(limited, fmt, 429)
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    revoked = client.post(f"/admin/open311/clients/{slow['id']}/revoke", json={"reason": "平台停用"},
                          headers=o311["admin"])
    assert revoked.status_code == 200 and revoked.json["active"] is False
    assert "吊销" in errors(file(client, fmt, slow["api_key"]), fmt, 403)
    listed = client.get("/admin/open311/clients", headers=o311["admin"]).json
    assert all("api_key" not in c and "key_digest" not in c for c in listed)
    assert client.get("/admin/open311/clients", headers=o311["t"]["clerk"]).status_code == 403


def test_public_reads_have_a_rate_per_address(client, o311, fmt, config):
    init_config(dataclasses.replace(config, OPEN311_READS_PER_MINUTE=3))
    for _ in range(3):
        assert client.get(f"/open311/v2/services.{fmt}").status_code == 200
    limited = client.get(f"/open311/v2/requests.{fmt}")
    assert "每分钟最多 3 次" in errors(limited, fmt, 429) and 1 <= int(limited.headers["Retry-After"]) <= 60
    assert file(client, fmt, o311["key"]).status_code == 201  # filing is counted per key, not per address


def test_the_list_filters_and_its_window(client, o311, fmt):
    now = utcnow()
    errors(client.get(f"/open311/v2/requests.{fmt}?start_date=yesterday"), fmt, 400)
    far = (now - timedelta(days=120)).isoformat()
    errors(client.get(f"/open311/v2/requests.{fmt}", query_string={"start_date": far, "end_date": now.isoformat()}),
           fmt, 400)
    errors(client.get(f"/open311/v2/requests.{fmt}?status=pending"), fmt, 400)
    errors(client.get(f"/open311/v2/requests.{fmt}?service_code=unicorns"), fmt, 400)
    assert client.get(f"/open311/v2/requests.{fmt}", query_string={
        "start_date": (now - timedelta(days=3)).isoformat(), "end_date": now.isoformat(),
        "service_code": "exposed_garbage,other", "status": "open,closed"}).status_code == 200
    errors(client.get(f"/open311/v2/requests/AJ2026120100000001.{fmt}"), fmt, 404)
    errors(client.get(f"/open311/v2/tokens/nope.{fmt}"), fmt, 404)


def test_unknown_urls_and_methods_answer_in_the_specifications_shape(client, o311, fmt):
    errors(client.get(f"/open311/v2/nothing-here.{fmt}"), fmt, 404)
    errors(client.open(f"/open311/v2/requests.{fmt}", method="PROPFIND"), fmt, 405)  # refused by the router itself
    errors(client.get(f"/open311/v2/requests.{fmt}?start_date=0001-01-01T00:00:00%2B08:00"), fmt, 400)  # no UTC
    assert body(client.get(f"/open311/v2/requests.{fmt}?end_date=9999-12-31"), fmt) == []  # held within 2000–2200
    errors(client.get(f"/open311/v2/requests/AJ20261207{'9' * 30}.{fmt}"), fmt, 404)
    errors(client.post(f"/open311/v2/requests.{fmt}?api_key={o311['key']}",
                       data={"service_code": "exposed_garbage", **HERE}), fmt, 403)  # a key in the URL is no key
    errors(client.delete(f"/open311/v2/requests.{fmt}"), fmt, 405)
    errors(client.put(f"/open311/v2/services.{fmt}"), fmt, 405)
    english = client.get(f"/open311/v2/services/unicorns.{fmt}", headers={"Accept-Language": "en"})
    assert "Unknown service_code" in errors(english, fmt, 404)
