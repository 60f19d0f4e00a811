"""Citizen report lifecycle end to end: simulator login → report → photos → submit → worker → message."""

import io

import pytest

from api.media.models import Media
from tests.factories.identity import StaffFactory
from tests.support import BAIYUN_GCJ, citizen_login, jpeg, run_worker, staff_token, submit_new_report

pytestmark = pytest.mark.flow
TEMPLATE = "tmpl-report-progress"


def test_citizen_reports_and_is_notified_at_each_visible_change(client, wechat, committed):
    from api.taxonomy.service import load_national

    load_national()
    alice = citizen_login(client, wechat, "o-flow-alice")
    # The user taps "allow" twice in wx.requestSubscribeMessage (WeChat side) and the app tells us.
    wechat.allow("o-flow-alice", TEMPLATE, count=2)
    for _ in range(2):
        assert client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice).status_code == 200

    created = client.post("/reports", json={"description": "小区门口垃圾堆积三天无人清运", "location": BAIYUN_GCJ,
                                            "category_hint": "exposed_garbage", "address_text": "白云区三元里大道"},
                          headers={**alice, "Idempotency-Key": "flow-create-0001"})
    assert created.status_code == 201
    report_id = created.json["id"]
    for shade in (60, 90):
        photo = {"photo": (io.BytesIO(jpeg(1920, 1080, color=(shade, 100, 80))), "p.jpg")}
        response = client.post(f"/reports/{report_id}/photos", data=photo, headers=alice,
                               content_type="multipart/form-data")
        assert response.status_code == 201

    mine = client.get("/reports", headers=alice).json
    assert mine["total"] == 1 and mine["items"][0]["status"] == "draft"
    submitted = client.post(f"/reports/{report_id}/submit", headers=alice)
    assert submitted.json["status"] == "submitted"

    run_worker()  # a real RQ worker, burst mode, real Redis
    sent = wechat.messages("o-flow-alice")
    assert len(sent) == 1
    assert sent[0]["template_id"] == TEMPLATE and sent[0]["page"] == f"pages/report/detail?id={report_id}"
    assert sent[0]["data"]["phrase3"]["value"] == "待受理"
    assert sent[0]["data"]["character_string1"]["value"] == created.json["report_no"]
    # the derivative job ran too
    media = committed.query(Media).filter_by(owner_id=report_id).all()
    assert len(media) == 2 and all(m.display_key and m.thumb_key for m in media)

    clerk = StaffFactory(roles=("intake_clerk",))
    queue = client.get("/cases?desk=intake", headers=staff_token(clerk)).json
    assert queue["total"] == 1 and queue["items"][0]["category_code"] == "event:01-02"
    accepted = client.post(f"/cases/{queue['items'][0]['id']}/accept", json={"note": "已立案，转环卫处置"},
                           headers=staff_token(clerk))
    assert accepted.status_code == 200
    run_worker()
    sent = wechat.messages("o-flow-alice")
    assert [m["data"]["phrase3"]["value"] for m in sent] == ["待受理", "已立案"]

    detail = client.get(f"/reports/{report_id}", headers=alice).json
    assert detail["status"] == "accepted"
    assert [e["label"] for e in detail["timeline"]] == ["创建草稿", "已提交，等待受理", "已立案"]
    notes = client.get("/me/notifications", headers=alice).json
    assert [n["status"] for n in notes] == ["sent", "sent"]
    assert client.get("/me/subscriptions", headers=alice).json == [{"template_id": TEMPLATE, "remaining": 0}]


