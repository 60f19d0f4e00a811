"""What every job module shares: a clean session per job, and the give-up hook for the last failed attempt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from api.db import Session


@contextmanager
def job_session() -> Iterator[None]:
    """Whatever the job did is committed by its service or discarded here (remove() rolls back and closes)."""
    try:
        yield
    finally:
        Session.remove()


def on_last_failure(give_up: Callable[[object, str], None]):
    """An RQ failure callback. RQ calls it after every failed attempt (and for a job abandoned by a dead
    worker); `give_up(job, error)` runs only when no retry is left."""

    def callback(job, connection, exc_type, exc_value, traceback) -> None:
        if job.retries_left:
            return
        with job_session():
            give_up(job, f"{exc_type.__name__}: {exc_value}")

    return callback
