"""Worker process: `python -m workers.worker [queue ...]` (default: all queues).

Boots config, engine and Redis once, disposes the engine's inherited connections in each forked
job child (SQLAlchemy must not share sockets across fork), and runs the RQ loop with the scheduler so
retries with backoff fire. A worker that serves the classify queue never forks: it loads the model once and
runs every job in its own process (a forked child would load the model again for every job).

Redis going away does not end the process: RQ's loop waits out a lost connection while it waits for a job, but
quits on one anywhere else (its heartbeat, its maintenance, a job's bookkeeping). `serve()` then waits for Redis
and starts a fresh RQ worker in the same process. The run it had in hand is handed to RQ's
clean-up of abandoned runs at once (retried if it has retries left, else failed). A job whose worker was killed
is found by RQ's maintenance once its heartbeat is older than 90 s, and handled the same way (WORKER_MAINTENANCE_S:
how often each worker looks; an idle worker's wait for a job is cut to that too, since RQ runs its maintenance
only between waits: its default wait, 405 s, would leave such a job there for minutes).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import time

import redis
from rq import Queue, SimpleWorker, Worker
from rq.worker.base import StopRequested

from api import db, observability, periodic
from api.extensions import get_redis
from api.jobs import CLASSIFY, JOBS, PERIODIC, QUEUES, RECEIPTS
from workers.boot import boot

log = logging.getLogger("workers.worker")
PERIODIC_FUNCS = frozenset(entry.job.func for entry in PERIODIC)
CHILD_HEARTBEAT_S = 30  # how often a cut-off run's forked child, waited for, has its entry kept alive
RQ_PER_JOB_LINES = frozenset({"Worker %s: %s: %s (%s)", "Worker %s: %s: %s"})  # rq.worker's dequeued / Job OK


class QuietWhenIdle(logging.Filter):
    """An idle worker says nothing: RQ logs every job twice at INFO (dequeued, OK) — with the clock's periodic jobs
    that was ~140 lines a minute of nothing. Those two lines are dropped; `QuietJobs` logs one line per job that
    did something instead. Failures, retries and RQ's start-up lines are untouched."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and record.msg in RQ_PER_JOB_LINES)


class QuietJobs:
    """One INFO line per finished job, except a periodic job that found nothing to do (it returned 0 or None)."""

    log_result_lifespan = False  # RQ's "result is kept for N seconds", once per job

    def perform_job(self, job, queue, execution):
        """Every line the job logs carries its id and the id of the request that started it (its RQ meta)."""
        tokens = (observability.job_id.set(job.id), observability.request_id.set(job.meta.get("request_id")))
        try:
            if job.id.startswith(periodic.JOB_PREFIX):
                periodic.started(job.id, job.meta)  # counted as it starts: a run killed midway still ran
            return super().perform_job(job, queue, execution)
        finally:
            observability.request_id.reset(tokens[1])
            observability.job_id.reset(tokens[0])

    def prepare_execution(self, job):
        """Remember the run in hand (its started-registry entry) until it ends: if this worker loses Redis
        meanwhile, `serve()` hands it to RQ's clean-up at once instead of after its heartbeat's 90 s."""
        execution = super().prepare_execution(job)
        self.in_flight = (job.started_job_registry, execution.composite_key)
        return execution

    def execute_job(self, job, queue):
        super().execute_job(job, queue)
        self.in_flight = None  # only reached when RQ finished the run's bookkeeping

    def _finalize_success(self, job, queue, execution, return_value):
        super()._finalize_success(job, queue, execution, return_value)
        if job.func_name in PERIODIC_FUNCS and not return_value:
            return
        log.info("%s: %s done (%s)%s", job.origin, job.func_name.rpartition(".")[2], job.id,
                 f": {return_value!r}" if isinstance(return_value, int | str) else "")


class AppWorker(QuietJobs, Worker):
    def main_work_horse(self, job, queue):  # the forked child, before the job runs
        db.dispose_after_fork()
        super().main_work_horse(job, queue)


class AppSimpleWorker(QuietJobs, SimpleWorker):
    pass


def quiet_rq_logs() -> None:
    logging.getLogger("rq.worker").addFilter(QuietWhenIdle())


def preload_jobs() -> None:
    """Import every job module once in the parent, so forked children do not re-import per job."""
    for job in JOBS.values():
        for path in job.paths():
            importlib.import_module(path.rpartition(".")[0])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("queues", nargs="*", default=list(QUEUES))
    parser.add_argument("--burst", action="store_true")
    parser.add_argument("--simple", action="store_true", help="run jobs in this process (no fork)")
    args = parser.parse_args(argv)
    config = boot()
    preload_jobs()
    if RECEIPTS in args.queues:  # the CJK font registered once, here (before a fork, if this worker forks)
        from invoices import fonts

        fonts.font()
    serves_model = CLASSIFY in args.queues
    if serves_model:  # the model is loaded once, here; its jobs must then run in this process
        from workers import intake

        intake.preload()
    observability.init_logging(config.ENV, "worker")  # JSON lines in production
    quiet_rq_logs()
    worker_class = AppSimpleWorker if args.simple or serves_model else AppWorker
    serve(worker_class, args.queues, burst=args.burst, maintenance_s=config.WORKER_MAINTENANCE_S)


