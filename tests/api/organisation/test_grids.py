"""Unit grids: import from GeoJSON, point → grid with STRtree, nearest within 200 m, reports located."""

import pytest

from api import geo
from api.config import get_config
from api.organisation import grids, queries
from api.organisation.service import load_demo_organisation, load_divisions
from api.reports.models import Report
from tests.support import citizen_login

SANYUANLI = "440111002000"


@pytest.fixture
def organisation(db_session):
    load_divisions()
    load_demo_organisation()
    db_session.commit()


def square(code, lon, lat, size=0.002):
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def test_demo_grid_covers_the_district_with_valid_codes(organisation):
    streets = [s.code for s in queries.streets()]
    collection = grids.demo_grid(get_config().DISTRICT_BBOX, streets)
    assert len(collection["features"]) == 24 * 2 * 9
    assert grids.import_geojson(collection, demo=True) == 432
    hit = grids.index().locate(23.3, 113.3)
    assert hit and len(hit.code) == 15 and hit.code.startswith("440111") and hit.distance_m == 0
    assert hit.street_code == hit.code[:9] + "000" and hit.community_code == hit.code[:12]


def test_locate_inside_nearest_within_200_m_else_nothing(organisation):
    grids.import_geojson({"type": "FeatureCollection", "features": [square("440111002901001", 113.25, 23.16)]})
    index = grids.index()
    assert index.locate(23.161, 113.251).code == "440111002901001"
    assert index.locate(23.170, 113.251) is None
    lat_100m_north = 23.162 + 100 / 111_195
    near = index.nearest(lat_100m_north, 113.251, 200)
    assert near.code == "440111002901001" and 95 < near.distance_m < 105
    assert index.nearest(23.162 + 300 / 111_195, 113.251, 200) is None


@pytest.mark.parametrize("feature, message", [
    (square("12345", 113.25, 23.16), "15 digits"),
    (square("440111002999001", 113.25, 23.16), "unknown"),
    ({"type": "Feature", "properties": {"code": "440111002901001"}, "geometry": {"type": "Point",
                                                                                  "coordinates": [1, 2]}}, "Polygon"),
    ({"type": "Feature", "properties": {"code": "440111002901001"}, "geometry": None}, "geometry"),
])
def test_bad_grid_files_are_refused_whole(organisation, feature, message):
    good = square("440111002901002", 113.26, 23.16)
    with pytest.raises(grids.GridImportError, match=message):
        grids.import_geojson({"type": "FeatureCollection", "features": [good, feature]})
    assert grids.index().locate(23.161, 113.261) is None  # nothing half-written


def test_a_report_is_located_to_its_grid_and_street(client, wechat, organisation, db_session):
    glat, glon = geo.wgs84_to_gcj02(23.161, 113.251)
    grids.import_geojson({"type": "FeatureCollection", "features": [square("440111002901001", 113.25, 23.16)]})
    alice = citizen_login(client, wechat, "o-grid")
    body = {"description": "井盖缺失", "location": {"lat": glat, "lon": glon, "coord_system": "gcj02"}}
    report = db_session.get(Report, client.post("/reports", json=body, headers=alice).json["id"])
    assert (report.grid_code, report.street_code) == ("440111002901001", SANYUANLI)
