"""Automatic intake end to end: real RQ workers (burst and long-running), real Redis and PostgreSQL, the model.

classify_photo → route_report → dispatch_case, with the cold start, the triage desk, duplicates, a job
that keeps failing, a worker killed mid-job, and staff labels → `flask model train` → a promoted version
that a running worker uses without a restart.
"""

import dataclasses
import io
import signal
import time

import pytest
import sqlalchemy as sa
from rq import Queue
from rq.registry import StartedJobRegistry

from api.calendar.service import load_shipped
from api.cases.models import Case, CaseReport, WorkOrder
from api.classification.models import ModelVersion, PhotoPrediction
from api.config import init_config
from api.db import Session
from api.events.models import Event
from api.extensions import get_redis
from api.intake.models import ReportClassification
from api.jobs import QUEUES
from api.media.models import Media
from api.media.storage import get_storage
from api.organisation import grids
from api.organisation import queries as organisation
from api.organisation.service import load_demo_organisation, load_divisions
from api.routing.service import load_demo_rules
from api.taxonomy.service import load_national
from tests.factories.identity import StaffFactory
from tests.support import (
    BAIYUN_GCJ,
    WorkerProcess,
    citizen_login,
    jpeg,
    run_worker,
    staff_token,
    synthetic_photo,
    wait_for,
)

pytestmark = pytest.mark.flow


@pytest.fixture
def auto(config, committed):
    """AUTO_DISPATCH on (the suite's default is off, so other flows keep their cases at the desks)."""
    config = init_config(dataclasses.replace(config, AUTO_DISPATCH=True))
    load_divisions()
    load_demo_organisation()
    load_national()
    load_demo_rules()
    load_shipped()
    grids.import_geojson(grids.demo_grid(config.DISTRICT_BBOX, [s.code for s in organisation.streets()]), demo=True)
    Session.commit()
    return config


def report(client, headers, description, hint=None, photo=None, location=None) -> int:
    body = {"description": description, "location": location or BAIYUN_GCJ}
    if hint:
        body["category_hint"] = hint
    report_id = client.post("/reports", json=body, headers=headers).json["id"]
    upload = client.post(f"/reports/{report_id}/photos", data={"photo": (io.BytesIO(photo or jpeg()), "p.jpg")},
                         headers=headers, content_type="multipart/form-data")
    assert upload.status_code == 201, upload.json
    assert client.post(f"/reports/{report_id}/submit", headers=headers).status_code == 200
    return report_id


def case_of(report_id: int) -> Case:
    Session.remove()
    case_id = Session.scalar(sa.select(CaseReport.case_id).where(CaseReport.report_id == report_id))
    return Session.get(Case, case_id)


def classification(report_id: int) -> ReportClassification | None:
    Session.remove()
    return Session.scalar(sa.select(ReportClassification).where(ReportClassification.report_id == report_id))


def test_a_clear_report_is_classified_routed_and_dispatched_without_a_person(client, wechat, auto):
    alice = citizen_login(client, wechat, "o-auto-1")
    report_id = report(client, alice, "小区门口垃圾堆积三天没人清理，很臭", hint="exposed_garbage")
    run_worker()  # classify → route → dispatch, each a job after the commit before it

    case = case_of(report_id)
    assert case.status == "dispatched" and case.category_code == "event:01-02"
    assert case.department_id == organisation.get_department_by_code("sanitation").id
    assert case.triage_reason is None and case.suggestions[0]["code"] == "event:01-02"
    row = classification(report_id)
    assert row.decision == "auto_accepted" and row.model_version == "cold-start" and len(row.top3) == 3
    photo = Session.scalar(sa.select(PhotoPrediction).where(PhotoPrediction.report_id == report_id))
    assert photo.model_version == "cold-start" and len(photo.embedding) == 1280 * 2 and photo.imagenet_top
    steps = Session.execute(sa.select(Event.action, Event.actor_type).where(
        Event.subject_type == "case", Event.subject_id == case.id).order_by(Event.id)).all()
    assert [tuple(s) for s in steps] == [("opened", "citizen"), ("classified", "system"), ("accept", "system"),
                                         ("dispatch", "system")]
    staff = StaffFactory(roles=("intake_clerk",))
    Session.commit()
    shown = client.get(f"/classifier/cases/{case.id}", headers=staff_token(staff)).json
    assert shown["reports"][0]["decision"] == "auto_accepted" and shown["photos"][0]["model_version"] == "cold-start"


