"""Cases as staff read them: names beside ids, the point in WGS-84 and GCJ-02, and the evidence photos.

Every lookup is batched over the page: one query for the photos, one for the handlers' names; the other names come
from per-process reference tables and the grid index. A desk of 20 cases costs two queries more, not 20 × as many.
A case's detail adds its reporters (one query), the people its work orders, photos and events name (one), and
the devices its events name (one, when there are any).

Reporters' phones: the roles that call citizens back see them whole (FULL_PHONE_ROLES: the intake clerk, the
command centre, the supervisor who checks on site); every other role sees them masked (138****5678).
"""

from __future__ import annotations

import functools
from collections import defaultdict

import sqlalchemy as sa

from api import geo
from api.cases import deadlines, queries
from api.cases.models import Case, CaseMedia, CaseReport
from api.cases.schemas import CaseSchema
from api.cases.sources import hotline
from api.db import Session
from api.events.service import history
from api.identity import names
from api.identity.models import User
from api.media import service as media
from api.media.models import Media, MediaKind
from api.organisation import grids
from api.organisation.models import Department, Division
from api.reports import contact
from api.reports.models import Report
from api.roles import Role
from api.taxonomy.models import Category

# camera captures belong to the devices domain, which depends on this one: their (id, case_id) pairs are read
# through a light table clause instead of an import
_captures = sa.table("captures", sa.column("id"), sa.column("case_id"))
_devices = sa.table("devices", sa.column("id"), sa.column("name"))
FULL_PHONE_ROLES = frozenset({Role.INTAKE_CLERK, Role.COMMAND_CENTRE, Role.SUPERVISOR})
SYSTEM_NAME = "系统"
NO_CAPTURE_PLACE = "无拍摄位置"
# the schema's fields the case itself has (the rest are computed below); built once: costly per row
_LISTED_FIELDS = tuple(c for c in CaseSchema().fields if hasattr(Case, c))


def listed(cases: list[Case], base_url: str, photos: dict | None = None) -> list[dict]:
    """Desk rows: the case, its remaining time on its own clock, names, both coordinate systems, and the
    evidence compactly (how many photos, the first one's thumbnail)."""
    names = _names(cases)
    photos = _photos({c.id for c in cases}) if photos is None else photos
    rows = []
    for case in cases:
        remaining = deadlines.remaining(case)
        view = {c: getattr(case, c) for c in _LISTED_FIELDS}
        view["remaining_seconds"] = int(remaining.total_seconds()) if remaining is not None else None
        view["location"] = geo.both_systems(case.lat, case.lon)
        view.update(names(case))
        own = photos.get(case.id, [])
        view["photo_count"] = len(own)
        view["thumbnail_url"] = media.links(own[0][0], base_url)["thumb"] if own else None
        rows.append(view)
    return rows


def detail(case: Case, base_url: str, viewer: User | None = None) -> dict:
    """A case with its reporters (phones whole or masked by the `viewer`'s roles: masked when None), reports, work
    orders (with department and handler names), every photo with signed links and its capture place, its history
    with each actor's name and, for 12345 cases, the answer."""
    photos = _photos({case.id})
    view = listed([case], base_url, photos)[0]
    report_ids, flagged, checking = queries.reports_of(case.id)
    orders = queries.work_orders_of(case.id)
    rows = photos.get(case.id, [])
    events = history("case", case.id)
    actors = {e.actor_id for e in events if e.actor_type in ("staff", "citizen")}
    people = _by_id(User, {o.handler_id for o in orders} | {m.uploaded_by for m, _ in rows} | actors)
    view.update(
        reporters=reporters({case.id}, viewer).get(case.id, []),
        report_ids=report_ids, flagged_report_ids=flagged, content_check_pending_report_ids=checking,
        work_orders=[{**{c.key: getattr(o, c.key) for c in o.__table__.columns},
                      "department_name": _REFERENCE.name(Department, o.department_id),
                      "handler_name": _display(people.get(o.handler_id))} for o in orders],
        photos=evidence(rows, people, base_url, (case.lat, case.lon)), events=named_events(events, people),
        hotline_answer=hotline.answer_of(case))
    return view


def evidence(rows: list[tuple[Media, int | None]], people: dict, base_url: str,
             reported_at: tuple[float, float]) -> list[dict]:
    """Every photo of the case: the citizens' (per report), device snapshots, the after-photos of each result
    round and the verification photos — each with its kind, round, uploader, time, expiring links and where it
    was taken (EXIF GPS, WGS-84) against the case's reported point `reported_at`."""
    out = []
    for item, report_id in rows:
        user = people.get(item.uploaded_by)
        out.append({"id": item.id, "kind": item.kind, "round": item.round or 0, "report_id": report_id,
                    "uploader_type": "device" if user is None else "citizen" if user.kind == "citizen" else "staff",
                    "uploaded_by": item.uploaded_by,
                    "uploader_name": _display(user) if user is not None and user.kind == "staff" else None,
                    "created_at": item.created_at, "captured_at": item.captured_at, "width": item.width,
                    "height": item.height, "content_check": item.content_check, "urls": media.links(item, base_url),
                    **capture_place(item, reported_at)})
    return out


def capture_place(item: Media, reported_at: tuple[float, float]) -> dict:
    """Where the photo was taken, in both datums, its distance from the reported point and a line staff read:
    距上报位置约 35 米, or 无拍摄位置 (mini-program photos often carry no GPS)."""
    if item.exif_lat is None or item.exif_lon is None:
        return {"capture_location": None, "capture_distance_m": None, "capture_place": NO_CAPTURE_PLACE}
    metres = round(geo.distance_m(item.exif_lat, item.exif_lon, *reported_at))
    far = f"约 {metres} 米" if metres < 1000 else f"约 {metres / 1000:.1f} 公里"
    return {"capture_location": geo.both_systems(item.exif_lat, item.exif_lon), "capture_distance_m": metres,
            "capture_place": f"距上报位置{far}"}


