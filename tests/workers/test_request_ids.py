"""A job logs under the id of the request that started it (its RQ meta) and under its own job id."""

from __future__ import annotations

import io
import json
import logging

from rq import Queue

from api import jobs, observability
from api.extensions import get_redis
from workers.worker import AppSimpleWorker, quiet_rq_logs


def test_a_job_logs_under_the_request_id_that_started_it(committed):
    quiet_rq_logs()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(observability.JsonFormatter())
    logger = logging.getLogger("workers.worker")
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    queue = Queue(jobs.DEFAULT, connection=get_redis())
    try:
        queue.enqueue("workers.billing.bill_run", "2026-01-01", job_id="outbox-77",
                      meta={"request_id": "req-from-the-api-01"})
        queue.enqueue("workers.billing.bill_run", "2026-02-01", job_id="outbox-78")  # a sweep's: no request
        AppSimpleWorker([queue], connection=get_redis()).work(burst=True)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    done = {line["job_id"]: line for line in lines if "bill_run done" in line["message"]}
    assert done["outbox-77"]["request_id"] == "req-from-the-api-01"
    assert "request_id" not in done["outbox-78"]
    assert observability.request_id.get() is None and observability.job_id.get() is None  # reset after each job
