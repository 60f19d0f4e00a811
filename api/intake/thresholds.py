"""Per-小类 auto-dispatch thresholds: above its threshold a confident case is accepted and dispatched."""

from __future__ import annotations

import sqlalchemy as sa

from api.classification.errors import UnknownCategory
from api.config import get_config
from api.db import Session
from api.events.service import Actor, record
from api.intake.models import CategoryThreshold
from api.taxonomy import service as taxonomy


def threshold_for(code: str) -> float:
    row = Session.get(CategoryThreshold, code)
    return row.threshold if row else get_config().CLASSIFY_THRESHOLD


def set_threshold(code: str, threshold: float, staff_id: int) -> CategoryThreshold:
    try:
        taxonomy.current(code)
    except Exception as exc:
        raise UnknownCategory(details={"category_code": code}) from exc
    row = Session.get(CategoryThreshold, code) or CategoryThreshold(category_code=code)
    previous = row.threshold
    row.threshold, row.updated_by = threshold, staff_id
    Session.add(row)
    record("category_threshold", 0, "threshold_set", Actor("staff", staff_id),
           payload={"category_code": code, "from": previous, "to": threshold})
    Session.flush()
    return row


def set_thresholds(items: list[dict], staff_id: int) -> list[CategoryThreshold]:
    """Several 小类 at once, all or none (an unknown 小类 refuses the batch: the unit of work rolls back)."""
    return [set_threshold(item["category_code"], item["threshold"], staff_id) for item in items]


def list_thresholds() -> list[CategoryThreshold]:
    return list(Session.scalars(sa.select(CategoryThreshold).order_by(CategoryThreshold.category_code)))
