"""The map honours the caller's scope exactly as the desks do; coordinates in both systems."""

import pytest

from api import geo
from api.cases.models import Case
from api.organisation.service import load_demo_organisation, load_divisions
from tests.factories.identity import StaffFactory
from tests.support import staff_token

SANYUANLI, JINGTAI = "440111002000", "440111004000"
BBOX = "bbox=113.2,23.1,113.35,23.25&zoom=16"


@pytest.fixture
def two_streets(db_session):
    load_divisions()
    load_demo_organisation()
    mine = Case(source="hotline", status="pending", description="三元里的案件", lat=23.16, lon=113.26,
                street_code=SANYUANLI, priority="normal")
    theirs = Case(source="hotline", status="pending", description="景泰的案件", lat=23.17, lon=113.27,
                  street_code=JINGTAI, priority="normal")
    db_session.add_all([mine, theirs])
    db_session.commit()
    return mine, theirs


def ids(response):
    return sorted(f["properties"]["id"] for f in response.json["features"])


def test_street_staff_see_only_their_street_on_the_map(client, two_streets, db_session):
    mine, theirs = two_streets
    street_clerk = staff_token(StaffFactory(roles=("intake_clerk",), scope_division_code=SANYUANLI))
    district = staff_token(StaffFactory(roles=("command_centre",)))
    assert ids(client.get(f"/map/layers/cases?{BBOX}", headers=street_clerk)) == [mine.id]
    assert ids(client.get(f"/map/layers/cases?{BBOX}", headers=district)) == sorted([mine.id, theirs.id])
    clustered = client.get("/map/layers/cases?bbox=113.1,23.1,113.5,23.4&zoom=10", headers=street_clerk).json
    assert clustered["total"] == 1
    board = client.get("/map/summary", headers=street_clerk).json
    assert [row["street_code"] for row in board] == [SANYUANLI] and board[0]["cases"] == {"pending": 1}
    assert sum(sum(r["cases"].values()) for r in client.get("/map/summary", headers=district).json) == 2


def test_features_carry_gcj02_and_a_bbox_may_be_given_in_gcj02(client, two_streets, db_session):
    mine, _ = two_streets
    district = staff_token(StaffFactory(roles=("command_centre",)))
    feature = client.get(f"/map/layers/cases?{BBOX}", headers=district).json["features"][0]
    glat, glon = geo.wgs84_to_gcj02(feature["geometry"]["coordinates"][1], feature["geometry"]["coordinates"][0])
    assert feature["properties"]["gcj02"] == {"lat": round(glat, 6), "lon": round(glon, 6)}
    # a tight box around the case drawn on a GCJ-02 map finds it; the same numbers read as WGS-84 do not
    glat, glon = geo.wgs84_to_gcj02(mine.lat, mine.lon)
    box = f"bbox={glon - 0.0005},{glat - 0.0005},{glon + 0.0005},{glat + 0.0005}&zoom=17"
    assert ids(client.get(f"/map/layers/cases?{box}&coord_system=gcj02", headers=district)) == [mine.id]
    assert ids(client.get(f"/map/layers/cases?{box}", headers=district)) == []


def test_case_responses_carry_both_systems_and_names(client, two_streets, db_session):
    mine, _ = two_streets
    district = staff_token(StaffFactory(roles=("command_centre",)))
    case = client.get(f"/cases/{mine.id}", headers=district).json
    glat, glon = geo.wgs84_to_gcj02(mine.lat, mine.lon)
    assert case["location"] == {"wgs84": {"lat": mine.lat, "lon": mine.lon},
                                "gcj02": {"lat": round(glat, 7), "lon": round(glon, 7)}}
    assert case["street_name"] == "三元里街道" and case["photos"] == [] and case["photo_count"] == 0
