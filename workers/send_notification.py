"""Job: deliver one subscribe message (retries on WeChat busy/rate-limit; failure ends visible)."""

from __future__ import annotations

import logging

from api.db import unit_of_work
from api.notifications import service as notifications
from workers.jobs import job_session, on_last_failure

log = logging.getLogger(__name__)


def send_notification(notification_id: int) -> str | None:
    """Two units of work: the send is reserved (committed) before WeChat is called, then the outcome; a
    retryable WeChat error is raised after its outcome is committed, so RQ retries with backoff."""
    with job_session():
        with unit_of_work():
            n = notifications.reserve(notification_id)
        if n is None:
            log.warning("notification gone", extra={"notification_id": notification_id})
            return None
        with unit_of_work():
            n, retry = notifications.send(notification_id)
        if retry is not None:
            raise retry
        return n.status


# the notification ends `failed`, with the reason
on_final_failure = on_last_failure(lambda job, error: notifications.give_up(job.args[0], error))
