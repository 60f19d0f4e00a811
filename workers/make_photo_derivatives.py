"""Job: the display and thumb copies of every photo waiting for them (a coalesced job: one queued run serves every
upload nudging it; the clock queues it too, for retries and for nudges lost to a Redis outage).

Rounds until nothing waits: lease a batch, make the copies in MEDIA_DERIVE_THREADS threads, record them. A run
that has worked RUN_BUDGET_S queues the next and ends, so one run never holds a worker for ever.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from api.config import get_config
from api.db import unit_of_work, utcnow
from api.jobs import MAKE_PHOTO_DERIVATIVES
from api.media import derivatives
from api.outbox import service as outbox
from workers.jobs import job_session

log = logging.getLogger(__name__)
RUN_BUDGET_S = 300


def make_photo_derivatives() -> int:
    outbox.coalesced_run_started(MAKE_PHOTO_DERIVATIVES.name)
    config = get_config()
    threads = config.MEDIA_DERIVE_THREADS
    started, done = time.monotonic(), 0
    with job_session(), ThreadPoolExecutor(max_workers=threads, thread_name_prefix="derive") as pool:
        while True:
            with unit_of_work():
                items = derivatives.claim(threads * 4, utcnow())
            if not items:
                break
            made = list(pool.map(derivatives.make, items))
            with unit_of_work():
                done += derivatives.record(made, utcnow())
            if time.monotonic() - started > RUN_BUDGET_S:
                outbox.nudge_now(MAKE_PHOTO_DERIVATIVES)  # more may wait: the next run carries on
                break
    return done
