import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from api.events.models import Event
from api.media.models import Media
from api.reports.models import Report
from tests.factories.identity import StaffFactory
from tests.support import BAIYUN_GCJ, SHENZHEN_GCJ, citizen_login, jpeg, png_bomb, staff_token
from workers.content_check import check_content

GOOD = {"description": "人行道上有暴露垃圾", "location": BAIYUN_GCJ, "category_hint": "exposed_garbage"}


@pytest.fixture
def alice(client, wechat, db_session):
    return citizen_login(client, wechat, "o-alice")


def create(client, headers, body=None, key=None):
    extra = {"Idempotency-Key": key} if key else {}
    return client.post("/reports", json=body or GOOD, headers={**headers, **extra})


def upload(client, headers, report_id, data, name="p.jpg"):
    return client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(data), name)},
                       headers=headers, content_type="multipart/form-data")


def test_create_stores_wgs84_and_returns_both_systems(client, alice, db_session):
    response = create(client, alice)
    assert response.status_code == 201
    body = response.json
    assert body["status"] == "draft" and body["report_no"].startswith("BY")
    assert body["location"]["gcj02"] == pytest.approx({"lat": 23.1625, "lon": 113.2628}, abs=1e-6)
    report = db_session.get(Report, body["id"])
    assert report.coord_system_in == "gcj02"
    assert (report.lat, report.lon) == pytest.approx((23.16517, 113.25747), abs=1e-4)
    assert body["created_at"].endswith("+08:00")


def test_same_idempotency_key_answers_200_with_the_original(client, alice, db_session):
    first = create(client, alice, key="key-00000001")
    again = create(client, alice, key="key-00000001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]


def test_idempotency_key_reused_with_a_different_body_is_refused(client, alice, db_session):
    first = create(client, alice, key="key-00000002")
    other = create(client, alice, body={**GOOD, "description": "不同的描述"}, key="key-00000002")
    assert first.status_code == 201
    assert other.status_code == 422 and other.json["error"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Report)) == 1


@pytest.mark.parametrize("body, status, code", [
    ({**GOOD, "location": SHENZHEN_GCJ}, 422, "LOCATION_OUTSIDE_DISTRICT"),
    ({**GOOD, "category_hint": "unicorns"}, 400, "VALIDATION_ERROR"),
    ({**GOOD, "description": ""}, 400, "VALIDATION_ERROR"),
    ({"description": "无位置"}, 400, "VALIDATION_ERROR"),
    ({**GOOD, "location": {**BAIYUN_GCJ, "coord_system": "bd09"}}, 400, "VALIDATION_ERROR"),
    ({**GOOD, "location": {"lat": 123, "lon": 113}}, 400, "VALIDATION_ERROR"),
])
def test_bad_reports_are_refused_with_a_code(client, alice, db_session, body, status, code):
    response = create(client, alice, body)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_wgs84_points_are_accepted_as_sent(client, alice, db_session):
    response = create(client, alice, {**GOOD, "location": {"lat": 23.3, "lon": 113.3, "coord_system": "wgs84"}})
    assert response.json["location"]["wgs84"] == {"lat": 23.3, "lon": 113.3}


def test_review_grade_text_is_accepted_and_flagged_for_staff(client, alice, db_session):
    from api.cases.queries import case_of_report
    from api.taxonomy.service import load_national

    load_national()
    response = create(client, alice, {**GOOD, "description": "有点敏感的问题"})
    assert response.status_code == 201
    report_id = response.json["id"]
    check_content()  # the job that asks WeChat, after the answer
    db_session.expire_all()
    assert db_session.get(Report, report_id).needs_review is True
    upload(client, alice, report_id, jpeg())
    client.post(f"/reports/{report_id}/submit", headers=alice)
    clerk = staff_token(StaffFactory(roles=("intake_clerk",)))
    case = client.get(f"/cases/{case_of_report(report_id).id}", headers=clerk).json
    assert case["flagged_report_ids"] == [report_id]


