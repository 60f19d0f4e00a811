"""An idle worker is quiet at INFO: periodic runs that found nothing say nothing; a job that did something says one
line (the banner of `make run` no longer scrolls away under ~140 lines a minute)."""

from __future__ import annotations

import logging

from rq import Queue

from api import jobs
from api.extensions import get_redis
from workers import schedule
from workers.worker import AppSimpleWorker, quiet_rq_logs


def _run_default_queue() -> None:
    AppSimpleWorker([Queue(jobs.DEFAULT, connection=get_redis())], connection=get_redis()).work(burst=True)


def _info_lines(caplog) -> list[str]:
    """What an operator reads per job: RQ's own lines about jobs, and the worker's."""
    return [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and (
        r.name == "workers.worker" or (r.name == "rq.worker" and ("periodic-" in r.getMessage()
                                                                  or "Job OK" in r.getMessage())))]


def test_idle_periodic_runs_log_nothing_and_a_job_that_did_work_logs_one_line(committed, caplog):
    quiet_rq_logs()
    caplog.set_level(logging.INFO)
    table = (jobs.Periodic(jobs.OUTBOX_SWEEP, 5), jobs.Periodic(jobs.PURGE_DRAFTS, 5),
             jobs.Periodic(jobs.OVERDUE_SCAN, 5))
    assert schedule.tick({}, 0.0, table) == ["outbox_sweep", "purge_drafts", "overdue_scan"]
    _run_default_queue()
    assert Queue(jobs.DEFAULT, connection=get_redis()).get_job_ids() == []  # they ran
    assert _info_lines(caplog) == []

    caplog.clear()
    Queue(jobs.DEFAULT, connection=get_redis()).enqueue("workers.billing.bill_run", "2026-01-01")
    _run_default_queue()
    lines = _info_lines(caplog)
    assert len(lines) == 1 and "bill_run done" in lines[0]


def test_rq_failures_still_reach_the_log(committed, caplog):
    quiet_rq_logs()
    caplog.set_level(logging.INFO)
    Queue(jobs.DEFAULT, connection=get_redis()).enqueue("workers.billing.bill_run", "not-a-period")
    _run_default_queue()
    assert any(r.levelno >= logging.WARNING for r in caplog.records if r.name.startswith("rq"))
