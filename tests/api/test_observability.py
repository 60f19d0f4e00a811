"""What an operator watches: /metrics behind its token, request ids, JSON logs, /health and /ready."""

from __future__ import annotations

import io
import json
import logging
import runpy
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue
from rq.job import Job

from api import docs, jobs, metrics, observability
from api.config import Config, ConfigError
from api.db import utcnow
from api.extensions import get_redis
from api.fees.models import BillRun
from api.outbox import service as outbox
from api.outbox.models import OutboxJob

TOKEN = "metrics-test-token-0123456789"
NOTIFY = "/fees/wechatpay/notify"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def metrics_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return {"Authorization": f"Bearer {TOKEN}"}


def _scrape(client, headers) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics", headers=headers)
    assert answer.status_code == 200 and answer.content_type.startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.get_data(as_text=True)) for s in family.samples}


def _state() -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in metrics.StateCollector(jobs.QUEUES).collect() for s in family.samples}


# -- /metrics is not public ------------------------------------------------------------------------------------
def test_metrics_is_404_without_a_token_configured_and_without_the_right_bearer(client, app, db_session, monkeypatch):
    assert app.config["METRICS_TOKEN"] == ""
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"X-Token": TOKEN}):
        answer = client.get("/metrics", headers=headers)
        assert answer.status_code == 404 and answer.get_data() == b"", headers
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert "/metrics" not in client.get("/openapi.json").json["paths"]


def test_request_latency_is_labelled_by_endpoint_and_status_never_by_path(client, db_session, metrics_token):
    client.get("/health")
    for n in range(3):
        client.get(f"/no-such-page/{n}")
    samples = _scrape(client, metrics_token)
    health = ("http_request_duration_seconds_count", (("endpoint", "health"), ("method", "GET"), ("status", "200")))
    assert samples[health] >= 1
    unmatched = ("http_request_duration_seconds_count",
                 (("endpoint", "unmatched"), ("method", "GET"), ("status", "404")))
    assert samples[unmatched] >= 3
    endpoints = {dict(labels).get("endpoint") for name, labels in samples if name.startswith("http_request")}
    assert not any("/" in (e or "") for e in endpoints)  # bounded: a Flask endpoint name, not the path asked for


# -- gauges read at scrape time ---------------------------------------------------------------------------------
def test_queue_depth_and_oldest_age_outbox_lag_and_bill_run_are_read_at_scrape_time(db_session):
    queue = Queue(jobs.NOTIFY, connection=get_redis())
    queue.enqueue("workers.periodic.outbox_sweep")
    queue.enqueue("workers.periodic.outbox_sweep")
    db_session.add(OutboxJob(queue=jobs.DEFAULT, func="workers.periodic.outbox_sweep", args=[],
                             created_at=utcnow() - timedelta(seconds=90)))
    db_session.add(BillRun(period=date(2026, 11, 1), status="running", cursor=4321, bills_created=17))
    db_session.flush()
    state = _state()
    assert state[("rq_queue_depth", (("queue", "notify"),))] == 2
    assert state[("rq_queue_depth", (("queue", "default"),))] == 0
    assert 0 <= state[("rq_queue_oldest_job_age_seconds", (("queue", "notify"),))] < 60
    assert state[("outbox_pending", ())] == 1 and state[("outbox_lag_seconds", ())] >= 90
    assert state[("bill_run_running", (("period", "2026-11-01"),))] == 1
    assert state[("bill_run_bills_created", (("period", "2026-11-01"),))] == 17
    assert state[("bill_run_cursor", (("period", "2026-11-01"),))] == 4321
    for what in ("text", "photo"):
        assert state[("content_check_backlog", (("what", what),))] == 0
    assert state[("receipts_waiting", (("state", "failed"),))] == 0
    assert all(state[("metrics_scrape_errors", (("probe", p),))] == 0
               for p in ("queues", "outbox", "periodic", "content_check", "receipts", "bill_run"))


