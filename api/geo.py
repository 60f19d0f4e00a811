"""Pure coordinate helpers: GCJ-02 / BD-09 ↔ WGS-84 and the district bounding box.

WeChat's wx.getLocation returns GCJ-02 by default (the obfuscated datum Chinese maps draw); we store
WGS-84 and hand GCJ-02 back for the mini-program's map. The forward transform is the published
standard one; the inverse is found by fixed-point iteration (error < 1e-7° after a few steps). BD-09 (Baidu's
maps, and many GIS exports here) is GCJ-02 shifted once more by Baidu's published formula; its published inverse
is within a decimetre.
"""

from __future__ import annotations

import math

_A = 6378245.0
_EE = 0.00669342162296594323


def out_of_china(lat: float, lon: float) -> bool:
    return not (73.66 < lon < 135.05 and 3.86 < lat < 53.55)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lat + dlat, lon + dlon


def gcj02_to_wgs84(lat: float, lon: float) -> tuple[float, float]:
    if out_of_china(lat, lon):
        return lat, lon
    wlat, wlon = lat, lon
    for _ in range(10):
        glat, glon = wgs84_to_gcj02(wlat, wlon)
        dlat, dlon = glat - lat, glon - lon
        wlat, wlon = wlat - dlat, wlon - dlon
        if abs(dlat) < 1e-9 and abs(dlon) < 1e-9:
            break
    return wlat, wlon


_X_PI = math.pi * 3000.0 / 180.0


def gcj02_to_bd09(lat: float, lon: float) -> tuple[float, float]:
    z = math.hypot(lon, lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lon) + 0.000003 * math.cos(lon * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")


def to_wgs84(lat: float, lon: float, coord_system: str) -> tuple[float, float]:
    if coord_system == "wgs84":
        return lat, lon
    if coord_system == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    if coord_system == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lat, lon))
    raise ValueError(f"unknown coordinate system {coord_system!r}")


def in_bbox(lat: float, lon: float, bbox: tuple[float, float, float, float], margin: float = 0.0) -> bool:
    """bbox = (min_lon, min_lat, max_lon, max_lat)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    return min_lon - margin <= lon <= max_lon + margin and min_lat - margin <= lat <= max_lat + margin


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    r = 6371008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


def both_systems(lat: float, lon: float) -> dict:
    """A stored (WGS-84) point as responses carry it: WGS-84 and GCJ-02 side by side."""
    glat, glon = wgs84_to_gcj02(lat, lon)
    return {"wgs84": {"lat": lat, "lon": lon}, "gcj02": {"lat": round(glat, 7), "lon": round(glon, 7)}}


def bbox_to_wgs84(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """A (min_lon, min_lat, max_lon, max_lat) box drawn on a GCJ-02 map, as the WGS-84 box of its corners (the
    shift is ~500 m and nearly uniform over a district)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    corners = [gcj02_to_wgs84(lat, lon) for lat, lon in ((min_lat, min_lon), (max_lat, max_lon),
                                                          (min_lat, max_lon), (max_lat, min_lon))]
    lats, lons = [c[0] for c in corners], [c[1] for c in corners]
    return min(lons), min(lats), max(lons), max(lats)
