"""The command centre's board: the district drawn from the grids we hold, open cases per grid, device and sensor
alerts, and the KPI tiles — each within the caller's scope, as the desks and the map layers apply it.

Street outlines are the union of each street's grids (shapely), computed once per grid index (grids change by
import only); a demo grid says so (`demo`), since its street positions are synthetic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from shapely.geometry import mapping
from shapely.ops import unary_union

from api.cases import queries as case_queries
from api.cases import statistics
from api.cases.models import Case
from api.db import Session
from api.devices.models import Device, SensorState
from api.extensions import get_redis
from api.identity.models import User
from api.map.queries import OPEN_ON_MAP, in_scope
from api.organisation import grids
from api.organisation import queries as organisation
from api.organisation.models import UnitGrid
from api.timefmt import SHANGHAI, local

MONTH_FIGURES_S = 60  # how long this month's rates on the tiles may be old (while one process refreshes them)
_outlines: list = [None, [], False]  # [the grid index they were drawn from, street features, demo]


def street_outlines(staff: User) -> dict:
    """Each street as the union of its grids (GeoJSON, WGS-84), the caller's street alone if they have one. Drawn
    again whenever the grid index is rebuilt (an import, or its periodic refresh), once per process."""
    index = grids.index()
    drawn_from, features, demo = _outlines
    if drawn_from is not index:  # the index object is held here, so a new one is never mistaken for it
        by_street: dict[str, list] = {}
        for code, shape in zip(index.codes, index.shapes, strict=True):
            by_street.setdefault(index.meta[code][0], []).append(shape.buffer(0))
        names = {d.code: d.name for d in organisation.streets()}
        features = [{"type": "Feature", "geometry": mapping(unary_union(shapes).simplify(0.0002)),
                     "properties": {"street_code": code, "name": names.get(code, code)}}
                    for code, shapes in sorted(by_street.items())]
        demo = bool(Session.scalar(sa.select(sa.func.count()).select_from(UnitGrid).where(UnitGrid.is_demo)))
        _outlines[:] = [index, features, demo]  # one assignment: a thread reading meanwhile sees old or new
    if staff.scope_division_code:
        features = [f for f in features if f["properties"]["street_code"] == staff.scope_division_code]
    return {"type": "FeatureCollection", "features": features, "demo": demo}


def grid_density(staff: User) -> dict:
    """Open cases per grid (polygons with counts) for the density shading, within the caller's scope."""
    counts = dict(Session.execute(sa.select(Case.grid_code, sa.func.count()).where(
        Case.status.in_(OPEN_ON_MAP), Case.grid_code.is_not(None), in_scope(staff, Case))
        .group_by(Case.grid_code)).all())
    index = grids.index()
    features = [{"type": "Feature", "geometry": mapping(shape), "properties": {"grid_code": code,
                                                                              "name": index.names.get(code),
                                                                              "open": counts[code]}}
                for code, shape in zip(index.codes, index.shapes, strict=True) if counts.get(code)]
    return {"type": "FeatureCollection", "features": features, "most": max(counts.values(), default=0)}


def alerts(staff: User, limit: int = 20) -> list[dict]:
    """Sensors alerting now and devices gone silent, newest first, within the caller's street (devices have no
    department: a department's staff see them all, as on the map)."""
    scope = in_scope(staff, Device)
    out = [{"kind": "sensor", "device": device.name, "code": device.code, "reading": state.kind,
            "value": state.last_value, "at": state.last_at, "case_id": state.case_id}
           for state, device in Session.execute(
               sa.select(SensorState, Device).join(Device, Device.id == SensorState.device_id)
               .where(SensorState.alerting, scope).order_by(SensorState.last_at.desc()).limit(limit))]
    out += [{"kind": "silent", "device": device.name, "code": device.code, "reading": None, "value": None,
             "at": device.last_seen_at, "case_id": device.silent_case_id}
            for device in Session.scalars(sa.select(Device).where(Device.silent_case_id.is_not(None), Device.active,
                                                                  scope).order_by(Device.last_seen_at.desc())
                                          .limit(limit))]
    return sorted(out, key=lambda a: a["at"] or datetime.min.replace(tzinfo=SHANGHAI), reverse=True)[:limit]


@dataclass(frozen=True)
class Tiles:
    new_today: int
    open: int
    overdue: int
    on_time_rate: float | None  # this month so far, as /statistics computes it
    satisfaction: float | None
    period_start: datetime


def tiles(staff: User, now: datetime) -> Tiles:
    """Today's new cases, open (as the map shows them: 缓办 included) and overdue (as the overdue desk finds them)
    now, and this month's 按期结案率 and 满意度 as the evaluation gives them for the month to date (its period ends at
    tomorrow's midnight), over the rows the caller may see (up to MONTH_FIGURES_S old)."""
    midnight = datetime.combine(local(now).date(), time(), SHANGHAI)
    month = midnight.replace(day=1)
    scope = in_scope(staff, Case)
    new_today = Session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.created_at >= midnight, scope))
    # two counts the indexes answer: open ones by status (index-only), overdue ones as the overdue desk finds them
    # (its partial index on the deadline) — one count with a CASE over the deadline read every open case's row
    statuses = sa.bindparam("open_statuses", OPEN_ON_MAP, expanding=True, literal_execute=True)
    open_ = Session.scalar(sa.select(sa.func.count()).select_from(Case).where(Case.status.in_(statuses), scope))
    overdue_ids = case_queries.desk(staff, "overdue", {}, now).with_only_columns(Case.id).subquery()
    overdue = Session.scalar(sa.select(sa.func.count()).select_from(overdue_ids))
    on_time_rate, satisfaction = _month_figures(staff, month, midnight + timedelta(days=1), now)
    return Tiles(new_today or 0, open_ or 0, overdue or 0, on_time_rate, satisfaction, month)


def _month_figures(staff: User, month: datetime, end: datetime, now: datetime) -> tuple[float | None, float | None]:
    """This month's 按期结案率 and 满意度 over the rows the caller may see (by department for a department's staff,
    else by street). The evaluation runs over the month's cases and events (seconds on a large district), so its
    answer is kept in Redis per scope: fresh for MONTH_FIGURES_S, then one process (a lock) computes it again while
    the others go on answering with the kept one — no stampede of every wall at once."""
    key = f"board:month:{month:%Y%m}:{staff.scope_division_code or '-'}:{staff.scope_department_id or '-'}"
    redis = get_redis()
    kept = redis.get(key)
    figures = json.loads(kept) if kept else None
    stale = figures is None or figures["at"] < now.timestamp() - MONTH_FIGURES_S
    if stale and (figures is None or redis.set(key + ":lock", 1, nx=True, ex=120)):
        group_by = "department" if staff.scope_department_id else "street"
        total = statistics.total(statistics.visible(staff, group_by, statistics.evaluate(group_by, month, end, now)))
        figures = {"on_time_rate": total.on_time_rate, "satisfaction": total.satisfaction, "at": now.timestamp()}
        redis.set(key, json.dumps(figures), ex=40 * MONTH_FIGURES_S)
        redis.delete(key + ":lock")
    return figures["on_time_rate"], figures["satisfaction"]