def test_photo_upload_strips_exif_and_links_work(client, alice, db_session, media_dir):
    report_id = create(client, alice).json["id"]
    response = upload(client, alice, report_id, jpeg(1920, 1080))
    assert response.status_code == 201
    photo = response.json
    assert set(photo["urls"]) == {"original", "display", "thumb"}
    media = db_session.get(Media, photo["id"])
    stored = Path(media_dir, media.storage_key).read_bytes()
    assert not Image.open(io.BytesIO(stored)).getexif()
    url = photo["urls"]["original"].replace("http://localhost", "")
    fetched = client.get(url)
    assert fetched.status_code == 200 and fetched.data == stored
    tampered = url.replace("original", "thumb")
    assert client.get(tampered).json["error"]["code"] == "MEDIA_LINK_INVALID"


@pytest.mark.parametrize("data, name, status, code", [
    (b"not an image at all", "x.jpg", 415, "PHOTO_NOT_AN_IMAGE"),
    (png_bomb(), "bomb.png", 422, "PHOTO_TOO_MANY_PIXELS"),
    (jpeg(1280, 960)[:5000], "cut.jpg", 422, "PHOTO_CORRUPT"),
])
def test_bad_photos_leave_nothing_behind(client, alice, db_session, media_dir, data, name, status, code):
    report_id = create(client, alice).json["id"]
    before = sorted(p for p in Path(media_dir).rglob("*") if p.is_file())
    response = upload(client, alice, report_id, data, name)
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Media)) == 0
    assert sorted(p for p in Path(media_dir).rglob("*") if p.is_file()) == before


def test_photo_over_ten_megabytes_is_refused(client, alice, db_session):
    report_id = create(client, alice).json["id"]
    response = upload(client, alice, report_id, b"\xff\xd8" + b"\0" * (10 * 1024 * 1024 + 10))
    assert response.status_code == 413 and response.json["error"]["code"] == "PHOTO_TOO_LARGE"
    huge = upload(client, alice, report_id, b"\xff\xd8" + b"\0" * (11 * 1024 * 1024))
    assert huge.status_code == 413 and huge.json["error"]["code"] == "PHOTO_TOO_LARGE"


def test_missing_photo_field_is_a_400(client, alice, db_session):
    report_id = create(client, alice).json["id"]
    response = client.post(f"/reports/{report_id}/photos", data={}, headers=alice,
                           content_type="multipart/form-data")
    assert response.status_code == 400


def test_a_failed_commit_removes_the_blob_it_wrote(client, alice, db_session, media_dir, monkeypatch):
    from api.reports import service

    report_id = create(client, alice).json["id"]

    def boom(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "record", boom)
    before = sorted(p for p in Path(media_dir).rglob("*") if p.is_file())
    response = upload(client, alice, report_id, jpeg(320, 240, color=(1, 2, 3)))
    assert response.status_code == 500 and response.json["error"]["code"] == "INTERNAL_ERROR"
    assert sorted(p for p in Path(media_dir).rglob("*") if p.is_file()) == before


def test_nine_photos_at_most_and_submit_needs_one(client, alice, db_session):
    report_id = create(client, alice).json["id"]
    submit = client.post(f"/reports/{report_id}/submit", headers=alice)
    assert submit.status_code == 400 and submit.json["error"]["code"] == "PHOTO_REQUIRED"
    for i in range(9):
        assert upload(client, alice, report_id, jpeg(64, 48, color=(i, i, i))).status_code == 201
    tenth = upload(client, alice, report_id, jpeg(64, 48, color=(99, 9, 9)))
    assert tenth.status_code == 409 and tenth.json["error"]["code"] == "TOO_MANY_PHOTOS"