def test_a_report_is_dispatched_handled_checked_closed_and_rated(client, wechat, committed):
    from api.calendar.service import load_shipped
    from api.organisation import grids
    from api.organisation import queries as organisation
    from api.organisation.service import load_demo_organisation, load_divisions
    from api.routing.service import load_demo_rules
    from api.taxonomy.service import load_national

    load_divisions()
    load_demo_organisation()
    load_national()
    load_demo_rules()
    load_shipped()
    grids.import_geojson(grids.demo_grid((113.1445, 23.1406, 113.5049, 23.4313),
                                         [s.code for s in organisation.streets()]), demo=True)
    sanitation = organisation.get_department_by_code("sanitation")
    clerk, dispatcher = StaffFactory(roles=("intake_clerk",)), StaffFactory(roles=("dispatcher",))
    handler = StaffFactory(roles=("dept_handler",), scope_department_id=sanitation.id)
    supervisor = StaffFactory(roles=("supervisor",))
    alice = citizen_login(client, wechat, "o-flow-close")
    wechat.allow("o-flow-close", TEMPLATE, count=4)
    client.post("/me/subscriptions", json={"template_ids": [TEMPLATE] * 4}, headers=alice)  # four taps on "allow"

    report_id = submit_new_report(client, alice, "垃圾桶满溢")
    case_id = client.get("/cases?desk=intake", headers=staff_token(clerk)).json["items"][0]["id"]
    steps = [(clerk, "accept", {}), (dispatcher, "dispatch", {}), (handler, "receive", {})]
    for who, action, body in steps:
        assert client.post(f"/cases/{case_id}/{action}", json=body, headers=staff_token(who)).status_code == 200
    photo = {"photo": (io.BytesIO(jpeg(color=(10, 200, 10))), "after.jpg")}
    assert client.post(f"/cases/{case_id}/photos?kind=after_photo", data=photo, headers=staff_token(handler),
                       content_type="multipart/form-data").status_code == 201
    client.post(f"/cases/{case_id}/result", json={"result_text": "已清运并消杀"}, headers=staff_token(handler))
    closed = client.post(f"/cases/{case_id}/check", json={"passed": True}, headers=staff_token(supervisor))
    assert closed.json["status"] == "closed"

    run_worker()
    phrases = [m["data"]["phrase3"]["value"] for m in wechat.messages("o-flow-close")]
    assert phrases == ["待受理", "已立案", "处置中", "已办结"]
    detail = client.get(f"/reports/{report_id}", headers=alice).json
    assert detail["status"] == "resolved" and detail["result"]["text"] == "已清运并消杀"
    assert client.post(f"/reports/{report_id}/rating", json={"score": 4, "comment": "满意"},
                       headers=alice).status_code == 201
    reopened = client.post(f"/reports/{report_id}/reopen", json={"reason": "第二天又满了"}, headers=alice)
    assert reopened.json["status"] == "accepted"
    assert client.get("/cases?desk=dispatch", headers=staff_token(dispatcher)).json["items"][0]["id"] == case_id


def test_without_quota_the_notification_ends_visibly_as_no_quota(client, wechat, committed):
    alice = citizen_login(client, wechat, "o-flow-noquota")
    submit_new_report(client, alice, "路灯不亮", hint=None)
    run_worker()
    assert wechat.messages("o-flow-noquota") == []
    assert [n["status"] for n in client.get("/me/notifications", headers=alice).json] == ["no_quota"]
    assert wechat.calls().get("subscribe_send", 0) == 0  # no pointless call to WeChat


def test_wechat_side_refusal_43101_ends_as_no_quota_and_keeps_nothing_reserved(client, wechat, committed):
    alice = citizen_login(client, wechat, "o-flow-43101")
    client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice)  # app says yes, WeChat no
    submit_new_report(client, alice, "井盖缺失", hint=None)
    run_worker()
    note = client.get("/me/notifications", headers=alice).json[0]
    assert note["status"] == "no_quota" and "43101" not in (note["last_error"] or "x")


def test_busy_wechat_is_retried_with_backoff_then_sent(client, wechat, committed):
    alice = citizen_login(client, wechat, "o-flow-retry")
    wechat.allow("o-flow-retry", TEMPLATE)
    client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice)
    wechat.fault("subscribe_send", errcode=-1, times=2)
    submit_new_report(client, alice, "道路破损", hint=None)
    run_worker()
    note = client.get("/me/notifications", headers=alice).json[0]
    assert note["status"] == "sent" and note["attempts"] == 3
    assert len(wechat.messages("o-flow-retry")) == 1


def test_retries_exhausted_end_failed_with_the_reason_and_the_quota_returned(client, wechat, committed):
    alice = citizen_login(client, wechat, "o-flow-fail")
    wechat.allow("o-flow-fail", TEMPLATE)
    client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice)
    wechat.fault("subscribe_send", errcode=-1, times=-1)
    submit_new_report(client, alice, "占道经营", hint=None)
    run_worker()
    note = client.get("/me/notifications", headers=alice).json[0]
    assert note["status"] == "failed" and note["attempts"] == 4 and "WeChatUnavailable" in note["last_error"]
    assert client.get("/me/subscriptions", headers=alice).json[0]["remaining"] == 1
