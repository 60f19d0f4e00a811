"""The clock only enqueues: periodic jobs come from the table in api.jobs, one queued run at a time."""

from __future__ import annotations

import sqlalchemy as sa
from rq import Queue, SimpleWorker

from api import jobs, periodic
from api.extensions import get_redis
from api.outbox import service as outbox
from api.outbox.models import OutboxJob
from workers import schedule
from workers.worker import AppSimpleWorker


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
    def refuse(entry, now):
        import redis

        raise redis.ConnectionError("down")

    monkeypatch.setattr(periodic, "enqueue", refuse)
    due: dict[str, float] = {}
    assert schedule.tick(due, 0.0) == []
    assert all(at == 1.0 for at in due.values())  # tried again a second later


def test_two_clocks_queue_each_period_once(committed):
    """Each clock keeps its own timetable; the period's claim in Redis lets only one of them queue the run."""
    table = (jobs.Periodic(jobs.OUTBOX_SWEEP, 5),)
    first, second = {}, {}
    queue = Queue(jobs.DEFAULT, connection=get_redis())
    handed = []
    for now in (100.0, 100.4, 101.0, 104.9, 105.0, 105.2, 109.0, 110.3, 110.5):
        handed += [("first", now, name) for name in schedule.tick(first, now, table)]
        handed += [("second", now + 0.1, name) for name in schedule.tick(second, now + 0.1, table)]
        AppSimpleWorker([queue], connection=get_redis()).work(burst=True)  # each run finishes before the next tick
    # whichever clock reaches a period first queues it (the second one's tick at 104.9 + 0.1 is the first in 21)
    assert [(clock, now) for clock, now, _ in handed] == [("first", 100.0), ("second", 105.0), ("first", 110.3)]
    assert first == second == {"outbox_sweep": 115.0}  # both looked at every period
    found = periodic.status()
    assert found["runs"] == {"outbox_sweep": 3.0} and found["doubled"] == {}
    assert found["last_run"]["outbox_sweep"] > 0


def test_a_second_run_in_one_period_is_counted_as_doubled(app, caplog):
    periodic.started("periodic-overdue_scan", {"period": 7}, now=420.0)
    periodic.started("periodic-overdue_scan", {"period": 8}, now=480.0)
    assert periodic.status()["doubled"] == {}
    periodic.started("periodic-overdue_scan", {"period": 8}, now=481.0)
    found = periodic.status()
    assert found == {"runs": {"overdue_scan": 3.0}, "last_run": {"overdue_scan": 481.0},
                     "doubled": {"overdue_scan": 1.0}}
    assert "periodic job ran twice in one period" in caplog.text


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


def test_a_failed_run_does_not_hold_up_the_next_period(app):
    """RQ keeps a failed job (and its id) for its failure TTL: the next period's run replaces it."""
    from rq.job import JobStatus

    entry = jobs.Periodic(jobs.OUTBOX_SWEEP, 5)
    assert periodic.enqueue(entry, 100.0)
    queue = Queue(jobs.DEFAULT, connection=get_redis())
    job = queue.fetch_job("periodic-outbox_sweep")
    assert not periodic.enqueue(entry, 105.0)  # still queued: the period adds nothing
    job.set_status(JobStatus.FAILED)
    queue.remove(job)
    assert periodic.enqueue(entry, 110.0)
    assert queue.get_job_ids() == ["periodic-outbox_sweep"]
    assert queue.fetch_job("periodic-outbox_sweep").meta == {"period": 22}
