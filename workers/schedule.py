"""Periodic work: outbox sweep, stale-draft purge, overdue scan and escalation, silent devices.

Run with `python -m workers.schedule`.
"""

from __future__ import annotations

import logging
import signal
import time

from api.db import Session
from api.devices import service as devices
from api.outbox import service as outbox
from api.reports import service as reports
from api.work_orders import service as work_orders
from workers.boot import boot

log = logging.getLogger(__name__)

PERIODS_S = {"outbox_sweep": 5, "purge_drafts": 600, "overdue_scan": 60, "device_silence": 60}


def run_once(name: str) -> int:
    try:
        if name == "outbox_sweep":
            return outbox.sweep()
        if name == "purge_drafts":
            return reports.purge_stale_drafts()
        if name == "overdue_scan":
            return work_orders.scan_overdue()
        if name == "device_silence":
            return devices.scan_silent_devices()
        raise ValueError(name)
    finally:
        Session.remove()


def main() -> None:
    boot()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s clock %(levelname)s %(message)s")
    stopping = False

    def _stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    due = {name: 0.0 for name in PERIODS_S}
    while not stopping:
        now = time.monotonic()
        for name, period in PERIODS_S.items():
            if now >= due[name]:
                due[name] = now + period
                try:
                    done = run_once(name)
                    if done:
                        log.info("periodic task did work", extra={"task": name, "count": done})
                except Exception:  # noqa: BLE001 - one failing tick must not stop the clock
                    log.exception("periodic task failed", extra={"task": name})
        time.sleep(0.5)


if __name__ == "__main__":
    main()
