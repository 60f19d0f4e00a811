"""部件 and 物资 imports through the shared row checks (api/imports.py): every problem named at once, in the
request's language, nothing written; a re-import updates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from api.assets.models import Component, Stock
from api.assets.service import import_components, import_materials
from api.events.service import Actor
from api.i18n import force_locale, translate_details
from api.imports import ImportRejected
from api.organisation.service import load_demo_organisation, load_divisions
from api.taxonomy.service import load_national

HEADER = "depot_code,depot_name,lat,lon,material_code,material_name,unit,quantity\n"


@pytest.fixture
def registers(db_session):
    load_divisions()
    load_demo_organisation()
    load_national()


def _point(code, lon=113.2628, lat=23.1625, **props):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": {"code": code, "name": "雨水井盖", **props}}


def test_every_bad_feature_is_named_and_nothing_is_written(registers, db_session):
    features = [_point("4401110103000001", owner="municipal"), _point("44011101030001"),
                _point("4401119999000001"), _point("4401110103000002", lon=100.0),
                _point("4401110103000003", state="stolen"), _point("4401110103000001"),
                _point("4401110103000004", owner="nobody"), {"type": "Feature", "geometry": None, "properties": None},
                {"type": "Feature", "geometry": "POINT(1 2)", "properties": ["x"]}, "not a feature"]
    with pytest.raises(ImportRejected) as refused:
        import_components({"type": "FeatureCollection", "features": features}, Actor.system())
    assert [(e["feature"], e["problem"]) for e in refused.value.details["errors"]] == [
        (1, "code must be 16 digits: 440111 + 大类 + 小类 + sequence"),
        (2, "no 部件 小类 component:99-99"),
        (3, "outside Baiyun"),
        (4, "state must be one of normal, damaged, lost, removed"),
        (5, "duplicate code in the file"),
        (6, "unknown owner department 'nobody'"),
        (7, "code must be 16 digits: 440111 + 大类 + 小类 + sequence"),
        (8, "code must be 16 digits: 440111 + 大类 + 小类 + sequence"),
        (9, "code must be 16 digits: 440111 + 大类 + 小类 + sequence"),
    ]
    with force_locale("zh"):
        assert translate_details(refused.value.details)["errors"][2]["problem"] == "不在白云区范围内"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Component)) == 0


def test_a_file_that_is_not_a_feature_collection_is_refused_as_such(registers):
    for collection in ([], {"type": "FeatureCollection"}, {"type": "Other", "features": []}, "text"):
        with pytest.raises(ImportRejected) as refused:
            import_components(collection, Actor.system())
        assert refused.value.details == {"errors": ["not a GeoJSON FeatureCollection"]}


def test_stock_is_keyed_by_depot_and_material_and_replaced_on_reimport(registers, db_session):
    rows = ("D1,三元里仓库,23.16,113.26,M1,沙袋,个,100\n"
            "D1,三元里仓库,23.16,113.26,M2,铁锹,把,5\n"
            "D2,同和仓库,23.19,113.30,M1,沙袋,个,40\n")
    assert import_materials(HEADER + rows, Actor.system()) == 3
    assert import_materials(HEADER + "D1,三元里仓库,23.16,113.26,M1,沙袋,个,60\n", Actor.system()) == 1
    assert sorted(db_session.scalars(sa.select(Stock.quantity))) == [5, 40, 60]
    with pytest.raises(ImportRejected) as refused:
        import_materials(HEADER + "D1,x,23.16,113.26,M2,铁锹,把,-1\nD3,y,23.1,113.2,M9,z,个,1\n"
                                  "D3,y,23.1,113.2,M9,z,个,2\n", Actor.system())
    assert refused.value.details["errors"] == [
        {"line": 2, "depot_code": "D1", "material_code": "M2",
         "problem": "quantity (≥ 0), lat, lon, depot_code and material_code needed"},
        {"line": 4, "depot_code": "D3", "material_code": "M9",
         "problem": "duplicate depot_code, material_code in the file"}]
    with pytest.raises(ImportRejected) as wrong_header:
        import_materials("depot,quantity\nD1,3\n", Actor.system())
    assert "missing column 'depot_code'" in wrong_header.value.details["errors"]
