"""The clock's hand-over of periodic work (api.jobs.PERIODIC), safe with two clocks or more.

Time is cut into periods of each job's interval, counted from the Unix epoch, so every clock agrees where a period
begins. A clock that finds a job due claims that period in Redis (`SET NX` on `periodic:claim:{name}:{period}`):
only the clock that wins queues the run, so two clocks (one per machine, for availability) queue each period's run
once. The run goes in under the job's fixed id (`periodic-{name}`, unique while it is queued or running): a period
whose previous run is still waiting or running adds nothing, so a slow run never piles up behind itself; a
previous run that failed (RQ keeps it a minute) is deleted to make way.

The worker calls `started()` as a run begins. It keeps, per job, the number of runs and the time of the last one
(`/metrics`: a dead clock or a stuck queue shows as the age of the last run growing past the period), and marks the
run's period as run; a second run in one period — which the claim makes impossible — is counted as doubled and
logged as an error, so the rule is watched, not assumed.

Failure modes: Redis away when a clock claims → nothing is queued, the clock tries again a second later; Redis gone
between the claim and the enqueue → that period is lost (the next one runs; every periodic job is idempotent and
catches up); a clock that stops → the other one wins every claim.
"""

from __future__ import annotations

import logging
import time

from rq import Queue
from rq.exceptions import DuplicateJobError
from rq.job import JobStatus

from api.extensions import get_redis
from api.jobs import PERIODIC, Periodic

log = logging.getLogger(__name__)

JOB_PREFIX = "periodic-"
_RUNS = "periodic:runs"  # hash: job name -> runs since Redis began
_LAST_RUN = "periodic:last-run"  # hash: job name -> Unix time of the last run's start
_DOUBLED = "periodic:doubled"  # hash: job name -> runs that found their period already run
_EVERY = {entry.job.name: entry.every_s for entry in PERIODIC}
CLOCK_SKEW_S = 3600  # the most two clocks may disagree and still never queue one period twice


def period_of(every_s: int, now: float) -> int:
    return int(now // every_s)


def next_due(every_s: int, now: float) -> float:
    """When the period after the one `now` falls in begins."""
    return (period_of(every_s, now) + 1) * every_s


def enqueue(entry: Periodic, now: float) -> bool:
    """Queue this period's run if this clock claims the period first; False: another clock claimed it, or the
    previous run is still queued or running. Raises redis errors (the clock tries again soon)."""
    job, period = entry.job, period_of(entry.every_s, now)
    redis = get_redis()
    if not redis.set(f"periodic:claim:{job.name}:{period}", 1, nx=True, ex=_keep(entry.every_s)):
        return False
    queue = Queue(job.queue, connection=redis)
    for _ in range(2):
        try:
            queue.enqueue(job.func, job_id=JOB_PREFIX + job.name, unique=True, result_ttl=0, failure_ttl=60,
                          meta={"period": period})
            return True
        except DuplicateJobError:
            if not _clear_ended(queue, JOB_PREFIX + job.name):
                return False
    return False


def _clear_ended(queue: Queue, job_id: str) -> bool:
    """A failed (or stopped) earlier run keeps its id for its failure TTL; it must not hold up this period's run.
    True when such a run was deleted (it stays in the worker's log and the failure counts)."""
    found = queue.fetch_job(job_id)
    if found is None or found.get_status(refresh=False) not in (JobStatus.FAILED, JobStatus.STOPPED,
                                                                 JobStatus.CANCELED, JobStatus.FINISHED):
        return found is None
    found.delete()
    return True


def started(job_id: str, meta: dict, now: float | None = None) -> None:
    """A worker begins a periodic run (its RQ job id and meta): count it and mark its period as run."""
    name = job_id.removeprefix(JOB_PREFIX)
    every_s, period = _EVERY.get(name), meta.get("period")
    now = time.time() if now is None else now
    redis = get_redis()
    with redis.pipeline(transaction=False) as pipe:
        pipe.hincrby(_RUNS, name, 1)
        pipe.hset(_LAST_RUN, name, repr(now))
        if every_s is not None and period is not None:
            pipe.set(f"periodic:ran:{name}:{period}", 1, nx=True, ex=_keep(every_s))
        first = pipe.execute()[2:]
    if first and not first[0]:
        redis.hincrby(_DOUBLED, name, 1)
        log.error("periodic job ran twice in one period", extra={"task": name, "period": period})


def status() -> dict[str, dict[str, float]]:
    """Per job: runs, the Unix time of the last run's start, runs doubled (what /metrics shows)."""
    redis = get_redis()
    with redis.pipeline(transaction=False) as pipe:
        for key in (_RUNS, _LAST_RUN, _DOUBLED):
            pipe.hgetall(key)
        runs, last, doubled = ({k.decode(): float(v) for k, v in found.items()} for found in pipe.execute())
    return {"runs": runs, "last_run": last, "doubled": doubled}


def _keep(every_s: int) -> int:
    """How long a period's claim and its ran-mark are kept: a clock up to an hour behind the others still finds the
    period claimed (it never queues it again), and a second run is still seen as doubled."""
    return max(2 * every_s, CLOCK_SKEW_S)
