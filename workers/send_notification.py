"""Job: deliver one subscribe message (retries on WeChat busy/rate-limit; failure ends visible)."""

from __future__ import annotations

import logging

from api.notifications import service as notifications
from workers.jobs import job_session, on_last_failure

log = logging.getLogger(__name__)


def send_notification(notification_id: int) -> str | None:
    with job_session():
        n = notifications.deliver(notification_id)
        if n is None:
            log.warning("notification gone", extra={"notification_id": notification_id})
            return None
        return n.status


# the notification ends `failed`, with the reason
on_final_failure = on_last_failure(lambda job, error: notifications.give_up(job.args[0], error))