def reporters(case_ids: set[int], viewer: User | None) -> dict[int, list[dict]]:
    """case id → its reports' reporters, oldest report first (one query): who (nickname or masked openid), when,
    and the contact phone they gave — whole for FULL_PHONE_ROLES, masked for everyone else."""
    if not case_ids:
        return {}
    whole = viewer is not None and bool(viewer.roles & FULL_PHONE_ROLES)
    rows = Session.execute(sa.select(CaseReport.case_id, Report, User)
                           .join(Report, Report.id == CaseReport.report_id).join(User, User.id == Report.reporter_id)
                           .where(CaseReport.case_id.in_(case_ids)).order_by(Report.id))
    by_case: dict[int, list[dict]] = defaultdict(list)
    for case_id, report, user in rows:
        phone = report.contact_phone if whole else contact.masked(report.contact_phone)
        by_case[case_id].append({"report_id": report.id, "report_no": report.report_no,
                                 "submitted_at": report.submitted_at, "reporter_id": user.id,
                                 "reporter_name": names.person_name(user), "contact_phone": phone,
                                 "contact_phone_masked": bool(phone) and not whole})
    return by_case


def named_events(events: list, people: dict) -> list[dict]:
    """The case's history with each actor's name: staff and citizens from `people` (loaded with the rest of the
    detail's users), devices by their registered name (one query when any acted), 系统 for the system."""
    devices = _device_names({e.actor_id for e in events if e.actor_type == "device"})
    out = []
    for event in events:
        if event.actor_type == "system":
            name = SYSTEM_NAME
        elif event.actor_type == "device":
            name = devices.get(event.actor_id)
        else:
            name = names.person_name(people.get(event.actor_id))
        out.append({**{c.key: getattr(event, c.key) for c in event.__table__.columns}, "actor_name": name})
    return out


def _device_names(ids: set) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(Session.execute(sa.select(_devices.c.id, _devices.c.name).where(_devices.c.id.in_(ids))).all())


def _photos(case_ids: set[int]) -> dict[int, list[tuple[Media, int | None]]]:
    """case id → [(media, report id or None)], oldest first: reports' photos, captures' snapshots, the case's own,
    photos shown by reference (a gas inspector's evidence) — one query over the four sources."""
    if not case_ids:
        return {}
    by_case: dict[int, list] = defaultdict(list)
    for item, case_id, report_id in Session.execute(_photos_query(), {"ids": list(case_ids)}):
        by_case[case_id].append((item, report_id))
    return by_case


@functools.cache
def _photos_query() -> sa.Select:
    """Built once (a desk lists 20 cases per request: building the union each time cost more than running it)."""
    ids = sa.bindparam("ids", expanding=True)
    sources = sa.union_all(
        sa.select(Media.id.label("media_id"), CaseReport.case_id.label("case_id"), CaseReport.report_id)
        .join(CaseReport, sa.and_(Media.owner_type == "report", Media.owner_id == CaseReport.report_id))
        .where(CaseReport.case_id.in_(ids), Media.kind == MediaKind.REPORT_PHOTO),
        sa.select(Media.id, _captures.c.case_id, sa.null())
        .join(_captures, sa.and_(Media.owner_type == "capture", Media.owner_id == _captures.c.id))
        .where(_captures.c.case_id.in_(ids)),
        sa.select(Media.id, Media.owner_id, sa.null()).where(Media.owner_type == "case", Media.owner_id.in_(ids)),
        sa.select(CaseMedia.media_id, CaseMedia.case_id, sa.null()).where(CaseMedia.case_id.in_(ids)),
    ).subquery()
    return (sa.select(Media, sources.c.case_id, sources.c.report_id).join(sources, Media.id == sources.c.media_id)
            .order_by(Media.id))


def _names(cases: list[Case]):
    """Names beside ids. Departments, divisions, grids and category versions change rarely (a version's name never):
    they come from per-process tables refreshed on a miss; handlers from one query when there are any."""
    handlers = _by_id(User, {c.handler_id for c in cases if c.handler_id})
    grid_index = grids.index()

    def of(case: Case) -> dict:
        meta = grid_index.meta.get(case.grid_code) if case.grid_code else None
        community = meta[1] if meta else None
        return {"department_name": _REFERENCE.name(Department, case.department_id),
                "handler_name": _display(handlers.get(case.handler_id)),
                "category_name": _REFERENCE.name(Category, case.category_id),
                "street_name": _REFERENCE.name(Division, case.street_code),
                "grid_name": grid_index.names.get(case.grid_code) or None if case.grid_code else None,
                "community_code": community, "community_name": _REFERENCE.name(Division, community)}

    return of


class _Reference:
    """id → name for small reference tables, per process. A miss reloads the table once (new rows appear); a key
    still missing after that is remembered as nameless, so it never costs a reload per request."""

    def __init__(self):
        self.tables: dict[type, dict] = {}

    def name(self, model, key) -> str | None:
        if key is None:
            return None
        table = self.tables.get(model)
        if table is None or key not in table:
            column = model.code if model is Division else model.id
            table = self.tables[model] = dict(Session.execute(sa.select(column, model.name)).all())
            table.setdefault(key, None)
        return table[key]

    def forget(self) -> None:
        self.tables.clear()


_REFERENCE = _Reference()
forget = _REFERENCE.forget


def _by_id(model, ids: set) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in Session.scalars(sa.select(model).where(model.id.in_(ids)))}


def _display(user: User | None) -> str | None:
    return (user.display_name or user.username) if user is not None else None
