"""Step 2 of the automatic intake: combine image, text and hint for a report, then decide.

Merge into a duplicate, accept (and queue the dispatch), send to 核实, or leave the case at the triage desk
with the top-3 — written once per report (a retry finds the row and changes nothing). Services flush; the
job around them commits.
"""

from __future__ import annotations

import sqlalchemy as sa

from api import jobs, metrics
from api.cases import acceptance
from api.cases import queries as case_queries
from api.cases.lifecycle import CaseStatus
from api.cases.models import Case
from api.classification import fusion, registry
from api.classification.models import PhotoPrediction
from api.db import Session
from api.events.service import Actor, record
from api.intake import switches, thresholds
from api.intake.models import ReportClassification
from api.outbox import service as outbox
from api.reports import categories as citizen_categories
from api.reports.lifecycle import ReportStatus
from api.reports.models import Report
from api.taxonomy import service as taxonomy

S = CaseStatus


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
    _decide(case, row, combined, clf.withheld)
    metrics.INTAKE_DECISIONS.labels(row.decision, row.category_code or "none").inc()
    return row


def suggest_case(case_id: int) -> list[dict]:
    """The classifier's top-3 for a case that waits for a person whatever it says (an Open311 filing: no WeChat
    content check, no photo of ours): its description and the 小类 it was filed under, as suggestions only —
    nothing is decided. Written once (a retry finds the suggestions and changes nothing)."""
    case = Session.get(Case, case_id, with_for_update=True)
    if case is None or case.suggestions or case.status != S.PENDING:
        return (case.suggestions or []) if case else []
    clf = registry.classifier()
    text = clf.text.predict(case.description) if case.description and clf.text else None
    hints = (case.category_code,) if case.category_code else ()
    if not text and not hints:
        return []  # nothing to go on (an `other` filing in words the model has no evidence in): no suggestion
    combined = fusion.combine(None, False, text, hints, set(clf.text.classes) if clf.text else set())
    case.suggestions = [{"code": code, "name": _name(code), "score": round(score, 4)} for code, score in combined.top3]
    record("case", case.id, "classified", Actor.system(),
           payload={"model_version": clf.version, "top3": case.suggestions, "supported": combined.supported,
                    "suggestions_only": True})
    return case.suggestions


def _combine(clf: registry.Classifier, report: Report) -> fusion.Combined:
    predictions = list(Session.scalars(sa.select(PhotoPrediction).where(PhotoPrediction.report_id == report.id)))
    image, trained = None, False
    if predictions:
        # the trained head votes through the photos it covers; a photo of none of its classes (abstained) counts
        # as before training — the cold start's weak, never-sufficient image signal — so the text decides
        covered = [p for p in predictions if p.model_version != registry.COLD_START and not p.abstained]
        trained = bool(covered) and clf.image_trained
        voting = covered if trained else predictions
        image = {}
        for p in voting:  # the mean over the report's photos
            for code, score in p.scores.items():
                image[code] = image.get(code, 0.0) + score / len(voting)
    text = clf.text.predict(report.description) if report.description and clf.text else None
    choice = citizen_categories.BY_KEY.get(report.category_hint or "")
    hints = tuple(choice.gbt_hints) if choice else ()
    combined = fusion.combine(image, trained, text, hints, set(clf.text.classes) if clf.text else set())
    if predictions:
        combined.signals["image_abstained"] = sum(p.abstained for p in predictions)
    return combined


def _decide(case: Case, row: ReportClassification, combined: fusion.Combined, withheld: frozenset[str]) -> None:
    code, confidence = row.category_code, combined.confidence
    if case.status != S.PENDING:
        row.decision, row.reason = "staff_first", f"case already {case.status}"
        return
    if not switches.auto_dispatch_on():  # the deployment's AUTO_DISPATCH, and the operator's switch (no restart)
        row.reason = "automatic dispatch is switched off: suggestions only"
        return
    threshold = thresholds.threshold_for(code) if code else 1.0
    if code is None or confidence < threshold or not combined.supported:
        why = "image signal alone (no trained head)" if code and confidence >= threshold else \
            f"confidence {confidence:.2f} below {threshold:.2f}"
        _triage(case, row, f"low_confidence: {why}")
        return
    if code in withheld:  # learnt by this version, but too seldom auto-dispatched in its evaluation to be judged
        _triage(case, row, f"withheld: model {row.model_version} is not proven on this 小类 yet (promotion gate)")
        return
    if case.street_code is None:
        _triage(case, row, "outside_grid: no unit grid within 200 m")
        return
    master = case_queries.find_duplicate(case, code)
    if master is not None:
        row.decision, row.reason = "merged", f"duplicate of case {master.id}"
        acceptance.merge(None, case.id, master.id, reason="自动判重：同类问题、相近位置、时间窗口内")
        return
    category = taxonomy.current(code)
    if category.needs_verification:
        row.decision, row.reason = "verification", "the 小类 needs an on-site 核实 before 立案"
        acceptance.request_verification(None, case.id, category_code=code)  # one unit of work with this row
        return
    row.decision, row.reason = "auto_accepted", f"confidence {confidence:.2f} ≥ {threshold:.2f}"
    outbox.add(jobs.DISPATCH_CASE(case.id))
    acceptance.accept(None, case.id, code, note="已自动立案，将派遣处置")


def _triage(case: Case, row: ReportClassification, reason: str) -> None:
    row.decision, row.reason = "triage", reason
    case.triage_reason = reason[:200]
    record("case", case.id, "triage", Actor.system(), reason=reason, payload={"report_id": row.report_id})


def _name(code: str) -> str | None:
    try:
        return taxonomy.current(code).name
    except Exception:  # noqa: BLE001 - a suggestion for a 小类 retired since training still shows its code
        return None


