"""Cases as staff read them: names beside ids, the point in WGS-84 and GCJ-02, and the evidence photos.

Every lookup is batched over the page (one query per kind of name, one for the photos), so a desk of 20 cases
costs a handful of queries, not 20 × as many.
"""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from api import geo
from api.db import Session
from api.events.service import history
from api.identity.models import User
from api.media import service as media
from api.media.models import Media, MediaKind
from api.organisation.models import Department, Division, UnitGrid
from api.taxonomy.models import Category
from api.work_orders import queries, service
from api.work_orders.models import Case, CaseReport
from api.work_orders.schemas import CaseSchema

# camera captures belong to the devices domain, which depends on this one: their (id, case_id) pairs are read
# through a light table clause instead of an import
_captures = sa.table("captures", sa.column("id"), sa.column("case_id"))
_LISTED_FIELDS = tuple(c for c in CaseSchema().fields if c not in {
    "remaining_seconds", "location", "department_name", "handler_name", "street_name", "community_code",
    "community_name", "grid_name", "category_name", "photo_count", "thumbnail_url"})  # built once: costly per row


def listed(cases: list[Case], base_url: str) -> list[dict]:
    """Desk rows: the case, its remaining time on its own clock, names, both coordinate systems, and the
    evidence compactly (how many photos, the first one's thumbnail)."""
    names = _names(cases)
    photos = _photos({c.id for c in cases})
    rows = []
    for case in cases:
        remaining = service.remaining(case)
        view = {c: getattr(case, c) for c in _LISTED_FIELDS}
        view["remaining_seconds"] = int(remaining.total_seconds()) if remaining is not None else None
        view["location"] = geo.both_systems(case.lat, case.lon)
        view.update(names(case))
        own = photos.get(case.id, [])
        view["photo_count"] = len(own)
        view["thumbnail_url"] = media.links(own[0][0], base_url)["thumb"] if own else None
        rows.append(view)
    return rows


def detail(case: Case, base_url: str) -> dict:
    """A case with its reports, work orders (with department and handler names), every photo with signed links,
    its history and, for 12345 cases, the answer."""
    view = listed([case], base_url)[0]
    report_ids, flagged = queries.reports_of(case.id)
    orders = queries.work_orders_of(case.id)
    departments = _by_id(Department, {o.department_id for o in orders})
    handlers = _by_id(User, {o.handler_id for o in orders if o.handler_id})
    view.update(
        report_ids=report_ids, flagged_report_ids=flagged,
        work_orders=[{**{c.key: getattr(o, c.key) for c in o.__table__.columns},
                      "department_name": _name(departments.get(o.department_id)),
                      "handler_name": _display(handlers.get(o.handler_id))} for o in orders],
        photos=evidence(case, base_url), events=history("case", case.id), hotline_answer=service.hotline_answer(case))
    return view


def evidence(case: Case, base_url: str) -> list[dict]:
    """Every photo of the case: the citizens' (per report), device snapshots, the after-photos of each result
    round and the verification photos — each with its kind, round, uploader, time and expiring links."""
    rows = _photos({case.id}).get(case.id, [])
    uploaders = _by_id(User, {m.uploaded_by for m, _ in rows if m.uploaded_by})
    out = []
    for item, report_id in rows:
        user = uploaders.get(item.uploaded_by)
        out.append({"id": item.id, "kind": item.kind, "round": item.round or 0, "report_id": report_id,
                    "uploader_type": "device" if user is None else "citizen" if user.kind == "citizen" else "staff",
                    "uploaded_by": item.uploaded_by,
                    "uploader_name": _display(user) if user is not None and user.kind == "staff" else None,
                    "created_at": item.created_at, "captured_at": item.captured_at, "width": item.width,
                    "height": item.height, "content_check": item.content_check, "urls": media.links(item, base_url)})
    return out


def _photos(case_ids: set[int]) -> dict[int, list[tuple[Media, int | None]]]:
    """case id → [(media, report id or None)], oldest first: reports' photos, captures' snapshots, the case's."""
    if not case_ids:
        return {}
    on_report = sa.and_(Media.owner_type == "report", Media.owner_id == CaseReport.report_id)
    rows = Session.execute(
        sa.select(Media, CaseReport.case_id, CaseReport.report_id).join(CaseReport, on_report)
        .where(CaseReport.case_id.in_(case_ids), Media.kind == MediaKind.REPORT_PHOTO)).all()
    by_case: dict[int, list] = defaultdict(list)
    for item, case_id, report_id in rows:
        by_case[case_id].append((item, report_id))
    captures = Session.execute(
        sa.select(Media, _captures.c.case_id).join(_captures, sa.and_(Media.owner_type == "capture",
                                                                      Media.owner_id == _captures.c.id))
        .where(_captures.c.case_id.in_(case_ids))).all()
    own = Session.scalars(sa.select(Media).where(Media.owner_type == "case", Media.owner_id.in_(case_ids))).all()
    for item, case_id in captures:
        by_case[case_id].append((item, None))
    for item in own:
        by_case[item.owner_id].append((item, None))
    for items in by_case.values():
        items.sort(key=lambda pair: pair[0].id)
    return by_case


def _names(cases: list[Case]):
    departments = _by_id(Department, {c.department_id for c in cases if c.department_id})
    handlers = _by_id(User, {c.handler_id for c in cases if c.handler_id})
    categories = _by_id(Category, {c.category_id for c in cases if c.category_id})
    grids = {g.code: g for g in Session.scalars(sa.select(UnitGrid).where(
        UnitGrid.code.in_({c.grid_code for c in cases if c.grid_code})))} if any(c.grid_code for c in cases) else {}
    codes = {c.street_code for c in cases if c.street_code} | {g.community_code for g in grids.values()}
    divisions = {d.code: d for d in Session.scalars(sa.select(Division).where(Division.code.in_(codes)))} \
        if codes else {}

    def of(case: Case) -> dict:
        grid = grids.get(case.grid_code)
        community = divisions.get(grid.community_code) if grid else None
        return {"department_name": _name(departments.get(case.department_id)),
                "handler_name": _display(handlers.get(case.handler_id)),
                "category_name": _name(categories.get(case.category_id)),
                "street_name": _name(divisions.get(case.street_code)),
                "grid_name": grid.name or None if grid else None,
                "community_code": community.code if community else None, "community_name": _name(community)}

    return of


def _by_id(model, ids: set) -> dict:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return {row.id: row for row in Session.scalars(sa.select(model).where(model.id.in_(ids)))}


def _name(row) -> str | None:
    return row.name if row is not None else None


def _display(user: User | None) -> str | None:
    return (user.display_name or user.username) if user is not None else None
