"""WeChat's content checks run as jobs: no citizen request waits on them, and every verdict lands somewhere.

A risky draft cannot be submitted; a draft still being checked can, and a verdict after the submit flags the
case for the intake clerk; an outage ends `unchecked` and flagged, never lost."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from api.cases.queries import case_of_report
from api.events.models import Event
from api.media.models import Media
from api.notifications.models import StaffNotice
from api.reports.models import Report
from api.taxonomy.service import load_national
from tests.factories.identity import StaffFactory
from tests.support import BAIYUN_GCJ, citizen_login, jpeg, staff_token
from workers.content_check import check_content

GOOD = {"description": "人行道上有暴露垃圾", "location": BAIYUN_GCJ, "category_hint": "exposed_garbage"}
RED = jpeg(color=(255, 0, 0), pattern=False)  # the simulator judges a saturated red picture risky


@pytest.fixture
def alice(client, wechat, db_session):
    load_national()
    return citizen_login(client, wechat, "o-alice-checks")


@pytest.fixture
def clerk(db_session):
    user = StaffFactory(roles=("intake_clerk",))
    db_session.commit()
    return user


def draft(client, headers, description=GOOD["description"], photo=None) -> int:
    response = client.post("/reports", json={**GOOD, "description": description}, headers=headers)
    assert response.status_code == 201, response.json
    upload(client, headers, response.json["id"], photo or jpeg())
    return response.json["id"]


def upload(client, headers, report_id, data):
    response = client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(data), "p.jpg")},
                           headers=headers, content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    return response.json["id"]


def checked(db_session, report_id) -> tuple[str, list[str]]:
    db_session.expire_all()
    photos = db_session.scalars(sa.select(Media.content_check).where(Media.owner_id == report_id)).all()
    return db_session.get(Report, report_id).content_check, list(photos)


def test_no_citizen_request_calls_wechats_content_security(client, alice, wechat, db_session):
    report_id = draft(client, alice)
    assert client.post(f"/reports/{report_id}/submit", headers=alice).status_code == 200
    calls = wechat.calls()
    assert calls.get("msg_sec_check", 0) == 0 and calls.get("img_sec_check", 0) == 0
    assert checked(db_session, report_id) == ("pending", ["pending"])
    assert check_content() == 2  # the job: the text and the photo
    calls = wechat.calls()
    assert calls["msg_sec_check"] == 1 and calls["img_sec_check"] == 1
    assert checked(db_session, report_id) == ("pass", ["pass"])
    assert check_content() == 0  # nothing asked twice


def test_risky_text_blocks_the_submit(client, alice, db_session):
    report_id = draft(client, alice, description="这里有人在赌博")
    check_content()
    assert checked(db_session, report_id)[0] == "risky"
    refused = client.post(f"/reports/{report_id}/submit", headers=alice)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "CONTENT_RISKY"
    assert db_session.get(Report, report_id).status == "draft"


def test_a_risky_photo_blocks_the_submit_until_it_is_removed(client, alice, db_session):
    report_id = draft(client, alice, photo=RED)
    check_content()
    red = db_session.scalar(sa.select(Media.id).where(Media.owner_id == report_id))
    assert [p["refused"] for p in client.get(f"/reports/{report_id}", headers=alice).json["photos"]] == [True]
    refused = client.post(f"/reports/{report_id}/submit", headers=alice)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "PHOTO_CONTENT_RISKY"
    assert refused.json["error"]["details"]["media_ids"] == [red]
    assert client.delete(f"/reports/{report_id}/photos/{red}", headers=alice).status_code == 204
    upload(client, alice, report_id, jpeg())
    assert client.post(f"/reports/{report_id}/submit", headers=alice).status_code == 200  # still pending: fine


def test_a_pending_check_does_not_hold_the_submit_and_staff_see_it_pending(client, alice, clerk, db_session):
    report_id = draft(client, alice)
    assert client.post(f"/reports/{report_id}/submit", headers=alice).status_code == 200
    case = client.get(f"/cases/{case_of_report(report_id).id}", headers=staff_token(clerk)).json
    assert case["content_check_pending_report_ids"] == [report_id] and case["flagged_report_ids"] == []
    check_content()
    case = client.get(f"/cases/{case['id']}", headers=staff_token(clerk)).json
    assert case["content_check_pending_report_ids"] == [] and case["flagged_report_ids"] == []


def test_a_risky_verdict_after_the_submit_flags_the_case_for_the_intake_clerk(client, alice, clerk, db_session):
    report_id = draft(client, alice, description="这里有人在赌博")
    assert client.post(f"/reports/{report_id}/submit", headers=alice).status_code == 200  # checked later
    case_id = case_of_report(report_id).id
    check_content()
    flag = db_session.scalar(sa.select(Event).where(Event.subject_id == case_id, Event.action == "content_flagged"))
    assert flag.payload["verdict"] == "risky" and flag.payload["what"] == "text"
    notice = db_session.scalar(sa.select(StaffNotice).where(StaffNotice.user_id == clerk.id,
                                                            StaffNotice.kind == "content_flagged"))
    assert notice.flagged and notice.subject_id == case_id
    case = client.get(f"/cases/{case_id}", headers=staff_token(clerk)).json
    assert case["flagged_report_ids"] == [report_id]
    seen = client.get(f"/reports/{report_id}", headers=alice).json  # the citizen's own view is unchanged
    assert seen["status"] == "submitted"


def test_an_outage_ends_unchecked_and_flagged_never_lost(client, alice, clerk, wechat, db_session, config):
    wechat.fault("msg_sec_check", errcode=-1, times=-1)  # WeChat busy for as long as it takes
    report_id = draft(client, alice)
    assert client.post(f"/reports/{report_id}/submit", headers=alice).status_code == 200
    for attempt in range(1, config.CHECK_MAX_ATTEMPTS + 1):
        check_content()
        db_session.expire_all()
        report = db_session.get(Report, report_id)
        assert report.content_check_attempts == attempt
        if attempt < config.CHECK_MAX_ATTEMPTS:
            assert report.content_check == "pending" and report.content_check_after is not None  # backing off
            db_session.execute(sa.update(Report).where(Report.id == report_id).values(content_check_after=None))
            db_session.commit()  # as if the back-off had passed
    assert report.content_check == "unchecked" and report.needs_review
    case_id = case_of_report(report_id).id
    flag = db_session.scalar(sa.select(Event).where(Event.subject_id == case_id, Event.action == "content_flagged"))
    assert flag.payload["verdict"] == "unchecked"
    assert wechat.calls()["msg_sec_check"] == config.CHECK_MAX_ATTEMPTS


def test_a_report_checked_again_later_is_not_asked_twice_while_leased(client, alice, db_session):
    from api.db import unit_of_work, utcnow
    from api.reports import checks

    report_id = draft(client, alice)
    with unit_of_work():
        leased = checks.claim(10, utcnow())
    assert {(i.kind, i.report_id) for i in leased} == {("text", report_id), ("photo", report_id)}
    with unit_of_work():
        assert checks.claim(10, utcnow()) == []  # a second check job takes nothing already leased


def test_a_refused_draft_is_corrected_and_submitted_with_the_photos_it_has(client, alice, db_session):
    report_id = draft(client, alice, description="这里有人在赌博")
    check_content()
    assert client.post(f"/reports/{report_id}/submit", headers=alice).json["error"]["code"] == "CONTENT_RISKY"
    before = client.get(f"/reports/{report_id}", headers=alice).json
    assert before["text_refused"] is True
    photo_ids = [p["id"] for p in before["photos"]]
    corrected = client.patch(f"/reports/{report_id}", json={
        "description": "路边堆放了很多垃圾", "category_hint": "road_spill", "address_text": "三元里大道",
        "location": {"lat": BAIYUN_GCJ["lat"] + 0.001, "lon": BAIYUN_GCJ["lon"]}}, headers=alice)
    assert corrected.status_code == 200, corrected.json
    assert corrected.json["description"] == "路边堆放了很多垃圾" and corrected.json["text_refused"] is False
    assert checked(db_session, report_id)[0] == "pending"
    assert [p["id"] for p in corrected.json["photos"]] == photo_ids  # the photos are not lost
    report = db_session.get(Report, report_id)
    assert report.address_text == "三元里大道" and report.coord_system_in == "gcj02"
    check_content()
    assert checked(db_session, report_id)[0] == "pass"
    assert client.post(f"/reports/{report_id}/submit", headers=alice).status_code == 200
    edited = db_session.scalars(sa.select(Event).where(Event.subject_id == report_id,
                                                       Event.action == "draft_edited")).all()
    assert len(edited) == 1 and set(edited[0].payload["changed"]) == {"description", "category_hint",
                                                                       "address_text", "location"}
    late = client.patch(f"/reports/{report_id}", json={"description": "提交后不能再改"}, headers=alice)
    assert late.status_code == 409 and late.json["error"]["code"] == "REPORT_NOT_DRAFT"


def test_a_draft_edit_is_validated_and_only_the_owner_may_make_it(client, alice, wechat, db_session):
    report_id = draft(client, alice)
    assert client.patch(f"/reports/{report_id}", json={}, headers=alice).status_code == 400
    far = client.patch(f"/reports/{report_id}", json={"location": {"lat": 39.9, "lon": 116.4}}, headers=alice)
    assert far.status_code == 422 and far.json["error"]["code"] == "LOCATION_OUTSIDE_DISTRICT"
    assert client.patch(f"/reports/{report_id}", json={"category_hint": "nope"}, headers=alice).status_code == 400
    bob = citizen_login(client, wechat, "o-bob-checks")
    stolen = client.patch(f"/reports/{report_id}", json={"description": "别人的草稿"}, headers=bob)
    assert stolen.status_code == 404 and stolen.json["error"]["code"] == "REPORT_NOT_FOUND"


def test_a_verdict_on_the_old_text_is_not_applied_to_the_corrected_text(client, alice, db_session):
    from api.db import utcnow
    from api.reports import checks

    report_id = draft(client, alice, description="这里有人在赌博")
    items = [i for i in checks.claim(10, utcnow()) if i.kind == "text"]  # the job has asked about the old words
    db_session.commit()
    assert client.patch(f"/reports/{report_id}", json={"description": "路边堆放了很多垃圾"},
                        headers=alice).status_code == 200
    checks.record_outcomes([checks.Outcome(items[0], "risky")], utcnow())  # … and answers after the edit
    db_session.commit()
    assert checked(db_session, report_id)[0] == "pending"  # the new words wait for their own check
    check_content()
    assert checked(db_session, report_id)[0] == "pass"