def test_each_periodic_job_shows_its_runs_doubled_runs_and_the_age_of_its_last_run(db_session):
    import time

    from api import periodic

    periodic.started("periodic-outbox_sweep", {"period": 1}, now=time.time() - 30)
    periodic.started("periodic-outbox_sweep", {"period": 2}, now=time.time() - 3)
    periodic.started("periodic-overdue_scan", {"period": 5}, now=time.time() - 100)
    periodic.started("periodic-overdue_scan", {"period": 5}, now=time.time() - 90)  # a second run in period 5
    state = _state()
    sweep, scan = (("job", "outbox_sweep"),), (("job", "overdue_scan"),)
    assert state[("periodic_runs", sweep)] == 2 and state[("periodic_runs_doubled", sweep)] == 0
    assert 3 <= state[("periodic_last_run_age_seconds", sweep)] < 30
    assert state[("periodic_runs", scan)] == 2 and state[("periodic_runs_doubled", scan)] == 1
    assert state[("periodic_last_run_age_seconds", scan)] >= 90


def test_a_failing_probe_is_counted_and_the_others_still_answer(db_session, monkeypatch):
    def broken(self):
        raise ConnectionError("redis away")
        yield  # pragma: no cover - a generator, as the probes are

    monkeypatch.setattr(metrics.StateCollector, "_queues", broken)
    state = _state()
    assert state[("metrics_scrape_errors", (("probe", "queues"),))] == 1
    assert state[("metrics_scrape_errors", (("probe", "outbox"),))] == 0
    assert state[("outbox_pending", ())] == 0


