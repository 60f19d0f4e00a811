"""Import components from GeoJSON and materials from CSV: validated whole, then written in one transaction."""

from __future__ import annotations

import math
import re

import sqlalchemy as sa

from api.assets.errors import ImportRejected
from api.assets.models import COMPONENT_STATES, Component, Depot, Material, Stock
from api.config import get_config
from api.db import Session, upsert, utcnow
from api.events.service import Actor, record
from api.geo import in_bbox
from api.i18n import N_
from api.imports import one_of, read_csv, validated
from api.organisation import grids
from api.organisation.models import Department
from api.taxonomy.models import Category

CODE = re.compile(r"^440111(\d{2})(\d{2})(\d{6})$")  # Baiyun's 6-digit code + 大类 + 小类 + sequence


def import_components(collection: dict, actor: Actor) -> int:
    """GeoJSON FeatureCollection of Points with properties code, name, state (optional), owner (department code)."""
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list) or collection.get("type") != "FeatureCollection":
        raise ImportRejected(details={"errors": [N_("not a GeoJSON FeatureCollection")]})
    classes = set(Session.scalars(sa.select(Category.code).where(Category.is_current, Category.kind == "component")))
    departments = dict(Session.execute(sa.select(Department.code, Department.id)).all())
    bbox, now = get_config().DISTRICT_BBOX, utcnow()

    def check(item: dict) -> tuple[str | None, dict]:
        props, geometry, code = item["properties"], item["geometry"], item["code"]
        match = CODE.match(code)
        if not match:
            return N_("code must be 16 digits: 440111 + 大类 + 小类 + sequence"), {}
        category = f"component:{match[1]}-{match[2]}"
        if category not in classes:
            return N_("no 部件 小类 {category}").format(category=category), {}
        if geometry.get("type") != "Point" or len(geometry.get("coordinates") or []) < 2:
            return N_("geometry must be a Point [lon, lat] (WGS-84)"), {}
        lon, lat = (_number(v) for v in geometry["coordinates"][:2])
        if lat is None or lon is None or not in_bbox(lat, lon, bbox, 0.01):
            return N_("outside Baiyun"), {}
        if props.get("state", "normal") not in COMPONENT_STATES:
            return one_of("state", COMPONENT_STATES), {}
        if props.get("owner") and props["owner"] not in departments:
            return N_("unknown owner department {owner}").format(owner=repr(props["owner"])), {}
        place = grids.codes_of(lat, lon)
        return None, {"code": code, "category_code": category, "name": str(props.get("name") or "")[:100],
                      "state": props.get("state", "normal"), "owner_department_id": departments.get(props.get("owner")),
                      "lat": lat, "lon": lon, "grid_code": place.grid_code, "street_code": place.street_code,
                      "updated_at": now}

    items = (_feature(f) for f in features)
    rows, errors = validated(items, "code", check, first=0, position="feature")
    if errors:
        raise ImportRejected(details={"errors": errors})
    upsert(Component, rows, ["code"])
    record("component_import", 0, "imported", actor, payload={"count": len(rows)})
    return len(rows)


def _feature(feature) -> dict:
    """A feature's parts, whatever the file holds (a property or geometry that is not an object counts as none)."""
    feature = feature if isinstance(feature, dict) else {}
    props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
    geometry = feature.get("geometry") if isinstance(feature.get("geometry"), dict) else {}
    return {"code": str(props.get("code", "")), "properties": props, "geometry": geometry}


MATERIAL_COLUMNS = ("depot_code", "depot_name", "lat", "lon", "material_code", "material_name", "unit", "quantity")


def import_materials(text: str, actor: Actor) -> int:
    """CSV with MATERIAL_COLUMNS: one row per depot and material; the quantity replaces the stock."""
    rows, errors = validated(read_csv(text, MATERIAL_COLUMNS, MATERIAL_COLUMNS), ("depot_code", "material_code"),
                             _material_row)
    if errors or not rows:
        raise ImportRejected(details={"errors": errors or [N_("no rows")]})
    depots = {r["depot_code"]: r for r in rows}
    upsert(Depot, [{"code": c, "name": r["depot_name"], "lat": r["lat"], "lon": r["lon"],
                     "street_code": grids.codes_of(r["lat"], r["lon"]).street_code} for c, r in depots.items()],
            ["code"])
    upsert(Material, [{"code": r["material_code"], "name": r["material_name"], "unit": r["unit"]}
                       for r in {r["material_code"]: r for r in rows}.values()], ["code"])
    depot_ids = dict(Session.execute(sa.select(Depot.code, Depot.id)).all())
    material_ids = dict(Session.execute(sa.select(Material.code, Material.id)).all())
    upsert(Stock, [{"depot_id": depot_ids[r["depot_code"]], "material_id": material_ids[r["material_code"]],
                     "quantity": r["quantity"], "updated_at": utcnow()} for r in rows], ["depot_id", "material_id"])
    record("material_import", 0, "imported", actor, payload={"rows": len(rows)})
    return len(rows)


def _material_row(row: dict[str, str]) -> tuple[str | None, dict]:
    quantity, lat, lon = _whole(row["quantity"]), _number(row["lat"]), _number(row["lon"])
    if quantity is None or quantity < 0 or lat is None or lon is None or not row["depot_code"] \
            or not row["material_code"]:
        return N_("quantity (≥ 0), lat, lon, depot_code and material_code needed"), {}
    return None, {**row, "quantity": quantity, "lat": lat, "lon": lon}


def _number(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _whole(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def stock(material_code: str | None = None) -> list:
    query = (sa.select(Depot.code.label("depot_code"), Depot.name.label("depot_name"), Depot.street_code,
                       Material.code.label("material_code"), Material.name.label("material_name"), Material.unit,
                       Stock.quantity)
             .join(Stock, Stock.depot_id == Depot.id).join(Material, Material.id == Stock.material_id)
             .order_by(Material.code, Depot.code))
    if material_code:
        query = query.where(Material.code == material_code)
    return list(Session.execute(query).mappings())