def test_submit_then_no_more_photos_and_withdraw(client, alice, db_session):
    report_id = create(client, alice).json["id"]
    photo_id = upload(client, alice, report_id, jpeg()).json["id"]
    submitted = client.post(f"/reports/{report_id}/submit", headers=alice)
    # waiting to be accepted: not yet 已受理
    assert submitted.status_code == 200 and submitted.json["status"] == "submitted"
    assert submitted.json["status_label"] == "待受理" and submitted.json["progress"]["can_withdraw"] is True
    assert upload(client, alice, report_id, jpeg()).json["error"]["code"] == "REPORT_NOT_DRAFT"
    assert client.delete(f"/reports/{report_id}/photos/{photo_id}", headers=alice).status_code == 409
    again = client.post(f"/reports/{report_id}/submit", headers=alice)
    assert again.status_code == 409 and again.json["error"]["code"] == "ILLEGAL_TRANSITION"
    withdrawn = client.post(f"/reports/{report_id}/withdraw", json={"reason": "已自行解决"}, headers=alice)
    assert withdrawn.json["status"] == "withdrawn"
    assert [e["action"] for e in withdrawn.json["timeline"]] == ["created", "submit", "withdraw"]


def submitted_case(client, alice, db_session, hint="exposed_garbage"):
    from api.cases.queries import case_of_report
    from api.taxonomy.service import load_national

    load_national()
    report_id = create(client, alice, {**GOOD, "category_hint": hint}).json["id"]
    upload(client, alice, report_id, jpeg())
    client.post(f"/reports/{report_id}/submit", headers=alice)
    return report_id, case_of_report(report_id).id


def test_withdraw_is_refused_once_staff_accepted(client, alice, db_session):
    clerk = StaffFactory(roles=("intake_clerk",))
    report_id, case_id = submitted_case(client, alice, db_session)
    accepted = client.post(f"/cases/{case_id}/accept", json={}, headers=staff_token(clerk))
    assert accepted.status_code == 200 and accepted.json["status"] == "awaiting_dispatch"
    assert client.get(f"/reports/{report_id}", headers=alice).json["status"] == "accepted"
    refused = client.post(f"/reports/{report_id}/withdraw", json={}, headers=alice)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "ILLEGAL_TRANSITION"


def test_photos_can_be_removed_from_a_draft(client, alice, db_session):
    report_id = create(client, alice).json["id"]
    photo_id = upload(client, alice, report_id, jpeg()).json["id"]
    assert client.delete(f"/reports/{report_id}/photos/{photo_id}", headers=alice).status_code == 204
    assert client.get(f"/reports/{report_id}", headers=alice).json["photos"] == []
    assert client.delete(f"/reports/{report_id}/photos/{photo_id}", headers=alice).status_code == 404


def test_citizens_see_only_their_own_reports(client, wechat, alice, db_session):
    bob = citizen_login(client, wechat, "o-bob")
    report_id = create(client, alice).json["id"]
    assert client.get(f"/reports/{report_id}", headers=bob).json["error"]["code"] == "REPORT_NOT_FOUND"
    assert upload(client, bob, report_id, jpeg()).status_code == 404
    assert client.post(f"/reports/{report_id}/submit", headers=bob).status_code == 404
    assert client.get("/reports", headers=bob).json["total"] == 0
    assert client.get("/reports", headers=alice).json["total"] == 1


def test_my_reports_are_paged_and_filtered(client, alice, db_session):
    ids = [create(client, alice).json["id"] for _ in range(3)]
    upload(client, alice, ids[0], jpeg())
    client.post(f"/reports/{ids[0]}/submit", headers=alice)
    page = client.get("/reports?page=1&page_size=2", headers=alice).json
    assert page["total"] == 3 and [r["id"] for r in page["items"]] == [ids[2], ids[1]]
    waiting = client.get("/reports?status=submitted", headers=alice).json
    assert [r["id"] for r in waiting["items"]] == [ids[0]]
    bad = client.get("/reports?status=nope", headers=alice)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "VALIDATION_ERROR"


