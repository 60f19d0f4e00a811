"""The promotion gate: judged on a frozen set against production, enforced by promotion, overridden only with a
recorded reason."""

import sqlalchemy as sa

from api.classification import gate, training, versions
from api.classification.errors import PromotionRefused
from api.db import unit_of_work
from api.events.models import Event
from api.events.service import Actor
from tests.api.classification.test_classifier_api import people as people  # noqa: F401 - staff and a citizen
from tests.api.classification.test_classifier_api import tiny_version


def rows(*outcomes):
    return [{"case_id": n, "truth": t, "predicted": p, "auto": a} for n, (t, p, a) in enumerate(outcomes)]


PARKING, GARBAGE = "event:05-05", "event:01-02"


def test_a_candidate_that_sends_an_untrained_category_wrong_is_refused():
    production = rows((PARKING, PARKING, True), (GARBAGE, GARBAGE, True))
    candidate = rows((PARKING, GARBAGE, True), (GARBAGE, GARBAGE, True))  # parking pulled into garbage
    verdict = gate.judge(candidate, production, {GARBAGE}, "cold-start")
    assert not verdict["passed"] and verdict["wrong_untrained"] == {"candidate": 1, "production": 0}
    assert "does not know" in verdict["reasons"][0]
    assert gate.judge(production, production, {GARBAGE}, "cold-start")["passed"]


def test_a_well_supported_category_below_the_precision_floor_is_refused():
    sloppy = rows(*[(GARBAGE, GARBAGE, True)] * 18, *[(PARKING, GARBAGE, True)] * 2)  # 18 of 20: 0.90
    verdict = gate.judge(sloppy, sloppy, {GARBAGE, PARKING}, "m-old")
    assert not verdict["passed"] and verdict["reasons"] == [
        "event:01-02: auto-dispatch precision 0.90 below 0.95 over 20 cases"]
    few = rows(*[(GARBAGE, GARBAGE, True)] * 8, (PARKING, GARBAGE, True))  # below the support: not judged
    assert gate.judge(few, few, {GARBAGE, PARKING}, "m-old")["passed"]


def test_a_learnt_category_below_the_support_is_withheld():
    candidate = rows(*[(GARBAGE, GARBAGE, True)] * 20, *[(PARKING, PARKING, True)] * 3, (PARKING, PARKING, False))
    assert gate.withheld(candidate, {GARBAGE, PARKING, "event:04-06"}) == {PARKING: 3, "event:04-06": 0}
    assert gate.withheld(candidate, set()) == {}  # a 小类 it never learnt is decided as before training


def test_the_cases_the_intake_decided_are_held_out_one_in_two():
    samples = [training.Sample(case_id=i, code=GARBAGE) for i in range(400)]
    handled = set(range(200))
    train, test = training.split(samples, handled)
    held = {s.case_id for s in test}
    assert 80 <= len(held & handled) <= 120  # about one in two of the handled cases
    assert len(held - handled) == 50  # one in four of the rest
    assert training.split(samples, handled) == (train, test)  # deterministic: the same split every time


def _with_verdict(name: str, passed: bool, compared_with: str = "cold-start"):
    version = tiny_version(name)
    with unit_of_work():
        version.metrics = {**version.metrics, "gate": {"passed": passed, "compared_with": compared_with,
                                                       "reasons": [] if passed else ["worse on parking"]}}
    return version


def test_promotion_honours_the_gate_and_a_forced_one_records_why(client, people, db_session):  # noqa: F811
    _with_verdict("m-refused", passed=False)
    refused = client.post("/classifier/versions/m-refused/promote", json={}, headers=people["admin"])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "MODEL_GATE_REFUSED"
    assert refused.json["error"]["details"]["reasons"] == ["worse on parking"] and versions.promoted() is None
    forced = client.post("/classifier/versions/m-refused/promote", json={"force_reason": "试运行一周，人工复核"},
                         headers=people["admin"])
    assert forced.status_code == 200 and versions.promoted().name == "m-refused"
    event = db_session.scalar(sa.select(Event).where(Event.action == "promoted").order_by(Event.id.desc()))
    assert event.payload["forced"] == "试运行一周，人工复核"


def test_a_verdict_against_another_production_is_stale(people, db_session):  # noqa: F811
    _with_verdict("m-a", passed=True)
    with unit_of_work():
        versions.promote("m-a", Actor.system())
    _with_verdict("m-b", passed=True, compared_with="cold-start")  # judged before m-a went live
    with unit_of_work():
        try:
            versions.promote("m-b", Actor.system())
            raise AssertionError("promoted on a stale verdict")
        except PromotionRefused as refused:
            assert refused.details["stale"] and refused.details["production"] == "m-a"
