"""Prometheus metrics: what the processes count, and what a scrape reads from PostgreSQL and Redis.

Counters and histograms live here and are incremented where things happen (requests by api/observability.py,
Pay notify verdicts by api/fees/payments/notify.py, intake decisions by api/intake/decide.py). Under gunicorn and beside
the workers they are written to PROMETHEUS_MULTIPROC_DIR (prometheus-client's multi-process mode: every process
writes its own files there, a scrape adds them up; gunicorn.conf.py marks a dead web worker's files). Gauges of
state — queue depths, the outbox's lag, the periodic jobs' last runs, backlogs, the bill run — are computed by
`StateCollector` at scrape time, one bounded query each, from light `sa.table` clauses: this core module imports no
domain.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import prometheus_client as prom
import sqlalchemy as sa
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rq import Queue

from api import periodic
from api.db import Session, utcnow
from api.extensions import get_redis

log = logging.getLogger(__name__)

REQUEST_SECONDS = prom.Histogram(
    "http_request_duration_seconds", "Time to answer a request, by Flask endpoint (never the raw path) and status",
    ["endpoint", "method", "status"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
PAY_NOTIFIES = prom.Counter("pay_notify_verdicts_total", "WeChat Pay notifies recorded, by verdict (accepted, "
                            "duplicate, mismatch, malformed, or why it was refused)", ["verdict"])
INTAKE_DECISIONS = prom.Counter("intake_decisions_total",
                                "Automatic intake decisions (auto_accepted, triage, merged, verification, staff_first) "
                                "by category code", ["decision", "category"])

_outbox = sa.table("outbox_jobs", sa.column("id"), sa.column("created_at"), sa.column("handed_over_at"))
_reports = sa.table("reports", sa.column("id"), sa.column("content_check"))
_media = sa.table("media", sa.column("id"), sa.column("content_check"))
_receipts = sa.table("fee_receipts", sa.column("status"), sa.column("created_at"), sa.column("last_error"))
_bill_runs = sa.table("fee_bill_runs", sa.column("period"), sa.column("status"), sa.column("cursor"),
                      sa.column("bills_created"), sa.column("started_at"))


def _age(moment) -> float:
    return max(0.0, (utcnow() - moment).total_seconds()) if moment is not None else 0.0


class StateCollector(Collector):
    """Gauges read at scrape time. A probe that fails is counted in `metrics_scrape_errors` (by probe), the others
    still answer: a scrape during an outage shows the outage instead of failing."""

    def __init__(self, queues: tuple[str, ...]):
        self.queues = queues

    def collect(self) -> Iterator[GaugeMetricFamily]:
        errors = GaugeMetricFamily("metrics_scrape_errors", "Probes that failed in this scrape", labels=["probe"])
        for name, probe in (("queues", self._queues), ("outbox", self._outbox), ("periodic", self._periodic),
                            ("content_check", self._checks),
                            ("receipts", self._receipts), ("bill_run", self._bill_run)):
            try:
                yield from probe()
                errors.add_metric([name], 0)
            except Exception:  # noqa: BLE001 - one probe down must not hide the others
                log.warning("metrics probe failed", extra={"probe": name}, exc_info=True)
                Session.rollback()
                errors.add_metric([name], 1)
        yield errors

    def _queues(self):
        depth = GaugeMetricFamily("rq_queue_depth", "Jobs waiting in an RQ queue", labels=["queue"])
        oldest = GaugeMetricFamily("rq_queue_oldest_job_age_seconds", "Age of the job at the head of a queue "
                                   "(0 when empty)", labels=["queue"])
        redis = get_redis()
        for name in self.queues:
            queue = Queue(name, connection=redis)
            depth.add_metric([name], queue.count)
            head = queue.get_job_ids(0, 1)
            job = queue.fetch_job(head[0]) if head else None
            enqueued = job.enqueued_at if job is not None else None
            oldest.add_metric([name], max(0.0, time.time() - enqueued.timestamp()) if enqueued else 0.0)
        yield depth
        yield oldest

    def _outbox(self):
        count, first = Session.execute(sa.select(sa.func.count(), sa.func.min(_outbox.c.created_at))
                                       .where(_outbox.c.handed_over_at.is_(None))).one()
        yield GaugeMetricFamily("outbox_pending", "Outbox rows not yet handed to RQ", value=count)
        yield GaugeMetricFamily("outbox_lag_seconds", "Age of the oldest outbox row not yet handed to RQ",
                                value=_age(first))

    def _periodic(self):
        found = periodic.status()
        age = GaugeMetricFamily("periodic_last_run_age_seconds", "Time since a periodic job's last run began (past "
                                "its period: the clocks or the job's queue are stuck)", labels=["job"])
        runs = GaugeMetricFamily("periodic_runs", "Runs of a periodic job (since Redis began)", labels=["job"])
        doubled = GaugeMetricFamily("periodic_runs_doubled", "Runs that found their period already run (must stay 0)",
                                    labels=["job"])
        for name, at in sorted(found["last_run"].items()):
            age.add_metric([name], max(0.0, time.time() - at))
            runs.add_metric([name], found["runs"].get(name, 0))
            doubled.add_metric([name], found["doubled"].get(name, 0))
        yield from (age, runs, doubled)

    def _checks(self):
        pending = sa.select(
            sa.select(sa.func.count()).where(_reports.c.content_check == "pending").scalar_subquery(),
            sa.select(sa.func.count()).where(_media.c.content_check == "pending").scalar_subquery())
        texts, photos = Session.execute(pending).one()
        family = GaugeMetricFamily("content_check_backlog", "Texts and photos waiting for WeChat's content check",
                                   labels=["what"])
        family.add_metric(["text"], texts)
        family.add_metric(["photo"], photos)
        yield family

    def _receipts(self):
        waiting = _receipts.c.status == "awaiting_issue"
        count, failed, first = Session.execute(sa.select(
            sa.func.count(), sa.func.count(_receipts.c.last_error), sa.func.min(_receipts.c.created_at))
            .where(waiting)).one()
        family = GaugeMetricFamily("receipts_waiting", "Receipts not yet issued (failed: the platform refused or "
                                   "was away at the last try)", labels=["state"])
        family.add_metric(["waiting"], count - failed)
        family.add_metric(["failed"], failed)
        yield family
        yield GaugeMetricFamily("receipts_oldest_waiting_seconds", "Age of the oldest receipt not yet issued",
                                value=_age(first))

    def _bill_run(self):
        row = Session.execute(sa.select(_bill_runs).order_by(_bill_runs.c.period.desc()).limit(1)).first()
        running = GaugeMetricFamily("bill_run_running", "1 while the latest period's bill run is running",
                                    labels=["period"])
        created = GaugeMetricFamily("bill_run_bills_created", "Bills the latest period's run has created",
                                    labels=["period"])
        cursor = GaugeMetricFamily("bill_run_cursor", "The last account id the latest run billed", labels=["period"])
        if row is not None:
            period = row.period.isoformat()
            running.add_metric([period], 1 if row.status == "running" else 0)
            created.add_metric([period], row.bills_created)
            cursor.add_metric([period], row.cursor)
        yield from (running, created, cursor)


def render(queues: tuple[str, ...], multiproc_dir: str) -> tuple[bytes, str]:
    """The exposition text of one scrape: every process's counters (or this process's) and the state gauges."""
    if multiproc_dir:
        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=multiproc_dir)
        counted = prom.generate_latest(registry)
    else:
        counted = prom.generate_latest(prom.REGISTRY)
    state = prom.CollectorRegistry(auto_describe=False)
    state.register(StateCollector(queues))
    return counted + prom.generate_latest(state), prom.CONTENT_TYPE_LATEST
