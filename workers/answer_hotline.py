"""Job: POST a finished 12345 case's answer back to the hotline platform (retried; failure ends visible)."""

from __future__ import annotations

from api.db import Session
from api.work_orders import hotline


def answer_hotline(case_id: int) -> str:
    try:
        return hotline.send_answer(case_id)
    except Exception:
        Session.rollback()
        raise
    finally:
        Session.remove()


def on_final_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ calls this after every failed attempt; act only when no retry is left."""
    if job.retries_left:
        return
    try:
        hotline.give_up(job.args[0], f"{exc_type.__name__}: {exc_value}")
    finally:
        Session.remove()
