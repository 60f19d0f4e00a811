"""Following, in public: the cases staff have accepted, as GeoReport v2 requests — and nothing that identifies a
person. `description` is the 小类 and the remark staff wrote for the public, never the reporter's words; the address
is the street, not what the reporter typed; phone and ID-card numbers are masked wherever text leaves; no reporter
is named. `status` is open until the case is 结案 (the mapping in docs/open311.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from api.cases import queries as case_queries
from api.cases.lifecycle import CaseStatus
from api.cases.models import Case, CaseReport
from api.config import get_config
from api.db import Session, utcnow
from api.events.models import Event
from api.i18n import gettext
from api.media import service as media
from api.media.models import Media, MediaKind
from api.open311 import catalogue
from api.open311.errors import NotFound, Open311Error
from api.open311.privacy import masked
from api.organisation.models import Department, Division
from api.reports.categories import BY_KEY
from api.taxonomy.models import Category
from api.timefmt import SHANGHAI, local

S = CaseStatus
# accepted by staff (立案) and not ended otherwise: what the public may follow
PUBLIC = (S.AWAITING_DISPATCH, S.DISPATCHED, S.IN_PROGRESS, S.AWAITING_CHECK, S.AWAITING_CLOSE, S.DEFERRED, S.CLOSED)
CLOSED = (S.CLOSED,)
MAX_DAYS = 90
MAX_ROWS = 1000


def iso(value: datetime | None) -> str | None:
    return local(value).isoformat(timespec="seconds") if value else None


EARLIEST, LATEST = datetime(2000, 1, 1, tzinfo=UTC), datetime(2200, 1, 1, tzinfo=UTC)


def parse_date(raw: str, name: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip().replace("z", "Z"))
        value = (value if value.tzinfo else value.replace(tzinfo=SHANGHAI)).astimezone(UTC)
    except (ValueError, OverflowError) as exc:
        raise Open311Error(gettext("%(name)s is not an ISO 8601 date-time.", name=name)) from exc
    return min(max(value, EARLIEST), LATEST)  # the window's arithmetic stays within datetime's years


def _window(args) -> tuple[datetime, datetime]:
    start = parse_date(args["start_date"], "start_date") if args.get("start_date") else None
    end = parse_date(args["end_date"], "end_date") if args.get("end_date") else None
    if start is None and end is None:
        end = utcnow()
    if start is None:
        start = end - timedelta(days=MAX_DAYS)
    if end is None:
        end = start + timedelta(days=MAX_DAYS)
    if end < start:
        raise Open311Error(gettext("end_date is before start_date."))
    if end - start > timedelta(days=MAX_DAYS):
        raise Open311Error(gettext("start_date and end_date may be at most 90 days apart."))
    return start, end


def _service_filter(codes: list[str]):
    unknown = [c for c in codes if c not in BY_KEY]
    if unknown:
        raise Open311Error(catalogue.unknown(unknown[0]))
    hinted = [h for choice in BY_KEY.values() for h in choice.gbt_hints]
    terms = [Case.category_code.in_(BY_KEY[c].gbt_hints) for c in codes if c != catalogue.OTHER]
    if catalogue.OTHER in codes:
        terms.append(sa.or_(Case.category_code.is_(None), Case.category_code.not_in(hinted)))
    return sa.or_(*terms)


def search(args) -> list[dict]:
    """GET requests: by `service_request_id` (a comma list; the other filters are then ignored, as the
    specification says), else by service_code, status and the requested_datetime window (the last 90 days by
    default, at most 90), newest first, at most 1,000."""
    query = sa.select(*_COLUMNS).where(Case.status.in_(PUBLIC))
    asked = None
    if args.get("service_request_id"):
        asked = {i.strip().upper() for i in args["service_request_id"].split(",")[:MAX_ROWS]}
        parsed = [case_queries.parse_case_no(i) for i in asked]
        query = query.where(Case.id.in_([p[0] for p in parsed if p]))
    else:
        start, end = _window(args)
        query = query.where(Case.created_at >= start, Case.created_at <= end)
        if args.get("service_code"):
            query = query.where(_service_filter([c.strip() for c in args["service_code"].split(",") if c.strip()]))
        if args.get("status"):
            wanted = {s.strip() for s in args["status"].split(",") if s.strip()}
            if not wanted <= {"open", "closed"}:
                raise Open311Error(gettext("status is open, closed or both (open,closed)."))
            if wanted == {"open"}:
                query = query.where(Case.status.not_in(CLOSED))
            elif wanted == {"closed"}:
                query = query.where(Case.status.in_(CLOSED))
    found = records(query.order_by(Case.created_at.desc(), Case.id.desc()).limit(MAX_ROWS))
    return found if asked is None else [r for r in found if r["service_request_id"] in asked]  # the date too


def one(service_request_id: str) -> list[dict]:
    found = records(sa.select(*_COLUMNS).where(*case_queries.by_number(service_request_id),
                                               Case.status.in_(PUBLIC)))
    if not found:
        raise NotFound(gettext("No public request has this id."))
    return found


_COLUMNS = (Case.id, Case.status, Case.category_id, Case.category_code, Case.department_id, Case.street_code,
            Case.created_at, Case.updated_at, Case.deadline_at, Case.lat, Case.lon)


def records(query: sa.Select) -> list[dict]:
    """The cases the query selects (its columns: _COLUMNS), as GeoReport v2 requests. The remarks and photos are
    read for the same cases by the query itself as a subquery: a thousand ids are not sent back as parameters."""
    cases = Session.execute(query).all()
    if not cases:
        return []
    chosen = sa.select(query.subquery().c.id)
    names = dict(Session.execute(sa.select(Category.id, Category.name).where(
        Category.id.in_({c.category_id for c in cases if c.category_id}))).all())
    departments = dict(Session.execute(sa.select(Department.id, Department.name).where(
        Department.id.in_({c.department_id for c in cases if c.department_id}))).all())
    streets = dict(Session.execute(sa.select(Division.code, Division.name).where(
        Division.code.in_({c.street_code for c in cases if c.street_code}))).all())
    notes = _public_remarks(chosen)
    photos = _first_photos(chosen) if get_config().OPEN311_MEDIA_URLS else {}
    base = get_config().PUBLIC_BASE_URL
    out = []
    for case in cases:
        service = catalogue.code_for(case.category_code)
        note = masked(notes.get(case.id))
        category = names.get(case.category_id) or BY_KEY[service].label
        photo = photos.get(case.id)
        out.append({
            "service_request_id": Case.number(case.id, case.created_at),
            "status": "closed" if case.status in CLOSED else "open",
            "status_notes": note,
            "service_name": BY_KEY[service].label,
            "service_code": service,
            "description": category + (f"：{note}" if note else ""),
            "agency_responsible": departments.get(case.department_id),
            "service_notice": None,
            "requested_datetime": iso(case.created_at),
            "updated_datetime": iso(case.updated_at),
            "expected_datetime": iso(case.deadline_at) if case.status not in CLOSED else None,
            "address": streets.get(case.street_code),
            "address_id": None,
            "zipcode": None,
            "lat": round(case.lat, 4),  # about 10 m: where the problem is, not whose door it is
            "long": round(case.lon, 4),
            "media_url": media.links(photo, base)["display"] if photo else None,
        })
    return out


def _first_photos(chosen: sa.Select) -> dict:
    """Each case's first photo that passed the content check: its citizens' reports' or its own (the public sees
    the problem, not a staff member's evidence)."""
    reported = (sa.select(CaseReport.case_id.label("case_id"), Media.id.label("media_id"))
                .join(Media, sa.and_(Media.owner_type == "report", Media.owner_id == CaseReport.report_id))
                .where(CaseReport.case_id.in_(chosen)))
    own = sa.select(Media.owner_id, Media.id).where(Media.owner_type == "case", Media.owner_id.in_(chosen))
    both = sa.union_all(reported, own).subquery()
    first = (sa.select(both.c.case_id, sa.func.min(both.c.media_id).label("media_id"))
             .join(Media, Media.id == both.c.media_id)
             .where(Media.kind == MediaKind.REPORT_PHOTO, Media.content_check == "pass")
             .group_by(both.c.case_id).subquery())
    return {case_id: item for case_id, item in Session.execute(
        sa.select(first.c.case_id, Media).join(Media, Media.id == first.c.media_id))}


def _public_remarks(chosen: sa.Select) -> dict[int, str]:
    """Each case's latest remark written for the public (`citizen_remark` on its events); staff notes never."""
    latest: dict[int, str] = {}
    rows = Session.execute(sa.select(Event.subject_id, Event.payload).where(
        Event.subject_type == "case", Event.subject_id.in_(chosen)).order_by(Event.id))
    for case_id, payload in rows:
        remark = (payload or {}).get("citizen_remark")
        if remark:
            latest[case_id] = remark
    return latest
