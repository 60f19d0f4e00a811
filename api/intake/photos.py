"""Step 1 of the automatic intake: score one report photo with the image backbone (worker side only).

The job of a report's last photo to be scored hands the report over to step 2 (`decide.route_report`).
"""

from __future__ import annotations

import numpy as np
import sqlalchemy as sa

from api import jobs
from api.classification import registry
from api.classification.models import PhotoPrediction
from api.config import get_config
from api.db import Session
from api.media.models import Media, MediaKind
from api.media.storage import get_storage
from api.outbox import service as outbox
from api.reports.lifecycle import ReportStatus
from api.reports.models import Report


def classify_photo(media_id: int) -> PhotoPrediction | None:
    """Score one report photo; the job of the report's last photo hands the report to `route_report`."""
    media = Session.get(Media, media_id)
    if media is None or media.owner_type != "report" or media.kind != MediaKind.REPORT_PHOTO:
        return None  # removed with its draft, or not a report photo
    prediction = Session.scalar(sa.select(PhotoPrediction).where(PhotoPrediction.media_id == media_id))
    if prediction is None:
        prediction = _predict(media)
        Session.add(prediction)
        Session.flush()
    # Lock the report: of several photo jobs finishing together, the last to lock sees every prediction.
    report = Session.get(Report, media.owner_id, with_for_update=True)
    if report.status == ReportStatus.SUBMITTED and not _unclassified_photo_ids(report.id):
        outbox.add(jobs.ROUTE_REPORT(report.id))
    return prediction


def _predict(media: Media) -> PhotoPrediction:
    from api.classification import vision  # numpy + onnxruntime/torch: worker side only

    config = get_config()
    clf = registry.classifier()
    out = vision.backbone(config.CLASSIFIER_BACKEND, config.MODEL_DIR).run([get_storage().get(media.storage_key)])[0]
    coverage = clf.head.coverage(out.features) if clf.head is not None else None
    abstained = clf.head is not None and not clf.head.covers(out.features)
    if clf.head is not None and not abstained:
        scores = clf.head.predict(out.features)
    else:  # no head, or a photo of none of the head's classes: the cold start's mapping, as before training
        scores = vision.cold_start_scores(out.logits, vision.imagenet_signals())
    top = dict(list(sorted(scores.items(), key=lambda kv: -kv[1]))[:10])
    p = vision.softmax(out.logits.astype(np.float64))
    imagenet_top = [[int(i), round(float(p[i]), 4)] for i in np.argsort(p)[::-1][:5]]
    return PhotoPrediction(media_id=media.id, report_id=media.owner_id, model_version=clf.version,
                           backbone=registry.BACKBONE, scores=top, imagenet_top=imagenet_top,
                           embedding=out.features.astype(np.float16).tobytes(), abstained=abstained,
                           coverage=None if coverage is None else round(coverage, 4))


def _photo_ids(report_id: int) -> list[int]:
    return list(Session.scalars(sa.select(Media.id).where(
        Media.owner_type == "report", Media.owner_id == report_id, Media.kind == MediaKind.REPORT_PHOTO)))


def _unclassified_photo_ids(report_id: int) -> list[int]:
    done = set(Session.scalars(sa.select(PhotoPrediction.media_id).where(PhotoPrediction.report_id == report_id)))
    return [i for i in _photo_ids(report_id) if i not in done]
