"""Content-check verdicts of a draft's text and photos, as the request side needs them (no WeChat here).

The checks themselves run as jobs (api/reports/checks.py, workers/content_check.py); a request only starts an
item `pending` and, at submit, refuses what was judged risky.
"""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session
from api.media.models import Media
from api.reports.models import Report

PENDING, PASS, REVIEW, RISKY, UNCHECKED = "pending", "pass", "review", "risky", "unchecked"
FLAGGED = frozenset({REVIEW, RISKY, UNCHECKED})  # shown to staff as needing review


def refusals(report: Report) -> tuple[bool, list[int]]:
    """Whether the text was judged risky, and which of the draft's photos were."""
    photos = list(Session.scalars(sa.select(Media.id).where(
        Media.owner_type == "report", Media.owner_id == report.id, Media.content_check == RISKY)))
    return report.content_check == RISKY, photos

