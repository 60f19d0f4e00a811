"""Record jobs in the current transaction; hand them to RQ after commit; sweep what was left behind.

A submit must not fail because Redis is briefly down: the job row commits with the change, the
hand-over after commit is best effort, and `sweep()` (the periodic `outbox_sweep` job) hands over whatever is
still pending. Each row carries what it needs to be handed over as declared (queue, function, retries and
their intervals), so nothing is looked up again by path. RQ's `unique=True` on the deterministic job id refuses a second
hand-over of the same row, so a job runs once even when the sweep and the after-commit hook race.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import redis
import sqlalchemy as sa
from rq import Queue, Retry
from rq.callbacks import Callback
from rq.exceptions import DuplicateJobError
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from api import observability
from api.config import get_config
from api.db import Session, utcnow
from api.extensions import get_redis
from api.jobs import Job, JobCall
from api.outbox.models import OutboxJob

log = logging.getLogger(__name__)

_PENDING_KEY = "outbox_pending"
_NUDGE_KEY = "outbox_nudges"


def add(call: JobCall) -> OutboxJob:
    """Record a call of a declared job in the current transaction; it is handed to RQ once that commits."""
    declared = call.job
    if declared.coalesce:
        raise ValueError(f"{declared.name} is a coalesced job: use nudge()")
    job = OutboxJob(queue=declared.queue, func=declared.func, args=list(call.args), retries=declared.retries,
                    on_failure=declared.on_failure, retry_intervals=declared.retry_intervals(),
                    request_id=observability.current_request_id())
    session = Session()
    session.add(job)
    session.info.setdefault(_PENDING_KEY, []).append(job)
    return job


def nudge(job: Job) -> None:
    """Ask for a run of a coalesced job once this transaction commits, without an outbox row: for a job whose
    work is itself recorded in the database (pending rows) and which the clock also runs periodically, so a
    nudge lost to a Redis outage only delays the work by one period. Costs the request no write."""
    if not job.coalesce:
        raise ValueError(f"{job.name} is not a coalesced job: use add()")
    Session().info.setdefault(_NUDGE_KEY, set()).add(job.name)


def nudge_now(job: Job) -> None:
    """Queue a run of a coalesced job now, outside any transaction (a run that stopped with work left)."""
    _send_nudges([job.name])


def _send_nudges(names) -> None:
    from api.jobs import JOBS

    for name in sorted(names):
        job = JOBS[name]
        if get_redis().set(_coalesce(name), "nudge", nx=True, ex=COALESCE_TTL_S):
            Queue(job.queue, connection=get_redis()).enqueue(job.func, result_ttl=0, failure_ttl=3600)


def hand_over(jobs) -> int:
    """Enqueue outbox rows (ORM objects or selected rows with the same fields); returns how many went."""
    engine = _engine()
    return sum(_hand_over_row(engine, job) for job in jobs)


def sweep(older_than_s: int | None = None) -> int:
    """Hand over rows left pending (Redis was down at commit time, or the process died)."""
    age = get_config().OUTBOX_SWEEP_AFTER_S if older_than_s is None else older_than_s
    cutoff = utcnow() - timedelta(seconds=age)
    with _engine().connect() as conn:
        rows = conn.execute(sa.select(OutboxJob.__table__).where(
            OutboxJob.handed_over_at.is_(None), OutboxJob.created_at <= cutoff).order_by(OutboxJob.id).limit(500)).all()
    return hand_over(rows)


def pending_count() -> int:
    return Session.scalar(sa.select(sa.func.count()).select_from(OutboxJob).where(OutboxJob.handed_over_at.is_(None)))


def _engine() -> sa.Engine:
    # Hand-over uses its own short transactions: it runs after the caller's commit, outside it.
    bind = Session().get_bind()
    return bind.engine if isinstance(bind, sa.Connection) else bind


def _hand_over_row(engine: sa.Engine, row) -> int:
    try:
        _enqueue(row)
    except DuplicateJobError:
        pass  # already handed over by a racing sweep or hook: mark it below
    except (redis.RedisError, OSError) as exc:
        log.warning("outbox hand-over failed; the sweep will retry", extra={"outbox_id": row.id})
        with engine.begin() as conn:
            conn.execute(sa.update(OutboxJob).where(OutboxJob.id == row.id).values(
                attempts=OutboxJob.attempts + 1, last_error=str(exc)[:500]))
        return 0
    with engine.begin() as conn:
        conn.execute(sa.update(OutboxJob).where(OutboxJob.id == row.id).values(
            handed_over_at=utcnow(), attempts=OutboxJob.attempts + 1))
    return 1


COALESCE_TTL_S = 120


def _enqueue(row) -> None:
    """Hand one row to RQ. `unique=True` on the row's job id: a second hand-over is refused by RQ."""
    retry = Retry(max=row.retries, interval=list(row.retry_intervals or []) or 0) if row.retries else None
    on_failure = Callback(row.on_failure) if row.on_failure else None
    # the request that recorded the row, whether it is handed over after that request's commit or by a later sweep
    request_id = getattr(row, "request_id", None) or observability.current_request_id()
    meta = {"request_id": request_id} if request_id else None
    Queue(row.queue, connection=get_redis()).enqueue(
        row.func, *row.args, job_id=f"outbox-{row.id}", unique=True, retry=retry, on_failure=on_failure,
        result_ttl=24 * 3600, failure_ttl=7 * 24 * 3600, meta=meta)


def coalesced_run_started(name: str) -> None:
    """Called by a coalesced job as it starts: a change from now on queues the next run."""
    get_redis().delete(_coalesce(name))


def _coalesce(name: str) -> str:
    return f"outbox:coalesce:{name}"


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the jobs wait for the outer commit (SQLAlchemy fires this hook for both)
    nudges = session.info.pop(_NUDGE_KEY, None)
    if nudges:
        try:
            _send_nudges(nudges)
        except (redis.RedisError, OSError):
            log.warning("nudge lost (Redis unavailable): the periodic run will do the work", extra={"jobs": nudges})
    # a job added inside a savepoint that was rolled back is transient again: it never runs
    jobs = [job for job in session.info.pop(_PENDING_KEY, []) if sa.inspect(job).has_identity]
    if jobs:
        # Runs outside the committed transaction: a failure here leaves the rows for the sweep.
        try:
            hand_over(jobs)  # the committed objects carry every field: no re-read needed
        except Exception:  # noqa: BLE001 - never let a hand-over failure surface as a failed request
            log.exception("outbox hand-over after commit failed")


@event.listens_for(OrmSession, "after_transaction_end")
def _after_transaction_end(session: OrmSession, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING_KEY, None)  # rolled back or closed: nothing to hand over
        session.info.pop(_NUDGE_KEY, None)