def serve(worker_class: type[Worker], queue_names: list[str], *, burst: bool = False, maintenance_s: int = 60,
          pause_s: float = 1.0) -> int:
    """Run RQ workers on these queues until one stops on request (SIGTERM, SIGINT) or a burst is done; a worker
    that quit for any other reason (Redis away, an error in RQ's own loop), or could not start because Redis was
    away, is followed by a fresh one once Redis answers. Returns how many workers it started."""
    started = 0
    while True:
        connection, worker = get_redis(), None
        try:
            worker = worker_class([Queue(name, connection=connection) for name in queue_names],
                                  connection=connection, maintenance_interval=maintenance_s,
                                  worker_ttl=maintenance_s + 15)  # RQ's constructor already asks Redis
            started += 1
            worker.work(burst=burst, with_scheduler=True)
            if burst or worker._stop_requested or worker._shutdown_requested_date is not None:
                return started
            _between_workers()
            log.warning("worker loop ended: starting a fresh worker", extra={"queues": queue_names})
        except StopRequested:
            return started
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            _between_workers()
            log.warning("worker lost Redis: starting a fresh worker once it answers",
                        extra={"queues": queue_names, "error": str(exc)})
        _let_go(worker)
        _wait_for_redis(pause_s)
        _retire(worker)


def _between_workers() -> None:
    """From here until the next worker starts, a stop request ends the process at once (the last worker's
    handlers would ask Redis, which may be away)."""
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit)


def _let_go(worker: Worker | None) -> None:
    """What RQ's teardown leaves behind when Redis is away: the worker's command channel (a thread and a
    connection). Best effort: it is going anyway."""
    for close in (getattr(getattr(worker, "pubsub_thread", None), "stop", None),
                  getattr(getattr(worker, "pubsub", None), "close", None)):
        if close is not None:
            try:
                close()
            except (redis.RedisError, OSError, RuntimeError):
                pass


def _retire(worker: Worker | None) -> None:
    """The run a worker had in hand when it quit is handed to RQ's own clean-up of abandoned runs (retried if it has
    retries left, else failed), under RQ's per-queue maintenance lock as RQ's maintenance takes it. A forked child
    still running it is waited for first, its run's entry kept alive meanwhile, so it never runs twice at once; a
    run that finished is left alone. (A child that ran through an outage longer than RQ's 90 s may be retried by
    another worker's maintenance meanwhile, as with RQ itself.)"""
    in_flight = getattr(worker, "in_flight", None)
    if in_flight is None:
        return
    registry, entry = in_flight
    _wait_for_child(getattr(worker, "_horse_pid", 0), registry, entry)
    queue = Queue(registry.name, connection=registry.connection)
    try:
        if registry.connection.zscore(registry.key, entry) is None:
            return  # not listed: the run finished (or RQ already handed it on)
        registry.connection.zadd(registry.key, {entry: 0}, xx=True)  # expired now
        if not queue.acquire_maintenance_lock():
            return  # a maintenance is running: its next round finds the entry expired
        try:
            registry.cleanup(timestamp=1)  # only entries expiring by 1970: this one
            log.warning("a run cut off with its worker handed to RQ's clean-up", extra={"entry": entry})
        finally:
            queue.release_maintenance_lock()
    except (redis.ConnectionError, redis.TimeoutError):
        pass  # Redis went away again: RQ's maintenance finds it once its heartbeat is old


def _wait_for_child(pid: int, registry, entry: str) -> None:
    last = 0.0
    while pid:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return
        if done:
            return
        if time.monotonic() - last >= CHILD_HEARTBEAT_S:  # the run is still being worked: keep its entry alive
            try:
                registry.connection.zadd(registry.key, {entry: time.time() + CHILD_HEARTBEAT_S + 60}, xx=True)
                last = time.monotonic()
            except (redis.ConnectionError, redis.TimeoutError):
                pass
        time.sleep(0.2)


def _wait_for_redis(pause_s: float) -> None:
    waited, said = 0.0, 0.0
    while True:
        time.sleep(pause_s)
        waited += pause_s
        try:
            if get_redis().ping():
                return
        except (redis.ConnectionError, redis.TimeoutError) as exc:  # AuthenticationError is one: say it
            if waited - said >= 30:
                log.error("still waiting for Redis", extra={"waited_s": round(waited), "error": str(exc)})
                said = waited


def _exit(signum, frame) -> None:
    raise SystemExit(0)


if __name__ == "__main__":
    main()
