"""Job: POST a finished 12345 case's answer back to the hotline platform (retried; failure ends visible)."""

from __future__ import annotations

from api.cases.sources import hotline
from workers.jobs import job_unit, on_last_failure


def answer_hotline(case_id: int) -> str:
    with job_unit():
        return hotline.send_answer(case_id)


on_final_failure = on_last_failure(lambda job, error: hotline.give_up(job.args[0], error))
