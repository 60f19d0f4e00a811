"""The automatic intake pipeline: classify each photo → route the report → dispatch its case.

Each step runs as its own RQ job after the commit that triggers it (through the outbox), takes ids, and is
idempotent: a step that already happened is recognised and skipped, so a retry or a job picked up again
after its worker died changes nothing twice. When a step gives up for good, `give_up` puts the case in the
triage state with the reason — visible on the triage desk, never stuck silently.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta

import numpy as np
import sqlalchemy as sa

from api import geo, jobs
from api.cases import queries as case_queries
from api.cases import service as work_orders
from api.cases.errors import IllegalCaseTransition
from api.cases.lifecycle import OPEN, CaseStatus
from api.cases.models import Case
from api.classification import fusion, registry
from api.classification.errors import UnknownCategory
from api.classification.models import CategoryThreshold, PhotoPrediction, ReportClassification
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.media.models import Media, MediaKind
from api.media.storage import get_storage
from api.outbox import service as outbox
from api.reports import categories as citizen_categories
from api.reports.lifecycle import ReportStatus
from api.reports.models import Report
from api.taxonomy import service as taxonomy

log = logging.getLogger(__name__)
S = CaseStatus
EARTH_M_PER_DEG = 111_320.0


# -- step 1: one photo ---------------------------------------------------------------------------------------
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
    Session.commit()
    return prediction


def _predict(media: Media) -> PhotoPrediction:
    from api.classification import vision  # numpy + onnxruntime/torch: worker side only

    config = get_config()
    clf = registry.classifier()
    out = vision.backbone(config.CLASSIFIER_BACKEND, config.MODEL_DIR).run([get_storage().get(media.storage_key)])[0]
    if clf.head is not None:
        scores = clf.head.predict(out.features)
    else:
        scores = vision.cold_start_scores(out.logits, vision.imagenet_signals())
    top = dict(list(sorted(scores.items(), key=lambda kv: -kv[1]))[:10])
    p = vision.softmax(out.logits.astype(np.float64))
    imagenet_top = [[int(i), round(float(p[i]), 4)] for i in np.argsort(p)[::-1][:5]]
    return PhotoPrediction(media_id=media.id, report_id=media.owner_id, model_version=clf.version,
                           backbone=registry.BACKBONE, scores=top, imagenet_top=imagenet_top,
                           embedding=out.features.astype(np.float16).tobytes())


def _photo_ids(report_id: int) -> list[int]:
    return list(Session.scalars(sa.select(Media.id).where(
        Media.owner_type == "report", Media.owner_id == report_id, Media.kind == MediaKind.REPORT_PHOTO)))


def _unclassified_photo_ids(report_id: int) -> list[int]:
    done = set(Session.scalars(sa.select(PhotoPrediction.media_id).where(PhotoPrediction.report_id == report_id)))
    return [i for i in _photo_ids(report_id) if i not in done]


# -- step 2: the report ------------------------------------------------------------------------------------
def route_report(report_id: int) -> ReportClassification | None:
    """Combine image, text and hint; then merge into a duplicate, accept (and queue the dispatch), send to
    核实, or leave the case at the triage desk with the top-3. Written once per report."""
    done = Session.scalar(sa.select(ReportClassification).where(ReportClassification.report_id == report_id))
    if done is not None:
        return done
    report = Session.get(Report, report_id)
    case = case_queries.case_of_report(report_id, for_update=True)
    if report is None or case is None or report.status != ReportStatus.SUBMITTED:
        return None  # withdrawn meanwhile: nothing to route
    clf = registry.classifier()
    combined = _combine(clf, report)
    case.suggestions = [{"code": code, "name": _name(code), "score": round(score, 4)}
                        for code, score in combined.top3]
    row = ReportClassification(report_id=report.id, case_id=case.id, model_version=clf.version,
                               category_code=combined.top3[0][0] if combined.top3 else None,
                               confidence=round(combined.confidence, 4),
                               top3=case.suggestions, signals=combined.signals, decision="triage")
    Session.add(row)
    record("case", case.id, "classified", Actor.system(),
           payload={"report_id": report.id, "model_version": clf.version, "top3": case.suggestions,
                    "supported": combined.supported})
    _decide(case, row, combined)
    Session.commit()  # no-op when a work_orders call above already committed everything
    return row


def _combine(clf: registry.Classifier, report: Report) -> fusion.Combined:
    predictions = list(Session.scalars(sa.select(PhotoPrediction).where(PhotoPrediction.report_id == report.id)))
    image, trained = None, False
    if predictions:
        trained = all(p.model_version != registry.COLD_START for p in predictions) and clf.image_trained
        image = {}
        for p in predictions:  # the mean over the report's photos
            for code, score in p.scores.items():
                image[code] = image.get(code, 0.0) + score / len(predictions)
    text = clf.text.predict(report.description) if report.description and clf.text else None
    choice = citizen_categories.BY_KEY.get(report.category_hint or "")
    hints = tuple(choice.gbt_hints) if choice else ()
    return fusion.combine(image, trained, text, hints, set(clf.text.classes) if clf.text else set())


def _decide(case: Case, row: ReportClassification, combined: fusion.Combined) -> None:
    config = get_config()
    code, confidence = row.category_code, combined.confidence
    if case.status != S.PENDING:
        row.decision, row.reason = "staff_first", f"case already {case.status}"
        return
    if not config.AUTO_DISPATCH:
        row.reason = "automatic dispatch is switched off: suggestions only"
        return
    threshold = threshold_for(code) if code else 1.0
    if code is None or confidence < threshold or not combined.supported:
        why = "image signal alone (no trained head)" if code and confidence >= threshold else \
            f"confidence {confidence:.2f} below {threshold:.2f}"
        _triage(case, row, f"low_confidence: {why}")
        return
    if case.street_code is None:
        _triage(case, row, "outside_grid: no unit grid within 200 m")
        return
    master = find_duplicate(case, code)
    if master is not None:
        row.decision, row.reason = "merged", f"duplicate of case {master.id}"
        work_orders.merge(None, case.id, master.id, reason="自动判重：同类问题、相近位置、时间窗口内")
        return
    category = taxonomy.current(code)
    if category.needs_verification:
        row.decision, row.reason = "verification", "the 小类 needs an on-site 核实 before 立案"
        work_orders.request_verification(None, case.id, category_code=code)  # one commit with this row
        return
    row.decision, row.reason = "auto_accepted", f"confidence {confidence:.2f} ≥ {threshold:.2f}"
    outbox.add(jobs.DISPATCH_CASE(case.id))
    work_orders.accept(None, case.id, code, note="已自动立案，将派遣处置")


def _triage(case: Case, row: ReportClassification, reason: str) -> None:
    row.decision, row.reason = "triage", reason
    case.triage_reason = reason[:200]
    record("case", case.id, "triage", Actor.system(), reason=reason, payload={"report_id": row.report_id})


def _name(code: str) -> str | None:
    try:
        return taxonomy.current(code).name
    except Exception:  # noqa: BLE001 - a suggestion for a 小类 retired since training still shows its code
        return None


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
    Session.commit()
    return row


def list_thresholds() -> list[CategoryThreshold]:
    return list(Session.scalars(sa.select(CategoryThreshold).order_by(CategoryThreshold.category_code)))


def find_duplicate(case: Case, code: str) -> Case | None:
    """The oldest open case of the same 小类 within the radius, opened within the window before this one."""
    config = get_config()
    radius = config.DUPLICATE_RADIUS_M
    dlat = radius / EARTH_M_PER_DEG
    dlon = radius / (EARTH_M_PER_DEG * max(math.cos(math.radians(case.lat)), 0.1))
    since = (case.created_at or utcnow()) - timedelta(hours=config.DUPLICATE_WINDOW_H)
    candidates = Session.scalars(sa.select(Case).where(
        Case.id != case.id, Case.category_code == code, Case.status.in_([str(s) for s in OPEN]),
        Case.created_at >= since, Case.lat.between(case.lat - dlat, case.lat + dlat),
        Case.lon.between(case.lon - dlon, case.lon + dlon)).order_by(Case.id))
    for other in candidates:
        if geo.distance_m(case.lat, case.lon, other.lat, other.lon) <= radius:
            return other
    return None


# -- step 3: the case --------------------------------------------------------------------------------------
def dispatch_case(case_id: int) -> Case | None:
    """派遣 by the system to the department the 权责清单 names; skipped when someone got there first."""
    case = Session.get(Case, case_id)
    if case is None or case.status != S.AWAITING_DISPATCH or case.triage_reason:
        return None
    try:
        return work_orders.dispatch(None, case_id)
    except IllegalCaseTransition:
        Session.rollback()
        return None  # a dispatcher (or a racing copy of this job) dispatched it meanwhile


# -- when a job gives up ----------------------------------------------------------------------------------
def give_up(step: str, subject_id: int, error: str) -> Case | None:
    """The last retry failed: the case goes to the triage desk with the reason (and an event)."""
    case = _case_for_step(step, subject_id)
    if case is None or case.status not in (S.PENDING, S.AWAITING_DISPATCH):
        Session.rollback()
        return case
    reason = f"pipeline_failed: {step}: {error}"[:200]
    case.triage_reason = reason
    record("case", case.id, "triage", Actor.system(), reason=reason, payload={"step": step, "id": subject_id})
    Session.commit()
    return case


def _case_for_step(step: str, subject_id: int) -> Case | None:
    if step == "dispatch_case":
        return Session.get(Case, subject_id, with_for_update=True)
    report_id = subject_id
    if step == "classify_photo":
        media = Session.get(Media, subject_id)
        if media is None or media.owner_type != "report":
            return None
        report_id = media.owner_id
    return case_queries.case_of_report(report_id, for_update=True)
