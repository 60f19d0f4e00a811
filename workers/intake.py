"""Jobs of the automatic intake: classify_photo → route_report → dispatch_case (ids in, idempotent).

classify_photo and route_report run on the `classify` queue, served by a non-forking worker that loads the
image backbone once (`python -m workers.worker classify`); dispatch_case runs on `default`.
"""

from __future__ import annotations

from api.intake import decide, dispatch, photos
from workers.jobs import job_session, job_unit, on_last_failure


def classify_photo(media_id: int) -> str | None:
    with job_unit():
        prediction = photos.classify_photo(media_id)
        return prediction.model_version if prediction else None


def route_report(report_id: int) -> str | None:
    with job_unit():
        row = decide.route_report(report_id)
        return row.decision if row else None


def suggest_case(case_id: int) -> int:
    with job_unit():
        return len(decide.suggest_case(case_id))


def dispatch_case(case_id: int) -> int | None:
    with job_unit():
        case = dispatch.dispatch_case(case_id)
        return case.department_id if case else None


# the case goes to the triage desk, with the step that gave up and why
on_final_failure = on_last_failure(
    lambda job, error: dispatch.give_up(job.func_name.rpartition(".")[2], job.args[0], error[:150]))


def preload() -> None:
    """Load the classifier and the image backbone in the worker before its first job."""
    from api.classification import registry, vision
    from api.config import get_config

    config = get_config()
    with job_session():
        registry.classifier()
        vision.backbone(config.CLASSIFIER_BACKEND, config.MODEL_DIR)
