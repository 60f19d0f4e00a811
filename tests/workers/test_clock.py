"""The clock only enqueues: periodic jobs come from the table in api.jobs, one queued run at a time."""

from __future__ import annotations

import sqlalchemy as sa
from rq import Queue, SimpleWorker

from api import jobs
from api.extensions import get_redis
from api.outbox import service as outbox
from api.outbox.models import OutboxJob
from workers import schedule


def _queued(queue: str) -> list[str]:
    return Queue(queue, connection=get_redis()).get_job_ids()


def test_the_clock_enqueues_what_is_due_and_never_twice_while_queued(app):
    due: dict[str, float] = {}
    assert schedule.tick(due, now=1000.0) == [p.job.name for p in jobs.PERIODIC]  # all due at start
    queued = sorted(job_id for queue in jobs.QUEUES for job_id in _queued(queue))
    assert queued == sorted(f"periodic-{p.job.name}" for p in jobs.PERIODIC)
    assert all(f"periodic-{p.job.name}" in _queued(p.job.queue) for p in jobs.PERIODIC)  # each on its own queue
    assert schedule.tick(due, now=1001.0) == []  # nothing due yet
    sweep = next(p for p in jobs.PERIODIC if p.job is jobs.OUTBOX_SWEEP)
    assert schedule.tick(due, now=1000.0 + sweep.every_s) == []  # due, but the last run is still queued
    assert sum(len(_queued(queue)) for queue in jobs.QUEUES) == len(jobs.PERIODIC)


def test_a_periodic_run_that_finished_can_be_queued_again(committed):
    table = (jobs.Periodic(jobs.OUTBOX_SWEEP, 5),)
    due: dict[str, float] = {}
    assert schedule.tick(due, 0.0, table) == ["outbox_sweep"]
    queue = Queue(jobs.DEFAULT, connection=get_redis())
    SimpleWorker([queue], connection=get_redis()).work(burst=True)  # runs workers.periodic.outbox_sweep
    assert queue.get_job_ids() == []
    assert schedule.tick(due, 5.0, table) == ["outbox_sweep"]


def test_the_clock_survives_redis_being_away(app, monkeypatch):
    def refuse(job):
        import redis

        raise redis.ConnectionError("down")

    monkeypatch.setattr(outbox, "enqueue_periodic", refuse)
    due: dict[str, float] = {}
    assert schedule.tick(due, 0.0) == []
    assert all(at == 1.0 for at in due.values())  # tried again a second later


def test_an_outbox_row_keeps_the_declared_retry_intervals(db_session, config):
    row = outbox.add(jobs.CLASSIFY_PHOTO(7))
    db_session.flush()
    stored = db_session.scalar(sa.select(OutboxJob).where(OutboxJob.id == row.id))
    assert (stored.queue, stored.func, stored.args) == ("classify", "workers.intake.classify_photo", [7])
    assert stored.retries == 3 and stored.retry_intervals == list(config.INTAKE_RETRY_INTERVALS)
    assert stored.on_failure == "workers.intake.on_final_failure"


def test_jobs_added_in_a_savepoint_wait_for_the_outer_commit_and_die_with_its_rollback(committed):
    """SQLAlchemy fires after_commit when a SAVEPOINT is released too; handing over there would run a job
    before its change is committed (and, on SQLite, wait on the transaction's own lock)."""
    from api.db import unit_of_work

    queue = Queue(jobs.SEND_NOTIFICATION.queue, connection=get_redis())
    with unit_of_work():
        with committed.begin_nested():
            outbox.add(jobs.SEND_NOTIFICATION(1))
        assert queue.count == 0  # released savepoint: nothing handed over yet
        try:
            with committed.begin_nested():
                outbox.add(jobs.SEND_NOTIFICATION(2))
                committed.flush()
                raise RuntimeError("this part fails")
        except RuntimeError:
            pass
    assert [job.args for job in queue.get_jobs()] == [(1,)]
    assert committed.scalar(sa.select(sa.func.count()).select_from(OutboxJob)) == 1
