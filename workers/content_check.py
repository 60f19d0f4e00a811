"""Job: WeChat's content checks of drafts and photos, many calls in flight at once (never on the request path).

One run drains the backlog in rounds: lease a batch (one short unit of work), ask WeChat about every item in
CHECK_CONCURRENCY threads (no database in the threads, no transaction open while WeChat answers), record the
verdicts (one more unit of work). A verdict that flags a submitted report tells its case's intake clerks.
Nudged after the commit that adds a draft or photo (api/outbox: one queued run serves them all) and queued by the
clock every 5 s for retries whose time has come.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor

from api.citizen import checks as case_flags
from api.config import get_config
from api.db import unit_of_work, utcnow
from api.jobs import CHECK_CONTENT
from api.outbox import service as outbox
from api.reports import checks
from workers.jobs import job_session

log = logging.getLogger(__name__)
MAX_ROUNDS = 50  # then the next run (queued meanwhile, or the clock's) carries on
GATHER_S = 0.2


def check_content() -> int:
    outbox.coalesced_run_started(CHECK_CONTENT.name)
    config = get_config()
    done = 0
    with job_session(), ThreadPoolExecutor(max_workers=config.CHECK_CONCURRENCY,
                                           thread_name_prefix="content-check") as pool:
        for _ in range(MAX_ROUNDS):
            with unit_of_work():
                items = checks.claim(config.CHECK_BATCH, utcnow())
            if not items:
                break
            outcomes = list(pool.map(checks.ask_wechat, items))
            with unit_of_work():
                for report, outcome in checks.record_outcomes(outcomes, utcnow()):
                    case_flags.flag_case(report, outcome)
            done += len(items)
            if len(items) < config.CHECK_BATCH // 4:
                time.sleep(GATHER_S)  # a short wait lets the next round ask about more at once
    return done
