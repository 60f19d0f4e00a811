"""Point → unit grid with shapely's STRtree, and grid import from GeoJSON (pure geometry + persistence)."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa
from shapely.errors import GeometryTypeError
from shapely.geometry import Point, mapping, shape
from shapely.ops import nearest_points
from shapely.strtree import STRtree

from api import geo
from api.config import get_config
from api.db import Session, upsert
from api.events.service import Actor, record
from api.organisation.errors import LocationOutsideDistrict
from api.organisation.models import Division, UnitGrid

GRID_CODE = re.compile(r"^\d{15}$")
INDEX_TTL_S = 60.0


class GridImportError(ValueError):
    pass


@dataclass(frozen=True)
class GridHit:
    code: str
    street_code: str
    community_code: str
    distance_m: float  # 0 inside the polygon


class GridIndex:
    """An STRtree over the grid polygons; rebuilt when stale (other processes import grids too)."""

    def __init__(self, grids: list[UnitGrid]):
        self.codes = [g.code for g in grids]
        self.meta = {g.code: (g.street_code, g.community_code) for g in grids}
        self.names = {g.code: g.name for g in grids}
        self.shapes = [shape(g.geometry) for g in grids]
        self.tree = STRtree(self.shapes) if self.shapes else None
        self.built_at = time.monotonic()

    def locate(self, lat: float, lon: float) -> GridHit | None:
        if self.tree is None:
            return None
        point = Point(lon, lat)
        for i in sorted(self.tree.query(point, predicate="intersects")):
            return self._hit(int(i), 0.0)
        return None

    def nearest(self, lat: float, lon: float, max_m: float) -> GridHit | None:
        """The closest grid within max_m metres (for points in the district but outside every grid)."""
        if self.tree is None:
            return None
        point = Point(lon, lat)
        i = self.tree.nearest(point)
        if i is None:
            return None
        nearest_point = nearest_points(self.shapes[int(i)], point)[0]
        distance = geo.distance_m(lat, lon, nearest_point.y, nearest_point.x)
        return self._hit(int(i), distance) if distance <= max_m else None

    def _hit(self, i: int, distance: float) -> GridHit:
        street, community = self.meta[self.codes[i]]
        return GridHit(self.codes[i], street, community, round(distance, 1))


# A point inside the district but outside every grid belongs to the nearest grid's street within this distance.
NEAREST_GRID_MAX_M = 200


@dataclass(frozen=True)
class Place:
    grid_code: str | None  # only when the point lies inside the grid
    street_code: str | None


def place_of(lat: float, lon: float) -> GridHit | None:
    """The grid containing the point, else the nearest grid within NEAREST_GRID_MAX_M."""
    return index().locate(lat, lon) or index().nearest(lat, lon, NEAREST_GRID_MAX_M)


def codes_of(lat: float, lon: float) -> Place:
    hit = place_of(lat, lon)
    if hit is None:
        return Place(None, None)
    return Place(hit.code if not hit.distance_m else None, hit.street_code)


_index: GridIndex | None = None
_lock = threading.Lock()


def index() -> GridIndex:
    global _index
    with _lock:
        if _index is None or time.monotonic() - _index.built_at > INDEX_TTL_S:
            _index = GridIndex(list(Session.scalars(sa.select(UnitGrid))))
        return _index


def invalidate() -> None:
    global _index
    with _lock:
        _index = None


def import_geojson(collection: dict, *, demo: bool = False, actor: Actor | None = None) -> int:
    """Upsert grids from a FeatureCollection (properties: code, optional name); validates before writing."""
    features = collection.get("features") if isinstance(collection, dict) else None
    if collection.get("type") != "FeatureCollection" or not isinstance(features, list) or not features:
        raise GridImportError("expected a non-empty GeoJSON FeatureCollection")
    communities = set(Session.scalars(sa.select(Division.code).where(Division.kind == "community")))
    rows = [_grid_from_feature(n, f, communities, demo) for n, f in enumerate(features, start=1)]
    codes = [r["code"] for r in rows]
    if len(set(codes)) != len(codes):
        raise GridImportError("duplicate grid codes in the file")
    upsert(UnitGrid, rows, ["code"])
    record("unit_grids", 0, "grids_imported", actor or Actor.system(), payload={"count": len(rows),
                                                                                "demo": demo})
    invalidate()
    return len(rows)


def _grid_from_feature(n: int, feature: dict, communities: set[str], demo: bool) -> dict:
    props = feature.get("properties") or {}
    code = str(props.get("code", ""))
    if not GRID_CODE.match(code):
        raise GridImportError(f"feature {n}: code must be 15 digits, got {code!r}")
    if code[:12] not in communities:
        raise GridImportError(f"feature {n}: community {code[:12]} is unknown; import the community first")
    try:
        polygon = shape(feature.get("geometry"))
    except (AttributeError, TypeError, ValueError, GeometryTypeError) as exc:
        raise GridImportError(f"feature {n}: unreadable geometry") from exc
    if polygon.geom_type not in ("Polygon", "MultiPolygon") or not polygon.is_valid or polygon.is_empty:
        raise GridImportError(f"feature {n}: geometry must be a valid Polygon or MultiPolygon")
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    return {"code": code, "name": str(props.get("name", "")), "community_code": code[:12],
            "street_code": code[:9] + "000", "geometry": mapping(polygon), "min_lon": min_lon, "min_lat": min_lat,
            "max_lon": max_lon, "max_lat": max_lat, "is_demo": demo}


def demo_grid(bbox: tuple[float, float, float, float], streets: list[str], communities_per_street: int = 2,
              cells: int = 3) -> dict:
    """A plausible synthetic grid over the district's extent (demo data: street positions are not real).

    The bounding box is cut into one zone per street (6 columns), each zone into its demo communities,
    each community into cells × cells unit grids, numbered west→east, north→south.
    """
    min_lon, min_lat, max_lon, max_lat = bbox
    columns = 6
    rows_ = -(-len(streets) // columns)
    zone_w, zone_h = (max_lon - min_lon) / columns, (max_lat - min_lat) / rows_
    features = []
    for z, street in enumerate(streets):
        zx, zy = min_lon + (z % columns) * zone_w, max_lat - (z // columns + 1) * zone_h
        for c in range(communities_per_street):
            cw = zone_w / communities_per_street
            cx = zx + c * cw
            community = f"{street[:9]}9{c + 1:02d}"
            for seq in range(cells * cells):
                col, row = seq % cells, seq // cells
                x0, y1 = cx + col * cw / cells, zy + zone_h - row * zone_h / cells
                ring = [[x0, y1 - zone_h / cells], [x0 + cw / cells, y1 - zone_h / cells], [x0 + cw / cells, y1],
                        [x0, y1], [x0, y1 - zone_h / cells]]
                features.append({"type": "Feature", "properties": {"code": f"{community}{seq + 1:03d}",
                                                                   "name": f"演示网格{seq + 1:03d}"},
                                 "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}


def check_in_district(lat: float, lon: float, coord_system: str) -> tuple[float, float]:
    """The point in WGS-84 (7 decimals), or LOCATION_OUTSIDE_DISTRICT when it is outside Baiyun's box."""
    wlat, wlon = geo.to_wgs84(lat, lon, coord_system)
    config = get_config()
    if not geo.in_bbox(wlat, wlon, config.DISTRICT_BBOX, config.DISTRICT_BBOX_MARGIN_DEG):
        raise LocationOutsideDistrict(details={"lat": lat, "lon": lon, "coord_system": coord_system})
    return round(wlat, 7), round(wlon, 7)