def test_staff_cannot_use_citizen_endpoints_and_citizens_not_the_desk(client, alice, db_session):
    clerk = StaffFactory(roles=("intake_clerk",))
    assert client.post("/reports", json=GOOD, headers=staff_token(clerk)).json["error"]["code"] == "ROLE_NOT_ALLOWED"
    assert client.get("/cases?desk=intake", headers=alice).status_code == 403


def test_intake_desk_is_scoped_by_street(client, alice, db_session):
    from api.cases.models import Case
    from api.organisation.service import load_divisions

    load_divisions()
    district_clerk = StaffFactory(roles=("intake_clerk",))
    street_clerk = StaffFactory(roles=("intake_clerk",), scope_division_code="440111002000")
    report_id, case_id = submitted_case(client, alice, db_session)
    assert client.get("/cases?desk=intake", headers=staff_token(district_clerk)).json["total"] == 1
    assert client.get("/cases?desk=intake", headers=staff_token(street_clerk)).json["total"] == 0
    out_of_scope = client.get(f"/cases/{case_id}", headers=staff_token(street_clerk))
    assert out_of_scope.status_code == 403 and out_of_scope.json["error"]["code"] == "OUT_OF_SCOPE"
    db_session.get(Case, case_id).street_code = "440111002000"
    db_session.commit()
    assert client.get("/cases?desk=intake", headers=staff_token(street_clerk)).json["total"] == 1


def test_refusal_needs_a_reason_and_the_citizen_sees_only_the_remark_for_them(client, alice, db_session, wechat):
    clerk = StaffFactory(roles=("intake_clerk",))
    report_id, case_id = submitted_case(client, alice, db_session)
    missing = client.post(f"/cases/{case_id}/refuse", json={}, headers=staff_token(clerk))
    assert missing.status_code == 400 and missing.json["error"]["code"] == "VALIDATION_ERROR"
    done = client.post(f"/cases/{case_id}/refuse", json={"reason": "重复恶意举报，内部备注",
                                                           "citizen_remark": "该问题不属于城管职责"},
                       headers=staff_token(clerk))
    assert done.json["status"] == "refused" and done.json["events"][-1]["reason"] == "重复恶意举报，内部备注"
    detail = client.get(f"/reports/{report_id}", headers=alice)
    assert detail.json["status"] == "rejected" and detail.json["timeline"][-1]["remark"] == "该问题不属于城管职责"
    assert "内部备注" not in detail.get_data(as_text=True)


def test_internal_notes_never_reach_the_citizen(client, alice, db_session, wechat):
    from api.notifications.models import Notification

    clerk = StaffFactory(roles=("intake_clerk",))
    report_id, case_id = submitted_case(client, alice, db_session)
    client.post(f"/cases/{case_id}/accept", json={"category_code": "event:01-02", "note": "属实，立案"},
                headers=staff_token(clerk))
    detail = client.get(f"/reports/{report_id}", headers=alice)
    assert detail.json["status"] == "accepted" and "属实" not in detail.get_data(as_text=True)
    sent = [str(n.data) for n in db_session.scalars(sa.select(Notification))]
    assert sent and not any("属实" in text for text in sent)


def test_every_change_is_in_the_event_log(client, alice, db_session):
    report_id = create(client, alice).json["id"]
    upload(client, alice, report_id, jpeg())
    client.post(f"/reports/{report_id}/submit", headers=alice)
    actions = db_session.scalars(sa.select(Event.action).where(Event.subject_type == "report",
                                                               Event.subject_id == report_id).order_by(Event.id))
    assert list(actions) == ["created", "photo_attached", "submit"]


def test_event_log_is_append_only(db_session):
    from api.events.service import Actor, record

    event_id = record("report", 1, "created", Actor.system())
    db_session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db_session.begin_nested():
            db_session.execute(sa.update(Event).where(Event.id == event_id).values(action="tampered"))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db_session.begin_nested():
            db_session.execute(sa.delete(Event).where(Event.id == event_id))


