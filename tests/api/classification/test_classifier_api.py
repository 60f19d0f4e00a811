"""Classifier endpoints: who may call them, bad input, versions checked before they are promoted."""

import dataclasses

import pytest

from api.classification import registry, versions
from api.classification.text import TextModel
from api.config import init_config
from api.db import unit_of_work
from api.organisation.service import load_demo_organisation, load_divisions
from api.taxonomy.service import load_national
from tests.factories.identity import StaffFactory
from tests.support import citizen_login, staff_token, submit_new_report


@pytest.fixture
def people(db_session, client, wechat, config, tmp_path):
    init_config(dataclasses.replace(config, MODEL_DIR=str(tmp_path)))  # bundles on disk are not rolled back
    load_divisions()
    load_demo_organisation()
    load_national()
    staff = {role: StaffFactory(roles=(role,)) for role in ("admin", "dispatcher", "intake_clerk")}
    db_session.commit()
    tokens = {role: staff_token(user) for role, user in staff.items()}
    tokens["alice"] = citizen_login(client, wechat, "o-classifier-api")
    return tokens


def tiny_version(name="m-test"):
    text = TextModel.fit([("垃圾", "event:01-02"), ("摆摊", "event:05-01")], [])
    with unit_of_work():  # as `flask model train` does
        return registry.save_bundle(name, None, text, {"summary": {"combined_accuracy": 1.0}}, None)


def test_thresholds_are_read_by_dispatchers_and_set_by_admins(client, people):
    listed = client.get("/classifier/thresholds", headers=people["dispatcher"]).json
    assert listed == {"default": 0.6, "items": []}
    assert client.put("/classifier/thresholds/event:01-02", json={"threshold": 0.8},
                      headers=people["dispatcher"]).status_code == 403
    saved = client.put("/classifier/thresholds/event:01-02", json={"threshold": 0.8}, headers=people["admin"])
    assert saved.status_code == 200 and saved.json["threshold"] == 0.8
    assert client.get("/classifier/thresholds", headers=people["admin"]).json["items"][0]["category_code"] == \
        "event:01-02"


@pytest.mark.parametrize(("code", "body", "status", "error"), [
    ("event:01-02", {"threshold": 1.5}, 400, "VALIDATION_ERROR"),
    ("event:01-02", {}, 400, "VALIDATION_ERROR"),
    ("garbage", {"threshold": 0.7}, 400, "VALIDATION_ERROR"),
    ("event:99-99", {"threshold": 0.7}, 404, "CATEGORY_NOT_FOUND"),
])
def test_bad_thresholds_are_refused(client, people, code, body, status, error):
    response = client.put(f"/classifier/thresholds/{code}", json=body, headers=people["admin"])
    assert response.status_code == status and response.json["error"]["code"] == error


def test_versions_are_listed_and_promoted_by_admins_only(client, people, db_session):
    tiny_version()
    assert client.get("/classifier/versions", headers=people["alice"]).status_code == 403
    listed = client.get("/classifier/versions", headers=people["admin"]).json
    assert [(v["name"], v["status"]) for v in listed] == [("m-test", "candidate")]
    promoted = client.post("/classifier/versions/m-test/promote", headers=people["admin"])
    assert promoted.status_code == 200 and promoted.json["status"] == "promoted"
    assert registry.classifier().version == "m-test"
    tiny_version("m-next")
    client.post("/classifier/versions/m-next/promote", headers=people["admin"])
    assert [(v["name"], v["status"]) for v in client.get("/classifier/versions", headers=people["admin"]).json] == [
        ("m-next", "promoted"), ("m-test", "retired")]
    missing = client.post("/classifier/versions/nope/promote", headers=people["admin"])
    assert missing.status_code == 404 and missing.json["error"]["code"] == "MODEL_VERSION_NOT_FOUND"


def test_a_tampered_bundle_is_never_promoted_or_loaded(client, people):
    version = tiny_version()
    (versions.model_root() / version.path / versions.TEXT_FILE).write_bytes(b"not what was trained")
    refused = client.post("/classifier/versions/m-test/promote", headers=people["admin"])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "MODEL_BUNDLE_INVALID"


