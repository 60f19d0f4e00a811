import math

import pytest

from api import geo


def test_gcj02_round_trip_is_exact_to_a_centimetre():
    for lat, lon in [(23.16495, 113.2575), (23.4, 113.5), (23.14, 113.15)]:
        glat, glon = geo.wgs84_to_gcj02(lat, lon)
        back = geo.gcj02_to_wgs84(glat, glon)
        assert geo.distance_m(lat, lon, *back) < 0.01


def test_gcj02_offset_in_guangzhou_is_hundreds_of_metres():
    lat, lon = 23.16495, 113.2575
    assert 400 < geo.distance_m(lat, lon, *geo.wgs84_to_gcj02(lat, lon)) < 800


def test_district_centroid_matches_the_published_conversion():
    # shared/data/README.md: DataV centroid GCJ (23.289382, 113.32395) → WGS-84 ≈ (23.29193, 113.31853)
    lat, lon = geo.gcj02_to_wgs84(23.289382, 113.32395)
    assert (round(lat, 5), round(lon, 5)) == (23.29193, 113.31853)


def test_outside_china_is_not_shifted():
    assert geo.wgs84_to_gcj02(51.5, -0.12) == (51.5, -0.12)


def test_bbox_with_margin():
    bbox = (113.1445, 23.1406, 113.5049, 23.4313)
    assert geo.in_bbox(23.3, 113.3, bbox)
    assert not geo.in_bbox(23.135, 113.3, bbox)
    assert geo.in_bbox(23.135, 113.3, bbox, margin=0.01)


def test_unknown_coordinate_system_is_refused():
    with pytest.raises(ValueError):
        geo.to_wgs84(23.0, 113.0, "bd11")


def test_bd09_matches_the_published_conversion_both_ways():
    # wandergis/coordtransform's examples (also hutool's CoordinateUtilTest): GCJ-02 (39.915, 116.404) ↔ BD-09
    assert geo.gcj02_to_bd09(39.915, 116.404) == pytest.approx((39.92133699351021, 116.41036949371029), abs=1e-9)
    assert geo.bd09_to_gcj02(39.915, 116.404) == pytest.approx((39.90865673957631, 116.39762729119315), abs=1e-9)


def test_a_bd09_point_is_stored_as_the_wgs84_point_it_was_made_from():
    # one point in three datums (WGS-84 → GCJ-02 → BD-09, as published with geotool): BD-09 back to WGS-84
    wgs84, bd09 = (30.6107779, 121.0917077), (30.61484572185035, 121.10271732371203)
    assert geo.distance_m(*wgs84, *geo.to_wgs84(*bd09, "bd09")) < 0.1
    for lat, lon in [(23.16495, 113.2575), (23.4, 113.5)]:  # and a round trip in Baiyun, to a decimetre
        there = geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(lat, lon))
        assert 500 < geo.distance_m(lat, lon, *there) < 1500  # BD-09 is far off: taken as WGS-84, a wrong door
        assert geo.distance_m(lat, lon, *geo.to_wgs84(*there, "bd09")) < 0.1


def test_haversine_one_degree_of_latitude():
    assert math.isclose(geo.distance_m(0, 0, 1, 0), 111_195, rel_tol=1e-3)
