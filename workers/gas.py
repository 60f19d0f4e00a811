"""Gas inspection jobs: residents told of visits coming up (the clock, hourly); a leak's alert to the gas company's
24-hour repair line (retried; when every try failed the staff are told to phone it)."""

from __future__ import annotations

from api import timefmt
from api.gas import alerts, residents
from workers.jobs import job_unit, on_last_failure


def visit_notices() -> int:
    with job_unit():
        return residents.notices(timefmt.today())


def alert_gas_repair(hazard_id: int) -> str:
    with job_unit():
        return alerts.send(hazard_id)


on_alert_failure = on_last_failure(lambda job, error: alerts.give_up(job.args[0], error))
