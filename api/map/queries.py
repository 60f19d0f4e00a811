"""Map layers as GeoJSON, clustered on a grid of cells below CLUSTER_BELOW_ZOOM, and the street summary."""

from __future__ import annotations

import sqlalchemy as sa

from api import geo
from api.assets.models import Component
from api.cases import queries as case_queries
from api.cases.lifecycle import OPEN, CaseStatus
from api.cases.models import Case
from api.db import Session, utcnow
from api.devices.models import Device, SensorState
from api.identity.models import User
from api.organisation import queries as organisation
from api.timefmt import local

CLUSTER_BELOW_ZOOM = 15
CLUSTER_PX, TILE_PX = 64, 256  # one cluster per ~64 screen pixels
MAX_FEATURES = 5000
OPEN_ON_MAP = [str(s) for s in OPEN | {CaseStatus.DEFERRED}]
OVERDUE_STATUSES = frozenset(str(s) for s in case_queries.DESKS["overdue"])

LAYERS = {
    "cases": (Case, lambda c: {"id": c.id, "status": c.status, "category_code": c.category_code,
                               "priority": c.priority, "source": c.source, "street_code": c.street_code,
                               "overdue": c.status in OVERDUE_STATUSES and c.deadline_at is not None
                               and c.deadline_at < utcnow()}),  # as the overdue desk counts it
    "components": (Component, lambda c: {"code": c.code, "category_code": c.category_code, "name": c.name,
                                         "state": c.state, "street_code": c.street_code}),
    "devices": (Device, lambda d: {"code": d.code, "kind": d.kind, "name": d.name, "active": d.active,
                                   "silent": d.silent_case_id is not None,
                                   "last_seen_at": local(d.last_seen_at).isoformat() if d.last_seen_at else None}),
}


def cell_degrees(zoom: int) -> float:
    return 360.0 / (2 ** zoom) * CLUSTER_PX / TILE_PX


def in_scope(staff: User, model) -> sa.ColumnElement[bool]:
    """The caller's scope on a layer, as the desks apply it: district-wide staff see everything; a street's staff
    their street; a department's staff their department's cases and the components it owns (devices: all)."""
    if model is Case:
        return case_queries.scope(staff)
    if staff.is_district_wide:
        return sa.true()
    if staff.scope_division_code:
        return model.street_code == staff.scope_division_code
    if model is Component:
        return Component.owner_department_id == staff.scope_department_id
    return sa.true()


def _filtered(staff: User, layer: str, bbox, filters: dict) -> tuple[type, sa.Select]:
    model = Case if layer == "cases" else Component if layer == "components" else Device
    min_lon, min_lat, max_lon, max_lat = bbox
    query = sa.select(model).where(model.lon.between(min_lon, max_lon), model.lat.between(min_lat, max_lat),
                                   in_scope(staff, model))
    if layer == "cases":
        statuses = filters.get("status") or OPEN_ON_MAP
        query = query.where(Case.status.in_(statuses))
    if layer == "sensors":
        query = query.where(Device.kind == "sensor")
    if filters.get("category_code") and layer in ("cases", "components"):
        query = query.where(model.category_code == filters["category_code"])
    if filters.get("state") and layer == "components":
        query = query.where(Component.state == filters["state"])
    if filters.get("kind") and layer == "devices":
        query = query.where(Device.kind == filters["kind"])
    return model, query


def layer(staff: User, name: str, bbox, zoom: int, filters: dict) -> dict:
    model, query = _filtered(staff, name, bbox, filters)
    if zoom < CLUSTER_BELOW_ZOOM:
        return _clusters(model, query, cell_degrees(zoom), name)
    items = list(Session.scalars(query.order_by(*model.__mapper__.primary_key).limit(MAX_FEATURES + 1)))
    truncated = len(items) > MAX_FEATURES
    items = items[:MAX_FEATURES]
    properties = LAYERS["devices" if name == "sensors" else name][1]
    features = [_point(item.lon, item.lat, properties(item)) for item in items]
    if name == "sensors":
        _add_readings(items, features)
    return {"type": "FeatureCollection", "features": features, "clustered": False, "truncated": truncated}