def test_an_unclear_report_waits_at_the_triage_desk_with_the_top_three(client, wechat, auto):
    alice = citizen_login(client, wechat, "o-auto-2")
    report_id = report(client, alice, "这里有情况，请处理一下")
    run_worker()

    case = case_of(report_id)
    assert case.status == "pending" and case.triage_reason.startswith("low_confidence")
    clerk = StaffFactory(roles=("intake_clerk",))
    Session.commit()
    desk = client.get("/cases?desk=triage", headers=staff_token(clerk)).json
    assert desk["total"] == 1 and len(desk["items"][0]["suggestions"]) == 3
    assert desk["items"][0]["triage_reason"] == case.triage_reason
    accepted = client.post(f"/cases/{case.id}/accept", json={"category_code": "event:05-07"},
                           headers=staff_token(clerk))
    assert accepted.status_code == 200 and accepted.json["triage_reason"] is None
    assert client.get("/cases?desk=triage", headers=staff_token(clerk)).json["total"] == 0


def test_a_duplicate_is_linked_and_its_reporter_follows_the_master(client, wechat, auto):
    alice, bob = citizen_login(client, wechat, "o-auto-3a"), citizen_login(client, wechat, "o-auto-3b")
    first = report(client, alice, "路边有人摆摊卖水果占道", hint="street_vending")
    run_worker()
    near = {**BAIYUN_GCJ, "lat": BAIYUN_GCJ["lat"] + 0.0002}  # ~22 m north
    second = report(client, bob, "这里有流动摊贩摆摊", hint="street_vending", location=near)
    run_worker()

    master, duplicate = case_of(first), case_of(second)
    assert master.id == duplicate.id and master.supporters == 1  # bob's report now sits on the master case
    row = classification(second)
    assert row.decision == "merged"
    merged = Session.scalar(sa.select(Case).where(Case.merged_into_id == master.id))
    assert merged.status == "merged"
    assert client.get(f"/reports/{second}", headers=bob).json["status"] == client.get(
        f"/reports/{first}", headers=alice).json["status"]

    clerk = StaffFactory(roles=("intake_clerk",))
    Session.commit()
    undone = client.post(f"/cases/{merged.id}/unmerge", json={"reason": "不是同一摊位"}, headers=staff_token(clerk))
    assert undone.status_code == 200 and undone.json["status"] == "pending"
    assert undone.json["report_ids"] == [second] and case_of(first).supporters == 0


def test_a_job_that_keeps_failing_leaves_the_case_visibly_in_triage(client, wechat, auto):
    alice = citizen_login(client, wechat, "o-auto-4")
    report_id = report(client, alice, "井盖缺失", hint="manhole")
    photo = Session.scalar(sa.select(Media).where(Media.owner_type == "report", Media.owner_id == report_id))
    get_storage().delete(photo.storage_key)  # the blob is lost: every attempt fails
    run_worker()

    case = case_of(report_id)
    assert case.status == "pending"
    assert case.triage_reason.startswith("pipeline_failed: classify_photo: FileNotFoundError")
    triage = Session.scalars(sa.select(Event).where(Event.subject_id == case.id, Event.action == "triage")).all()
    assert len(triage) == 1  # once, after the last retry, not once per attempt


