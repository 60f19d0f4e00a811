"""What a citizen does with a report once it concerns a case: submit (the case opens), withdraw, reopen, rate.

Also the listener that tells each reporter on a case how it moves on (registered by api/wiring.py), in the
status wording the citizen sees. Services flush; the route around them commits (api.db.unit_of_work).
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from api import jobs
from api.cases import acceptance, queries
from api.cases.common import actor_of
from api.cases.errors import (
    AlreadyRated,
    IllegalCaseTransition,
    RatingWindowPassed,
    ReopenLimitReached,
    ReopenWindowPassed,
)
from api.cases.lifecycle import CaseAction, CaseStatus, transition
from api.cases.models import Case, CaseReport, Rating
from api.citizen.status import citizen_status
from api.config import get_config
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.identity.models import User
from api.media import service as media
from api.media.models import MediaKind
from api.notifications import inbox
from api.outbox import service as outbox
from api.reports import categories
from api.reports import queries as report_queries
from api.reports import service as reports
from api.reports.models import Report
from api.roles import Role
from api.taxonomy import service as taxonomy
from api.taxonomy.models import Category

A, S = CaseAction, CaseStatus
CITIZEN = frozenset({"citizen"})


def submit_report(reporter: User, report_id: int) -> tuple[Report, Case]:
    """Submit a draft and open its case (one unit of work); the reporter is told it was received and the
    automatic intake starts after the commit."""
    report = reports.mark_submitted(reporter, report_id)
    case = acceptance.open_case("citizen", Actor("citizen", reporter.id), description=report.description,
                            lat=report.lat, lon=report.lon, category=_category_from_hint(report.category_hint),
                            report_id=report.id, address_text=report.address_text, created_by=reporter.id)
    reports.notify_reporter(report, "您的反映已收到，我们会尽快处理", citizen_status(report, case.status).label,
                            _category_name(case))
    if case.category_id and Session.get(Category, case.category_id).needs_verification:
        acceptance.request_verification(None, case.id)
    _start_automatic_intake(report)
    return report, case


def _category_from_hint(hint: str | None) -> Category | None:
    choice = categories.BY_KEY.get(hint or "")
    if not choice or not choice.gbt_hints:
        return None
    try:
        return taxonomy.current(choice.gbt_hints[0])
    except Exception:  # noqa: BLE001 - an unseeded taxonomy leaves the category to the intake clerk
        return None


def _start_automatic_intake(report: Report) -> None:
    """One classify job per photo (the last one hands over to routing), or straight to routing with none.
    The jobs go through the outbox: they run after this commit, or not at all if it rolls back."""
    photos = media.list_for("report", report.id, MediaKind.REPORT_PHOTO)
    for photo in photos:
        outbox.add(jobs.CLASSIFY_PHOTO(photo.id))
    if not photos:
        outbox.add(jobs.ROUTE_REPORT(report.id))


def withdraw_report(reporter: User, report_id: int, reason: str | None) -> tuple[Report, Case | None]:
    """Withdraw until staff accept the case: a case with this report alone is withdrawn; from a case that
    other reporters follow, only this report leaves."""
    report = report_queries.get_own(reporter.id, report_id, for_update=True)
    case = queries.case_of_report(report.id, for_update=True)
    if case is not None and case.status != S.PENDING:
        raise IllegalCaseTransition(details={"status": case.status, "action": "withdraw"})
    if case is not None and len(queries.report_ids_of(case.id)) == 1:
        transition(case, A.WITHDRAW, actor_of(reporter), CITIZEN, reason=reason)
    elif case is not None:
        Session.execute(sa.delete(CaseReport).where(CaseReport.report_id == report.id))
        case.supporters = max(0, case.supporters - 1)
        record("case", case.id, "report_withdrawn", actor_of(reporter), payload={"report_id": report.id})
    reports.mark_withdrawn(reporter, report, reason)
    return report, case


def reopen(reporter: User, report_id: int, reason: str) -> Case:
    """Reopen within the window, at most REOPENS_PER_REPORT times per report (each follower of a case has their
    own); the outcome after it is a new round that each follower may rate again."""
    report = report_queries.get_own(reporter.id, report_id, for_update=True)
    case = queries.case_of_report(report_id, for_update=True)
    if case is None:
        raise IllegalCaseTransition(details={"status": None, "action": "reopen"})
    if case.status == S.CLOSED and utcnow() - case.closed_at > citizen_window():
        raise ReopenWindowPassed()
    limit = get_config().REOPENS_PER_REPORT
    if case.status == S.CLOSED and report.reopen_count >= limit:
        raise ReopenLimitReached(details={"max": limit})
    transition(case, A.REOPEN, actor_of(reporter), CITIZEN, reason=reason,
               payload={"report_id": report_id, "round": case.reopen_count + 2})
    report.reopen_count += 1
    case.reopen_count += 1
    case.closed_at = case.checked_at = case.department_id = case.handler_id = case.deadline_at = None
    inbox.notify(queries.staff_with_role(Role.DISPATCHER), "reopened", "case", case.id, f"市民重新反映：{reason[:40]}")
    return case


def rate(reporter: User, report_id: int, score: int, comment: str | None) -> Rating:
    """One rating per report per round (a reopened and closed-again case is a new round); concurrent ratings of
    one round: the unique (report, round) decides, the others answer ALREADY_RATED."""
    report_queries.get_own(reporter.id, report_id)
    case = queries.case_of_report(report_id, for_update=True)
    if case is None or case.status != S.CLOSED:
        raise IllegalCaseTransition(details={"status": case.status if case else None, "action": "rate"})
    if utcnow() - case.closed_at > citizen_window():
        raise RatingWindowPassed()
    round_ = case.reopen_count + 1
    if Session.scalar(sa.select(Rating.id).where(Rating.report_id == report_id, Rating.round == round_)):
        raise AlreadyRated(details={"round": round_})
    rating = Rating(case_id=case.id, report_id=report_id, user_id=reporter.id, score=score, comment=comment,
                    round=round_)
    try:
        with Session.begin_nested():
            Session.add(rating)
    except IntegrityError as exc:
        raise AlreadyRated(details={"round": round_}) from exc
    record("case", case.id, "rated", actor_of(reporter), payload={"score": score, "report_id": report_id,
                                                                   "round": round_})
    return rating


def citizen_window() -> timedelta:
    """How long after closing a citizen may still rate or reopen."""
    return timedelta(days=get_config().CITIZEN_WINDOW_DAYS)


def tell_reporters(case: Case, remark: str, report_ids: list[int] | None = None) -> None:
    """The case engine's listener (api.cases.followers): each reporter on the case gets a progress message with
    the status they see."""
    category_name = _category_name(case)
    for report_id in report_ids if report_ids is not None else queries.report_ids_of(case.id):
        report = Session.get(Report, report_id)
        reports.notify_reporter(report, remark, citizen_status(report, case.status).label, category_name)


def _category_name(case: Case) -> str | None:
    """The case's 小类 as filed now (None before intake has placed it)."""
    return Session.get(Category, case.category_id).name if case.category_id else None
