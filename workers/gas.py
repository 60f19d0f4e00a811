"""Gas inspection jobs: residents told of visits coming up (the clock, hourly)."""

from __future__ import annotations

from api import timefmt
from api.gas import residents
from workers.jobs import job_unit


def visit_notices() -> int:
    with job_unit():
        return residents.notices(timefmt.today())