def test_concurrent_edit_is_caught(db_session):
    from sqlalchemy.orm.exc import StaleDataError

    from tests.factories.reports import DraftReportFactory

    report = DraftReportFactory()
    # another writer bumps the row behind this session's back
    db_session.connection().execute(sa.text("UPDATE reports SET version = version + 1 WHERE id = :id"),
                                    {"id": report.id})
    report.description = "changed"
    with pytest.raises(StaleDataError):
        db_session.flush()


def test_categories_are_public(client, db_session):
    keys = [c["key"] for c in client.get("/reports/categories").json]
    assert "exposed_garbage" in keys and keys[-1] == "other"


@pytest.mark.parametrize("given, stored", [
    ("13812345678", "13812345678"),
    ("138 1234 5678", "13812345678"),
    ("+86 138-1234-5678", "13812345678"),
    ("020-86001234", "020-86001234"),
    ("(020) 8600 1234", "020-86001234"),
    ("075586001234", "0755-86001234"),
    ("+86 20 8600 1234", "020-86001234"),
])
def test_a_contact_phone_is_stored_in_one_form_and_shown_to_its_owner(client, alice, db_session, given, stored):
    response = create(client, alice, {**GOOD, "contact_phone": given})
    assert response.status_code == 201, response.json
    assert response.json["contact_phone"] == stored
    assert db_session.get(Report, response.json["id"]).contact_phone == stored
    assert client.get(f"/reports/{response.json['id']}", headers=alice).json["contact_phone"] == stored


@pytest.mark.parametrize("phone", ["12345678901", "1381234567", "138123456789", "010-1234567x", "8600 1234",
                                   "0086", "+1 415 555 0100", "phone", "1" * 100])
def test_a_phone_not_shaped_as_a_mainland_number_is_refused(client, alice, db_session, phone):
    response = create(client, alice, {**GOOD, "contact_phone": phone})
    assert response.status_code == 400 and response.json["error"]["code"] == "VALIDATION_ERROR"
    assert "contact_phone" in response.json["error"]["details"]["fields"]
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Report)) == 0


def test_a_draft_takes_changes_and_loses_its_phone_and_the_log_keeps_it_masked(client, alice, db_session):
    report_id = create(client, alice).json["id"]
    assert client.get(f"/reports/{report_id}", headers=alice).json["contact_phone"] is None
    added = client.patch(f"/reports/{report_id}", json={"contact_phone": "13912345678"}, headers=alice)
    assert added.status_code == 200, added.json
    assert added.json["contact_phone"] == "13912345678"
    assert client.patch(f"/reports/{report_id}", json={"contact_phone": "139"}, headers=alice).status_code == 400
    removed = client.patch(f"/reports/{report_id}", json={"contact_phone": None}, headers=alice)
    assert removed.json["contact_phone"] is None and db_session.get(Report, report_id).contact_phone is None
    edits = db_session.scalars(sa.select(Event.payload).where(
        Event.subject_id == report_id, Event.action == "draft_edited").order_by(Event.id)).all()
    assert [e["changed"] for e in edits] == [{"contact_phone": "139****5678"}, {"contact_phone": None}]
    assert all(e["content_check"] is None for e in edits)  # a phone is not text WeChat checks


def test_a_repeated_create_without_a_phone_is_still_the_same_request(client, alice, db_session):
    import hashlib
    import json

    from api.reports.service import NewReport

    # a request without a phone hashes as it did before the field existed (keys stored then still match)
    fields = {"description": "人行道上有暴露垃圾", "lat": 23.1625, "lon": 113.2628, "coord_system": "gcj02",
              "category_hint": None, "address_text": None}
    earlier = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    assert NewReport("人行道上有暴露垃圾", 23.1625, 113.2628).fingerprint() == earlier
    first = create(client, alice, {**GOOD, "contact_phone": "13812345678"}, key="key-phone-001")
    again = create(client, alice, {**GOOD, "contact_phone": "138 1234 5678"}, key="key-phone-001")
    other = create(client, alice, {**GOOD, "contact_phone": "13912345678"}, key="key-phone-001")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 422)
