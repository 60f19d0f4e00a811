"""Gas inspection jobs: residents told of visits coming up (the clock, hourly); a leak's alert to the gas company's
24-hour repair line (retried; when every try failed the staff are told to phone it)."""

from __future__ import annotations

from api import timefmt
from api.db import unit_of_work
from api.gas import alerts, residents
from workers.jobs import job_session, job_unit, on_last_failure


def visit_notices() -> int:
    with job_unit():
        return residents.notices(timefmt.today())


def alert_gas_repair(hazard_id: int) -> str:
    """Three steps, as a subscribe message is sent: read (its own unit of work), POST with nothing held, record."""
    with job_session():
        with unit_of_work():
            prepared = alerts.prepare(hazard_id)
        if prepared is None:
            return "gone or already sent"
        status = alerts.post(*prepared)
        with unit_of_work():
            return alerts.mark_sent(hazard_id, status)


on_alert_failure = on_last_failure(lambda job, error: alerts.give_up(job.args[0], error))
