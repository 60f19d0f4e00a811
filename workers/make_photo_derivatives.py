"""Job: make the display-size and thumbnail copies of one photo."""

from __future__ import annotations

import logging

from api.media import service as media
from workers.jobs import job_unit

log = logging.getLogger(__name__)


def make_photo_derivatives(media_id: int) -> bool:
    with job_unit():
        item = media.make_derivatives(media_id)
        if item is None:
            log.info("media gone before its derivatives were made", extra={"media_id": media_id})
        return item is not None