def test_a_worker_killed_mid_job_is_recovered_and_the_report_routed_once(client, wechat, auto, tmp_path,
                                                                         monkeypatch):
    marker = tmp_path / "started"
    monkeypatch.setenv("SLOW_WORKER_MARKER", str(marker))
    worker = WorkerProcess(auto, "classify", "--simple", module="tests.flows.slow_worker")
    try:
        alice = citizen_login(client, wechat, "o-auto-5")
        report_id = report(client, alice, "垃圾桶满溢，垃圾散落一地", hint="exposed_garbage")
        wait_for(marker.exists, timeout=90)  # the job is running inside the worker
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait()
    finally:
        worker.stop()
    queue = Queue("classify", connection=get_redis())
    registry = StartedJobRegistry(queue=queue)
    assert registry.get_job_ids(cleanup=False)  # left STARTED by the dead worker
    # What the next worker's maintenance does once the dead worker's heartbeat has expired:
    registry.cleanup(timestamp=time.time() + 3600)
    run_worker()

    case = case_of(report_id)
    assert case.status == "dispatched"
    assert Session.scalar(sa.select(sa.func.count()).select_from(WorkOrder).where(WorkOrder.case_id == case.id)) == 1
    assert Session.scalar(sa.select(sa.func.count()).select_from(PhotoPrediction)
                          .where(PhotoPrediction.report_id == report_id)) == 1
    assert classification(report_id).decision == "auto_accepted"


LABELS = {"stripes": "event:01-02", "dots": "event:05-01", "checks": "component:01-18"}


def test_staff_labels_train_a_version_that_the_running_worker_uses_without_a_restart(client, wechat, auto, app):
    clerk = StaffFactory(roles=("intake_clerk",))
    Session.commit()
    alice = citizen_login(client, wechat, "o-auto-6")
    # The office's history: reports with neutral words, each 小类 confirmed or corrected by a clerk.
    for kind, code in LABELS.items():
        for i in range(8):
            rid = report(client, alice, "请尽快处理", photo=synthetic_photo(kind, i),
                         location={**BAIYUN_GCJ, "lat": BAIYUN_GCJ["lat"] + 0.001 * i})
            case_id = case_of(rid).id
            assert client.post(f"/cases/{case_id}/accept", json={"category_code": code},
                               headers=staff_token(clerk)).status_code == 200
    for name in QUEUES:
        Queue(name, connection=get_redis()).empty()  # the history predates this worker

    worker = WorkerProcess(auto, "classify", "default", "--simple")
    try:
        before = report(client, alice, "请尽快处理", photo=synthetic_photo("dots", 100),
                        location={**BAIYUN_GCJ, "lon": BAIYUN_GCJ["lon"] + 0.01})
        assert wait_for(lambda: classification(before), timeout=120).model_version == "cold-start"
        assert case_of(before).status == "pending"  # the image alone decides nothing in a cold start

        # eight cases per 小类 leave two each to evaluate: a small office lowers the gate's support to match
        # (at the default of 20 the version would withhold all three 小类: suggest them, not dispatch them)
        init_config(dataclasses.replace(auto, CLASSIFY_GATE_SUPPORT=2))
        trained = app.test_cli_runner().invoke(args=["model", "train", "--promote"])
        assert trained.exit_code == 0, trained.output
        assert "precision" in trained.output and "confusion" in trained.output
        version = Session.scalar(sa.select(ModelVersion).where(ModelVersion.status == "promoted"))
        assert version.metrics["summary"]["image_accuracy"] == 1.0 and sorted(version.classes) == sorted(
            LABELS.values())

        after = report(client, alice, "请尽快处理", photo=synthetic_photo("dots", 101),
                       location={**BAIYUN_GCJ, "lon": BAIYUN_GCJ["lon"] - 0.01})
        row = wait_for(lambda: classification(after), timeout=60)
        assert worker.proc.poll() is None  # the same worker process, never restarted
        assert row.model_version == version.name and row.category_code == "event:05-01"
        assert row.decision == "auto_accepted", (row.reason, version.metrics.get("withheld"),
                                                 version.metrics.get("calibration"), row.confidence)
        assert wait_for(lambda: case_of(after).status == "dispatched", timeout=60)
    finally:
        worker.stop()

    evaluated = app.test_cli_runner().invoke(args=["model", "evaluate"])
    assert evaluated.exit_code == 0 and version.name in evaluated.output and "recall" in evaluated.output