def _clusters(model, query: sa.Select, cell: float, name: str) -> dict:
    dialect = Session.get_bind().dialect.name
    if dialect == "postgresql":
        gx, gy = sa.func.floor(model.lon / cell), sa.func.floor(model.lat / cell)
    else:  # longitudes and latitudes here are positive: truncation is floor
        gx, gy = sa.cast(model.lon / cell, sa.Integer), sa.cast(model.lat / cell, sa.Integer)
    # one integer key per cell: PostgreSQL then hashes it (grouping on two float expressions, it misjudged the
    # number of groups and sorted every row, on disk: 32 ms against 14 ms for the district view)
    cell_key = sa.cast(gx * 1_000_000 + gy, sa.BigInteger)
    inner = query.with_only_columns(cell_key.label("cell"), model.lon, model.lat).subquery()
    rows = Session.execute(sa.select(sa.func.count(), sa.func.avg(inner.c.lon), sa.func.avg(inner.c.lat))
                           .group_by(inner.c.cell)).all()
    features = [_point(lon, lat, {"cluster": True, "count": n}) for n, lon, lat in rows]
    return {"type": "FeatureCollection", "features": features, "clustered": True, "cell_degrees": cell,
            "truncated": False, "total": sum(f["properties"]["count"] for f in features)}


def _point(lon: float, lat: float, properties: dict) -> dict:
    """A GeoJSON (RFC 7946: WGS-84) point; the same point in GCJ-02 rides in the properties for Chinese maps."""
    glat, glon = geo.wgs84_to_gcj02(lat, lon)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
            "properties": {**properties, "gcj02": {"lat": round(glat, 6), "lon": round(glon, 6)}}}


def _add_readings(devices: list[Device], features: list[dict]) -> None:
    states: dict[int, list] = {}
    for s in Session.scalars(sa.select(SensorState).where(SensorState.device_id.in_([d.id for d in devices]))):
        states.setdefault(s.device_id, []).append({"kind": s.kind, "value": s.last_value,
                                                    "at": local(s.last_at).isoformat(), "alerting": s.alerting})
    for device, feature in zip(devices, features, strict=True):
        feature["properties"]["readings"] = states.get(device.id, [])


def summary(staff: User) -> list[dict]:
    """Per street: open cases by status, overdue, components by state, devices active and silent — within the
    caller's scope (a street's staff get their street's row; a department's staff count their own cases)."""
    streets = {d.code: {"street_code": d.code, "name": d.name, "cases": {}, "overdue": 0, "components": {},
                        "devices": 0, "silent_devices": 0} for d in organisation.streets()
               if not staff.scope_division_code or d.code == staff.scope_division_code}

    def bump(code, key, sub, n):
        row = streets.get(code)
        if row is not None:
            row[key][sub] = row[key].get(sub, 0) + n

    for code, status, n in Session.execute(sa.select(Case.street_code, Case.status, sa.func.count())
                                           .where(Case.status.in_(OPEN_ON_MAP), in_scope(staff, Case))
                                           .group_by(Case.street_code, Case.status)):
        bump(code, "cases", status, n)
    for code, n in Session.execute(sa.select(Case.street_code, sa.func.count()).where(
            Case.status.in_(OPEN_ON_MAP), Case.deadline_at < utcnow(), in_scope(staff, Case))
            .group_by(Case.street_code)):
        if code in streets:
            streets[code]["overdue"] = n
    for code, state, n in Session.execute(sa.select(Component.street_code, Component.state, sa.func.count())
                                          .where(in_scope(staff, Component))
                                          .group_by(Component.street_code, Component.state)):
        bump(code, "components", state, n)
    for code, silent, n in Session.execute(sa.select(Device.street_code, Device.silent_case_id.is_not(None),
                                                     sa.func.count()).where(Device.active, in_scope(staff, Device))
                                           .group_by(Device.street_code, Device.silent_case_id.is_not(None))):
        if code in streets:
            streets[code]["devices"] += n
            streets[code]["silent_devices"] += n if silent else 0
    return sorted(streets.values(), key=lambda r: r["street_code"])