def test_case_predictions_are_for_staff_in_scope(client, people, db_session):
    from api.cases.models import CaseReport

    rid = submit_new_report(client, people["alice"], "路边垃圾堆放")
    case_id = db_session.query(CaseReport).filter_by(report_id=rid).one().case_id
    assert client.get(f"/classifier/cases/{case_id}", headers=people["alice"]).status_code == 403
    assert client.get(f"/classifier/cases/{case_id}", headers=people["intake_clerk"]).json == {
        "case_id": case_id, "reports": [], "photos": []}
    assert client.get("/classifier/cases/999999", headers=people["intake_clerk"]).status_code == 404
    street_clerk = StaffFactory(roles=("intake_clerk",), scope_division_code="440111004000")
    db_session.commit()
    assert client.get(f"/classifier/cases/{case_id}", headers=staff_token(street_clerk)).status_code == 403


def test_the_web_process_never_imports_the_model_libraries():
    import subprocess
    import sys

    code = ("import os; os.environ.update(SECRET_KEY='k', MEDIA_SIGNING_KEY='m'); import wsgi, sys; "
            "print(sorted(m for m in ('torch', 'onnxruntime', 'sklearn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_many_thresholds_at_once_all_or_none(client, people):
    batch = {"items": [{"category_code": "event:01-02", "threshold": 0.9},
                       {"category_code": "event:05-01", "threshold": 0.7}]}
    saved = client.put("/classifier/thresholds", json=batch, headers=people["admin"])
    assert saved.status_code == 200 and [t["threshold"] for t in saved.json] == [0.9, 0.7]
    bad = {"items": [{"category_code": "event:01-02", "threshold": 0.5},
                     {"category_code": "event:99-99", "threshold": 0.5}]}
    refused = client.put("/classifier/thresholds", json=bad, headers=people["admin"])
    assert refused.status_code == 404 and refused.json["error"]["code"] == "CATEGORY_NOT_FOUND"
    kept = client.get("/classifier/thresholds", headers=people["admin"]).json["items"]
    assert {t["category_code"]: t["threshold"] for t in kept} == {"event:01-02": 0.9, "event:05-01": 0.7}
    assert client.put("/classifier/thresholds", json=batch, headers=people["dispatcher"]).status_code == 403


def test_clerks_and_dispatchers_read_the_metrics_and_only_admins_promote(client, people):
    tiny_version()
    listed = client.get("/classifier/versions", headers=people["intake_clerk"])
    assert listed.status_code == 200 and listed.json[0]["name"] == "m-test"
    assert client.get("/classifier/versions", headers=people["dispatcher"]).status_code == 200
    assert client.post("/classifier/versions/m-test/promote", headers=people["dispatcher"]).status_code == 403


def test_the_way_back_to_no_trained_model(client, people, db_session):
    tiny_version()
    client.post("/classifier/versions/m-test/promote", headers=people["admin"])
    assert versions.promoted().name == "m-test" and registry.classifier().version == "m-test"
    cold = client.post("/classifier/versions/cold-start/promote", headers=people["admin"])
    assert cold.status_code == 200 and cold.json["name"] == "cold-start" and cold.json["status"] == "promoted"
    assert versions.promoted() is None and registry.classifier().version == "cold-start"
    assert versions.get_version("m-test").status == "retired"


def test_the_cli_records_the_operator(app, people, db_session):
    import sqlalchemy as sa

    from api.events.models import Event

    tiny_version()
    db_session.commit()
    runner = app.test_cli_runner()
    named = runner.invoke(args=["model", "promote", "m-test", "--by", "nobody-here"])
    assert named.exit_code != 0 and "no active staff account" in named.output
    done = runner.invoke(args=["model", "promote", "m-test"])
    assert done.exit_code == 0, done.output
    promoted = db_session.scalar(sa.select(Event).where(Event.action == "promoted").order_by(Event.id.desc()))
    assert promoted.actor_type == "system" and promoted.payload["operator"]  # the OS user, by name
