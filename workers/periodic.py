"""Periodic jobs (declared in api.jobs.PERIODIC; the clock enqueues them, a worker runs them).

Each returns how many things it did, which RQ keeps as the job's result for the log.
"""

from __future__ import annotations

from api.cases import deadlines
from api.devices import service as devices
from api.outbox import service as outbox
from api.reports import service as reports
from workers.jobs import job_unit


def outbox_sweep() -> int:
    with job_unit():
        return outbox.sweep()


def purge_drafts() -> int:
    with job_unit():
        return reports.purge_stale_drafts()


def overdue_scan() -> int:
    with job_unit():
        return deadlines.scan_overdue()


def device_silence() -> int:
    with job_unit():
        return devices.scan_silent_devices()