def test_pay_notify_verdicts_are_counted(client, db_session, metrics_token):
    before = REGISTRY.get_sample_value("pay_notify_verdicts_total", {"verdict": "forged"}) or 0
    answer = client.post(NOTIFY, data=b'{"id": "EV-1"}', headers={
        "Wechatpay-Serial": "not-our-key", "Wechatpay-Timestamp": str(10**12), "Wechatpay-Nonce": "n",
        "Wechatpay-Signature": "", "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert _scrape(client, metrics_token)[("pay_notify_verdicts_total", (("verdict", "forged"),))] == before + 1


def test_counters_of_other_processes_are_added_up_in_multiprocess_mode(db_session, tmp_path):
    """prometheus-client's multi-process mode: each process (gunicorn's workers, the RQ workers) writes its own
    files to PROMETHEUS_MULTIPROC_DIR, and a scrape adds them up."""
    code = "from api import metrics; metrics.INTAKE_DECISIONS.labels('triage', 'event:01-02').inc(2)"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT,
                       env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"})
    body, _ = metrics.render(jobs.QUEUES, str(tmp_path))
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(body.decode()) for s in family.samples}
    assert samples[("intake_decisions_total", (("category", "event:01-02"), ("decision", "triage")))] == 4
    assert ("rq_queue_depth", (("queue", "classify"),)) in samples  # the state gauges ride along


def test_an_empty_multiprocess_folder_is_refused_at_start():
    """Set but empty, the variable turns prometheus-client's multi-process mode on in the working folder."""
    with pytest.raises(ConfigError, match="PROMETHEUS_MULTIPROC_DIR"):
        Config.from_env({"PROMETHEUS_MULTIPROC_DIR": "", "SECRET_KEY": "k" * 32, "MEDIA_SIGNING_KEY": "m" * 32})


def test_gunicorn_marks_a_dead_web_worker(tmp_path, monkeypatch):
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    settings["child_exit"](None, SimpleNamespace(pid=4242))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db"]  # counters keep what was counted


# -- request ids --------------------------------------------------------------------------------------------------
def test_a_well_formed_request_id_is_kept_and_anything_else_replaced(client, db_session):
    assert client.get("/health", headers={"X-Request-ID": "lb-7f3a9c21e0"}).headers["X-Request-ID"] == "lb-7f3a9c21e0"
    for bad in ("short", "x" * 65, "has space in it", "中文的请求编号-123456", "a\"quote\"-123456", ""):
        given = client.get("/health", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert given != bad and len(given) == 32 and int(given, 16) >= 0
    first, second = (client.get("/nope").headers["X-Request-ID"] for _ in range(2))
    assert first != second  # an error answer carries one too
    assert observability.current_request_id() is None  # nothing left behind after a request


def test_the_request_id_travels_with_the_jobs_a_request_starts(db_session):
    token = observability.request_id.set("req-0123456789ab")
    try:
        row = outbox.add(jobs.BILL_RUN("2026-11-01"))
        db_session.flush()
        assert outbox.hand_over([row]) == 1
    finally:
        observability.request_id.reset(token)
    assert Job.fetch(row.job_id, connection=get_redis()).meta == {"request_id": "req-0123456789ab"}
    token = observability.request_id.set("req-cafe0123456789")
    try:
        missed = outbox.add(jobs.BILL_RUN("2026-10-01"))  # Redis away at commit: the clock's sweep hands it over
        db_session.flush()
    finally:
        observability.request_id.reset(token)
    swept = db_session.execute(sa.select(OutboxJob.__table__).where(OutboxJob.id == missed.id)).all()
    assert outbox.hand_over(swept) == 1  # as the sweep hands rows over: selected, outside any request, later
    assert Job.fetch(missed.job_id, connection=get_redis()).meta == {"request_id": "req-cafe0123456789"}
    later = outbox.add(jobs.BILL_RUN("2026-12-01"))  # recorded outside any request (a command): no id to carry
    db_session.flush()
    outbox.hand_over([later])
    assert "request_id" not in Job.fetch(later.job_id, connection=get_redis()).meta


# -- logs -----------------------------------------------------------------------------------------------------------
def test_production_logs_are_json_lines_with_the_request_id_and_extras():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    logger = logging.getLogger("tests.observability.json")
    logger.addHandler(handler)
    token = observability.request_id.set("req-json-000001")
    try:
        logger.warning("outbox hand-over failed; 稍后重试", extra={"outbox_id": 7})
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("job failed")
    finally:
        observability.request_id.reset(token)
        logger.removeHandler(handler)
    first, second = (json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{"))
    assert first["level"] == "WARNING" and first["message"] == "outbox hand-over failed; 稍后重试"
    assert first["request_id"] == "req-json-000001" and first["outbox_id"] == 7
    assert first["logger"] == "tests.observability.json" and first["ts"].endswith("Z") and "job_id" not in first
    assert "ValueError: boom" in second["exc"]


def test_init_logging_installs_one_handler_json_in_production_readable_elsewhere():
    root = logging.getLogger()
    kept, level = list(root.handlers), root.level
    try:
        observability.init_logging("production", "web")
        observability.init_logging("production", "web")  # twice: still one handler of ours
        ours = [h for h in root.handlers if h.get_name() == "suiyun"]
        assert len(ours) == 1 and isinstance(ours[0].formatter, observability.JsonFormatter)
        observability.init_logging("development", "worker")
        ours = [h for h in root.handlers if h.get_name() == "suiyun"]
        assert len(ours) == 1 and isinstance(ours[0].formatter, observability.TextFormatter)
        record = logging.LogRecord("x", logging.INFO, "", 0, "case %s dispatched", (5,), None)
        token = observability.job_id.set("outbox-9")
        try:
            assert ours[0].formatter.format(record).endswith("worker INFO x: case 5 dispatched [job=outbox-9]")
        finally:
            observability.job_id.reset(token)
    finally:
        for handler in list(root.handlers):
            if handler not in kept:
                root.removeHandler(handler)
        root.setLevel(level)


# -- /health and /ready ------------------------------------------------------------------------------------------
def test_health_touches_nothing_and_ready_fails_when_migrations_are_behind(client, db_session, monkeypatch):
    monkeypatch.setattr(docs, "_head", lambda: "9999_not_yet_applied")
    answer = client.get("/ready")
    assert answer.status_code == 503
    assert answer.json == {"status": "unavailable", "checks": {"database": "ok", "redis": "ok",
                                                               "migrations": "error: MigrationsBehind"}}
    monkeypatch.setattr(docs, "Session", None)  # /health would fail if it reached the database
    assert client.get("/health").json == {"status": "ok"}
