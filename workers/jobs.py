"""What every job module shares: a clean session per job, and the give-up hook for the last failed attempt."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from api.db import Session, unit_of_work


@contextmanager
def job_session() -> Iterator[None]:
    """A clean session per job, closed afterwards (whatever was not committed is rolled back)."""
    try:
        yield
    finally:
        Session.remove()


@contextmanager
def job_unit() -> Iterator[None]:
    """One job, one unit of work: committed when the job returns, rolled back when it raises."""
    with job_session(), unit_of_work():
        yield


def on_last_failure(give_up: Callable[[object, str], None]):
    """An RQ failure callback. RQ calls it after every failed attempt (and for a job abandoned by a dead
    worker); `give_up(job, error)` runs only when no retry is left."""

    def callback(job, connection, exc_type, exc_value, traceback) -> None:
        if job.retries_left:
            return
        with job_unit():
            give_up(job, f"{exc_type.__name__}: {exc_value}")

    return callback
