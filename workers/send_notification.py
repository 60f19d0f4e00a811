"""Job: deliver one subscribe message (retries on WeChat busy/rate-limit; failure ends visible)."""

from __future__ import annotations

import logging

from api.db import Session
from api.notifications import service as notifications

log = logging.getLogger(__name__)


def send_notification(notification_id: int) -> str | None:
    try:
        n = notifications.deliver(notification_id)
        if n is None:
            log.warning("notification gone", extra={"notification_id": notification_id})
            return None
        return n.status
    finally:
        Session.remove()


def on_final_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ calls this after every failed attempt; act only when no retry is left."""
    if job.retries_left:
        return
    try:
        notifications.give_up(job.args[0], f"{exc_type.__name__}: {exc_value}")
    finally:
        Session.remove()
