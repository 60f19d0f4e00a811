"""A citizen's say after closing: each report reopens once and rates each round once, each follower may reopen
once, the window to rate and reopen closes, a score is a whole number from 1 to 5."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.cases.models import Case
from api.db import utcnow
from tests.api.cases.conftest import act, after_photo, closed_case
from tests.support import citizen_login, submit_new_report


def test_reopen_once_per_report_and_each_round_rated_once(client, world, db_session, wechat):
    t = world["t"]
    report_id, case_id = closed_case(client, t)
    progress = client.get(f"/reports/{report_id}", headers=t["alice"]).json["progress"]
    assert progress["can_rate"] and progress["can_reopen"] and progress["reopens_left"] == 1 and progress["until"]
    assert progress["department_name"] == "区环卫所" and progress["rating"] is None
    assert client.post(f"/reports/{report_id}/rating", json={"score": 2}, headers=t["alice"]).status_code == 201
    reopened = client.post(f"/reports/{report_id}/reopen", json={"reason": "又堆起来了"}, headers=t["alice"])
    assert reopened.status_code == 200 and reopened.json["progress"]["reopens_left"] == 0
    db_session.expire_all()  # the first round's 核查 time goes with its closing: statistics measure the new round
    assert (db_session.get(Case, case_id).checked_at, db_session.get(Case, case_id).closed_at) == (None, None)
    act(client, t["dispatcher"], case_id, "dispatch")
    act(client, t["handler"], case_id, "receive")
    # the first round's photo does not count for the new result
    assert act(client, t["handler"], case_id, "result", {"result_text": "再次清运"}).json["error"]["code"] == \
        "AFTER_PHOTO_REQUIRED"
    after_photo(client, t["handler"], case_id)
    act(client, t["handler"], case_id, "result", {"result_text": "再次清运"})
    act(client, t["supervisor"], case_id, "check", {"passed": True})
    again = client.post(f"/reports/{report_id}/rating", json={"score": 5}, headers=t["alice"])
    assert again.status_code == 201 and again.json["round"] == 2
    assert client.post(f"/reports/{report_id}/rating", json={"score": 4}, headers=t["alice"]).json["error"][
        "code"] == "ALREADY_RATED"
    refused = client.post(f"/reports/{report_id}/reopen", json={"reason": "还是不行"}, headers=t["alice"])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "REOPEN_LIMIT_REACHED"
    detail = client.get(f"/reports/{report_id}", headers=t["alice"]).json
    assert detail["progress"]["rating"]["score"] == 5 and detail["progress"]["can_reopen"] is False
    assert len(detail["result"]["photos"]) == 1  # the final round's after-photo only


def test_each_follower_may_reopen_once(client, world, db_session, wechat):
    t = world["t"]
    report_id, case_id = closed_case(client, t)
    bob = citizen_login(client, wechat, "o-bob")
    bob_report = submit_new_report(client, bob, "同一处垃圾")
    bob_case = db_session.scalar(sa.select(Case.id).where(Case.id != case_id, Case.status == "pending"))
    db_session.execute(sa.update(Case).where(Case.id == case_id).values(status="awaiting_check"))
    db_session.commit()
    act(client, t["clerk"], bob_case, "merge", {"into_case_id": case_id})
    db_session.execute(sa.update(Case).where(Case.id == case_id).values(status="closed", closed_at=utcnow()))
    db_session.commit()
    assert client.post(f"/reports/{bob_report}/reopen", json={"reason": "我也看到了"}, headers=bob).status_code == 200
    db_session.execute(sa.update(Case).where(Case.id == case_id).values(status="closed", closed_at=utcnow()))
    db_session.commit()
    mine = client.post(f"/reports/{report_id}/reopen", json={"reason": "确实没清"}, headers=t["alice"])
    assert mine.status_code == 200


def test_the_window_to_rate_and_reopen_closes(client, world, db_session):
    t = world["t"]
    report_id, case_id = closed_case(client, t)
    db_session.get(Case, case_id).closed_at = utcnow() - timedelta(days=8)
    db_session.commit()
    progress = client.get(f"/reports/{report_id}", headers=t["alice"]).json["progress"]
    assert (progress["can_rate"], progress["can_reopen"]) == (False, False)
    assert client.post(f"/reports/{report_id}/rating", json={"score": 5}, headers=t["alice"]).json["error"][
        "code"] == "RATING_WINDOW_PASSED"


@pytest.mark.parametrize("score", [0, 6, 1.5, "5", True])
def test_a_score_is_a_whole_number_from_1_to_5(client, world, db_session, score):
    t = world["t"]
    report_id, _ = closed_case(client, t)
    response = client.post(f"/reports/{report_id}/rating", json={"score": score}, headers=t["alice"])
    assert response.status_code == 400
