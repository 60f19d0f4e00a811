"""The clock: enqueues each periodic job (api.jobs.PERIODIC) when it is due, and runs nothing itself.

Run with `python -m workers.schedule`, one per machine if you like: each period's run is queued by the clock
that claims the period first (api/periodic.py), and a run still queued or running is not queued again,
so a slow run never piles up behind itself. While Redis is away the clock logs and tries again a second later
(the outbox keeps every other job safe meanwhile).
"""

from __future__ import annotations

import logging
import signal
import time

import redis

from api import observability, periodic
from api.jobs import PERIODIC, Periodic
from workers.boot import boot

log = logging.getLogger(__name__)


def tick(due: dict[str, float], now: float, table: tuple[Periodic, ...] = PERIODIC) -> list[str]:
    """Enqueue what is due at `now` (Unix seconds: every clock must agree where a period begins); returns the
    names this clock handed over."""
    queued = []
    for entry in table:
        name = entry.job.name
        if now < due.get(name, 0.0):
            continue
        try:
            if periodic.enqueue(entry, now):
                queued.append(name)
            due[name] = periodic.next_due(entry.every_s, now)
        except (redis.RedisError, OSError):
            log.warning("periodic job not enqueued: Redis unavailable", extra={"task": name})
            due[name] = now + 1  # try again soon
    return queued


def main() -> None:
    config = boot()
    observability.init_logging(config.ENV, "clock")  # JSON lines in production
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    due: dict[str, float] = {}
    while not stopping:
        tick(due, time.time())
        time.sleep(0.5)


if __name__ == "__main__":
    main()
