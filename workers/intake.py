"""Jobs of the automatic intake: classify_photo → route_report → dispatch_case (ids in, idempotent).

classify_photo and route_report run on the `classify` queue, served by a non-forking worker that loads the
image backbone once (`python -m workers.worker classify --simple`); dispatch_case runs on `default`.
"""

from __future__ import annotations

import logging

from api.classification import service as intake
from api.db import Session

log = logging.getLogger(__name__)


def classify_photo(media_id: int) -> str | None:
    try:
        prediction = intake.classify_photo(media_id)
        return prediction.model_version if prediction else None
    except Exception:
        Session.rollback()
        raise
    finally:
        Session.remove()


def route_report(report_id: int) -> str | None:
    try:
        row = intake.route_report(report_id)
        return row.decision if row else None
    except Exception:
        Session.rollback()
        raise
    finally:
        Session.remove()


def dispatch_case(case_id: int) -> int | None:
    try:
        case = intake.dispatch_case(case_id)
        return case.department_id if case else None
    except Exception:
        Session.rollback()
        raise
    finally:
        Session.remove()


def on_final_failure(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ calls this after every failed attempt (and for a job abandoned by a dead worker); act on the last."""
    if job.retries_left:
        return
    step = job.func_name.rpartition(".")[2]
    try:
        intake.give_up(step, job.args[0], f"{exc_type.__name__}: {exc_value}"[:150])
    finally:
        Session.remove()


def preload() -> None:
    """Load the classifier and the image backbone in the worker before its first job."""
    from api.classification import registry, vision
    from api.config import get_config

    config = get_config()
    try:
        registry.classifier()
        vision.backbone(config.CLASSIFIER_BACKEND, config.MODEL_DIR)
    finally:
        Session.remove()
