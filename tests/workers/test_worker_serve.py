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
