"""A worker process outlives its RQ worker: Redis going away (or RQ's loop quitting) starts a fresh one."""

from __future__ import annotations

import signal

import redis

from workers import worker as worker_main


class Scripted:
    """An RQ worker stand-in whose `work()` ends as the script says, one line per worker started."""

    script: list[str] = []
    started: list[tuple[list[str], int]] = []

    def __init__(self, queues, connection, maintenance_interval, worker_ttl):
        if Scripted.script[0] == "redis away at start":  # RQ's constructor names its connection in Redis
            Scripted.script.pop(0)
            raise redis.ConnectionError("Connection refused")
        self._stop_requested, self._shutdown_requested_date = False, None
        Scripted.started.append(([q.name for q in queues], maintenance_interval, worker_ttl))

    def work(self, burst, with_scheduler):
        assert with_scheduler
        step = Scripted.script.pop(0)
        if step == "redis gone":
            raise redis.ConnectionError("Connection refused")
        if step == "stopped":  # SIGTERM while idle: RQ's loop breaks out and returns
            self._shutdown_requested_date = object()
        return False  # "loop ended": RQ logged an unhandled exception and quit


def test_a_worker_that_lost_redis_is_followed_by_a_fresh_one_until_asked_to_stop(app, monkeypatch):
    monkeypatch.setattr(signal, "signal", lambda *args: None)  # leave pytest's own handlers alone
    Scripted.script, Scripted.started = ["redis away at start", "redis gone", "loop ended", "stopped"], []
    assert worker_main.serve(Scripted, ["notify", "default"], maintenance_s=7, pause_s=0) == 3
    assert Scripted.started == [(["notify", "default"], 7, 22)] * 3  # an idle worker waits 7 s, then maintains
    assert Scripted.script == []


def test_a_burst_ends_after_one_worker(app):
    Scripted.script, Scripted.started = ["loop ended"], []
    assert worker_main.serve(Scripted, ["media"], burst=True, pause_s=0) == 1


def test_the_run_a_worker_had_in_hand_when_it_lost_redis_is_retried_at_once(app):
    """Without this a run cut off by a Redis restart waits in RQ's started registry for its heartbeat's 90 s."""
    from rq import Queue

    from api.extensions import get_redis

    queue = Queue("default", connection=get_redis())
    worker = worker_main.AppSimpleWorker([queue], connection=get_redis())
    finished = queue.enqueue("workers.periodic.outbox_sweep", job_id="outbox-8")
    worker.execute_job(Queue.dequeue_any([queue], None, connection=get_redis())[0], queue)
    assert worker.in_flight is None and finished.get_status(refresh=True) == "finished"  # ran to the end

    queue, worker, cut_off = _started_run("outbox-7")  # then Redis went away
    assert cut_off.get_status(refresh=True) == "started" and queue.get_job_ids() == []
    worker_main._retire(worker)
    assert cut_off.get_status(refresh=True) == "queued" and queue.get_job_ids() == ["outbox-7"]
    assert queue.fetch_job("outbox-7").retries_left == 0  # its one retry spent
    worker_main._retire(worker)  # handed over once: a second look finds nothing listed
    assert queue.get_job_ids() == ["outbox-7"]


def _started_run(job_id: str):
    """A run as a worker leaves it when Redis went away under it: listed as started, status started."""
    from rq import Queue, Retry

    from api.extensions import get_redis

    queue = Queue("default", connection=get_redis())
    queue.enqueue("workers.periodic.outbox_sweep", job_id=job_id, retry=Retry(max=1))
    worker = worker_main.AppSimpleWorker([queue], connection=get_redis())
    job = Queue.dequeue_any([queue], None, connection=get_redis())[0]
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    return queue, worker, job


def test_a_cut_off_run_waits_while_a_maintenance_holds_the_queue(app):
    """RQ's maintenance lock is taken as RQ's own clean-up takes it: while another worker maintains the queue, the
    run is only marked expired (its next round hands it on), never retried twice by two clean-ups."""
    queue, worker, job = _started_run("outbox-9")
    assert queue.acquire_maintenance_lock()
    worker_main._retire(worker)
    registry, entry = worker.in_flight
    assert registry.connection.zscore(registry.key, entry) == 0 and job.get_status(refresh=True) == "started"
    queue.release_maintenance_lock()
    worker_main._retire(worker)
    assert queue.get_job_ids() == ["outbox-9"]


def test_a_child_still_working_a_cut_off_run_keeps_its_entry_alive_until_it_ends(app):
    import subprocess
    import time

    _, worker, _ = _started_run("outbox-10")
    registry, entry = worker.in_flight
    registry.connection.zadd(registry.key, {entry: 0}, xx=True)  # as if its heartbeat had lapsed in the outage
    child = subprocess.Popen(["sleep", "0.5"])
    worker_main._wait_for_child(child.pid, registry, entry)
    assert child.poll() is not None or child.wait(timeout=1) is not None  # waited for: it ended
    assert registry.connection.zscore(registry.key, entry) > time.time() + 60  # kept alive meanwhile
