"""Queue names, retry policies and the job specs domain code hands to the outbox.

Imports nothing from `api`: domain code builds a JobSpec here, the outbox stores it in the same
transaction as the change, and after commit `enqueue()` hands it to RQ by dotted path.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis
from rq import Queue, Retry
from rq.callbacks import Callback
from rq.job import Job

CLASSIFY = "classify"
DEFAULT = "default"
NOTIFY = "notify"
QUEUES = (CLASSIFY, DEFAULT, NOTIFY)


@dataclass(frozen=True)
class JobSpec:
    queue: str
    func: str  # dotted path, resolved by the worker
    args: tuple
    retries: int = 0  # RQ retries after the first attempt
    on_failure: str | None = None  # dotted path, called when the last attempt failed


def send_notification(notification_id: int) -> JobSpec:
    return JobSpec(NOTIFY, "workers.send_notification.send_notification", (notification_id,), retries=3,
                   on_failure="workers.send_notification.on_final_failure")


def make_photo_derivatives(media_id: int) -> JobSpec:
    return JobSpec(DEFAULT, "workers.make_photo_derivatives.make_photo_derivatives", (media_id,), retries=2)


def classify_photo(media_id: int) -> JobSpec:
    return JobSpec(CLASSIFY, "workers.intake.classify_photo", (media_id,), retries=3,
                   on_failure="workers.intake.on_final_failure")


def route_report(report_id: int) -> JobSpec:
    return JobSpec(CLASSIFY, "workers.intake.route_report", (report_id,), retries=3,
                   on_failure="workers.intake.on_final_failure")


def dispatch_case(case_id: int) -> JobSpec:
    return JobSpec(DEFAULT, "workers.intake.dispatch_case", (case_id,), retries=3,
                   on_failure="workers.intake.on_final_failure")


def answer_hotline(case_id: int) -> JobSpec:
    return JobSpec(NOTIFY, "workers.answer_hotline.answer_hotline", (case_id,), retries=5,
                   on_failure="workers.answer_hotline.on_final_failure")


# Every dotted path a spec can name; a test imports each so a rename fails CI, not production.
JOB_PATHS = (
    "workers.send_notification.send_notification",
    "workers.send_notification.on_final_failure",
    "workers.make_photo_derivatives.make_photo_derivatives",
    "workers.intake.classify_photo",
    "workers.intake.route_report",
    "workers.intake.dispatch_case",
    "workers.intake.on_final_failure",
    "workers.answer_hotline.answer_hotline",
    "workers.answer_hotline.on_final_failure",
)


def enqueue(connection: redis.Redis, spec: JobSpec, *, job_id: str, intervals: list[int]) -> Job:
    """Hand one job to RQ. `unique=True`: a second hand-over of the same outbox row is refused by RQ."""
    retry = Retry(max=spec.retries, interval=intervals or 0) if spec.retries else None
    on_failure = Callback(spec.on_failure) if spec.on_failure else None
    queue = Queue(spec.queue, connection=connection)
    return queue.enqueue(spec.func, *spec.args, job_id=job_id, unique=True, retry=retry, on_failure=on_failure,
                         result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600)
