"""The field app's rules as a phone and an office meet them: check-ins in the datum wx.getLocation gives (GCJ-02),
imports in the datum GIS exports come in, plans that stay in the supervisor's street, visit times that follow the
API's time rule and the visit's own sense, and the inspector's on-site measures."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from api import geo
from api.events.service import Actor
from api.gas import checklist, errors, users
from api.gas.models import GasTask, GasUser, GasVisit
from api.organisation import grids
from api.organisation import queries as organisation
from api.premises.errors import ImportRejected
from api.premises.models import Premises
from api.premises.service import import_premises
from api.timefmt import today
from tests.api.gas.conftest import HERE, passing, visit
from tests.factories.identity import StaffFactory
from tests.support import staff_token

RESIDENTIAL_PIPELINE = [i.code for i in checklist.applicable("v1", "residential", "pipeline")]


def _day(client, g, who="ins1") -> dict[str, dict]:
    """Plan as the street's supervisor and give every task to one inspector; their day list by gas user number."""
    assert client.post("/gas/plans", json={"horizon_days": 0}, headers=g["t"]["boss"]).status_code == 200
    for task in g["db"].scalars(sa.select(GasTask).where(GasTask.inspector_id != g["staff"][who].id)):
        assert client.post(f"/gas/tasks/{task.id}/reassign", json={"inspector_id": g["staff"][who].id,
                                                                    "reason": "集中安排"},
                           headers=g["t"]["boss"]).status_code == 200
    return {task["number"]: task for task in client.get("/gas/field/tasks", headers=g["t"][who]).json}


def _sync(client, token, *visits) -> list[dict]:
    answer = client.post("/gas/field/visits", json={"visits": list(visits)}, headers=token)
    assert answer.status_code == 200, answer.json
    return answer.json["results"]


def _g(gas, db_session):
    gas["db"] = db_session
    return gas


def test_a_check_in_at_the_door_in_gcj02_passes_and_is_stored_in_wgs84(client, gas, db_session):
    g = _g(gas, db_session)
    day = _day(client, g)
    door = geo.wgs84_to_gcj02(*HERE)  # what wx.getLocation gives at the premises' door: ~600 m off in WGS-84
    assert geo.distance_m(*HERE, *door) > 400
    sent = visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE))
    sent["checkin"] = {"lat": door[0], "lon": door[1], "accuracy_m": 8}  # no coord_system: gcj02 by default
    answer = _sync(client, g["t"]["ins1"], sent)[0]
    assert answer["status"] == "accepted", answer
    stored = db_session.get(GasVisit, answer["visit_id"])
    assert stored.distance_m < 1 and stored.coord_system_in == "gcj02"
    assert geo.distance_m(*HERE, stored.lat, stored.lon) < 0.05

    explicit = visit(day["C0002"], "passed", passing([i.code for i in checklist.applicable("v1", "catering", "lpg")]),
                     at=(HERE[0] + 0.0009, HERE[1]))
    explicit["checkin"] = {"lat": HERE[0] + 0.0009, "lon": HERE[1], "coord_system": "wgs84"}
    assert _sync(client, g["t"]["ins1"], explicit)[0]["status"] == "accepted"
    wrong = visit(day["N0004"], "refused")
    wrong["checkin"]["coord_system"] = "bd11"
    refused = _sync(client, g["t"]["ins1"], wrong)[0]
    assert refused["error"]["code"] == "VALIDATION_ERROR" and "checkin" in refused["error"]["details"]["fields"]


def test_the_day_list_starts_where_the_phone_says_and_says_the_datum_of_every_point(client, gas, db_session):
    g = _g(gas, db_session)
    _day(client, g)
    at_restaurant = geo.wgs84_to_gcj02(HERE[0] + 0.0009, HERE[1])  # GCJ-02, as the phone gives it
    tasks = client.get(f"/gas/field/tasks?lat={at_restaurant[0]}&lon={at_restaurant[1]}",
                       headers=g["t"]["ins1"]).json
    assert [t["number"] for t in tasks] == ["C0002", "R0001", "N0004"]
    first = tasks[0]
    assert first["location"]["wgs84"] == {"lat": first["lat"], "lon": first["lon"]}
    assert geo.distance_m(*at_restaurant, first["location"]["gcj02"]["lat"], first["location"]["gcj02"]["lon"]) < 1
    assert tasks[-1]["location"] is None  # no point on the register


def test_imports_take_the_datum_of_their_points_and_store_wgs84(client, gas, db_session):
    g = _g(gas, db_session)
    street = g["street"]
    spot = (HERE[0] + 0.0027, HERE[1])  # a new shop, about 300 m north
    bd = geo.gcj02_to_bd09(*geo.wgs84_to_gcj02(*spot))
    import_premises("code,kind,address,lat,lon,coord_system,street_code\n"
                    f"G-0005,business,云城东路13号,{bd[0]},{bd[1]},bd09,{street}\n", Actor.system())
    place = db_session.scalar(sa.select(Premises).where(Premises.code == "G-0005"))
    assert geo.distance_m(*spot, place.lat, place.lon) < 0.1 and place.grid_code == grids.codes_of(*spot).grid_code

    meter = geo.wgs84_to_gcj02(HERE[0] + 0.0018, HERE[1] + 0.0003)  # the gas company's GIS point, GCJ-02
    users.import_users("number,premises_code,user_type,supply,supplier,contact_name,phone,lat,lon,coord_system\n"
                       f"R0005,G-0005,residential,pipeline,广州燃气集团,郑五,13800000005,{meter[0]},{meter[1]},"
                       "gcj02\n", Actor.system(), today())
    user = db_session.scalar(sa.select(GasUser).where(GasUser.number == "R0005"))
    assert geo.distance_m(HERE[0] + 0.0018, HERE[1] + 0.0003, user.lat, user.lon) < 0.05
    assert users.point(user, place) == (user.lat, user.lon)  # the gas user's own point wins over the premises'

    for row, problem in ((f"G-0006,household,x,23.2,113.3,itrf,{street}", "coord_system"),  # an unknown datum
                         (f"G-0006,household,x,23.2,,wgs84,{street}", "both")):  # half a point
        with pytest.raises(ImportRejected) as refused:
            import_premises(f"code,kind,address,lat,lon,coord_system,street_code\n{row}\n", Actor.system())
        assert problem in refused.value.details["errors"][0]["problem"]


def test_the_gas_user_imports_problems_are_translated_with_their_values_kept(app, gas, db_session):
    from api import i18n
    from api.errors import error_body

    supplier = "燃" * 65
    with pytest.raises(errors.ImportRejected) as refused:
        users.import_users("number,premises_code,user_type,supply,supplier,contact_name,phone,appliances\n"
                           "R0007,G-0001,residential,coal,广州燃气集团,郑七,13800000007,\n"
                           f"R0008,G-0001,residential,pipeline,{supplier},郑八,13800000008,\n"
                           "R0009,G-0001,residential,pipeline,广州燃气集团,郑九,13800000009,fridge::no\n",
                           Actor.system(), today())
    assert [(e["line"], e["problem"]) for e in error_body(refused.value)["details"]["errors"]] == [
        (2, "supply 须为以下值之一：pipeline, lpg"), (3, "supplier 超过 64 个字符"),
        (4, "燃气具类型须为以下值之一：stove, water_heater, wall_boiler, oven, other")]
    with i18n.force_locale("en"):
        assert [e["problem"] for e in error_body(refused.value)["details"]["errors"]] == [
            "supply must be one of pipeline, lpg", "supplier is longer than 64 characters",
            "appliance kind must be one of stove, water_heater, wall_boiler, oven, other"]


def test_a_street_supervisor_plans_only_their_own_street(client, gas, db_session):
    g = _g(gas, db_session)
    other = next(s.code for s in organisation.streets() if s.code != g["street"])
    elsewhere = staff_token(StaffFactory(roles=("gas_supervisor",), scope_division_code=other))
    db_session.commit()
    answer = client.post("/gas/plans", json={"horizon_days": 0}, headers=elsewhere)
    assert answer.status_code == 200 and answer.json == {"planned": 0, "assigned": {}}
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GasTask)) == 0  # nothing in our street
    named = client.post("/gas/plans", json={"horizon_days": 0, "street_code": g["street"]}, headers=elsewhere)
    assert named.status_code == 403 and named.json["error"]["code"] == "OUT_OF_SCOPE"
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GasTask)) == 0
    # the district-wide supervisor plans the street named (or all); the street's own supervisor plans theirs
    assert client.post("/gas/plans", json={"horizon_days": 0, "street_code": other},
                       headers=g["t"]["chief"]).json["planned"] == 0
    assert client.post("/gas/plans", json={"horizon_days": 0}, headers=g["t"]["boss"]).json["planned"] == 3
    task = db_session.scalars(sa.select(GasTask)).first()
    moved = client.post(f"/gas/tasks/{task.id}/reassign", json={"inspector_id": g["staff"]["ins1"].id,
                                                                 "reason": "越权改派"}, headers=elsewhere)
    assert moved.status_code == 404 and client.get("/gas/tasks", headers=elsewhere).json == []


def test_a_visit_dated_before_1970_or_before_its_task_is_rejected_and_spoils_nothing(client, gas, db_session):
    g = _g(gas, db_session)
    day = _day(client, g)
    token, task_id = g["t"]["ins1"], day["N0004"]["task_id"]
    for n in range(2):
        assert _sync(client, token, visit(day["N0004"], "nobody_home", minutes_ago=200 - n * 60))[0][
            "status"] == "accepted"
    in_1900 = visit(day["N0004"], "nobody_home", started_at="1900-01-01T09:00:00+08:00",
                    finished_at="1900-01-01T09:10:00+08:00")
    year_one = visit(day["N0004"], "nobody_home", started_at="0001-01-01T00:00:00+14:00",
                     finished_at="0001-01-01T00:05:00+14:00")
    planned = db_session.get(GasTask, task_id).created_at
    last_week = visit(day["N0004"], "nobody_home", started_at=(planned - timedelta(days=7)).isoformat(),
                      finished_at=(planned - timedelta(days=7, minutes=-5)).isoformat())
    ahead = datetime.now(UTC) + timedelta(hours=2)
    tomorrow = visit(day["N0004"], "nobody_home", started_at=ahead.isoformat(),
                     finished_at=(ahead + timedelta(minutes=5)).isoformat())
    good = visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE))
    answers = _sync(client, token, in_1900, year_one, last_week, tomorrow, good)
    assert [a["status"] for a in answers] == ["rejected", "rejected", "rejected", "rejected", "accepted"]
    assert [a["error"]["code"] for a in answers[:4]] == ["VALIDATION_ERROR", "VALIDATION_ERROR",
                                                         "GAS_VISIT_BEFORE_TASK", "VALIDATION_ERROR"]
    assert "1970" in str(answers[0]["error"]["details"]) and "1970" in str(answers[1]["error"]["details"])
    task = db_session.get(GasTask, task_id)
    assert (task.status, task.misses, task.inspector_id) == ("assigned", 2, g["staff"]["ins1"].id)  # still theirs
    assert db_session.scalar(sa.select(sa.func.count()).select_from(GasVisit).where(GasVisit.task_id == task_id)) == 2


def test_a_visit_breaking_the_apis_input_rules_is_rejected_alone_not_its_batch(client, gas, db_session):
    g = _g(gas, db_session)
    day = _day(client, g)
    nul = visit(day["N0004"], "nobody_home", note="门口无人\x00")
    huge = visit(day["N0004"], "nobody_home")
    huge["task_id"] = 2**70
    good = visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE))
    answers = _sync(client, g["t"]["ins1"], nul, huge, good)
    assert [a["status"] for a in answers] == ["rejected", "rejected", "accepted"]
    assert [a["error"]["code"] for a in answers[:2]] == ["VALIDATION_ERROR", "VALIDATION_ERROR"]
    assert "note" in answers[0]["error"]["details"]["fields"] and "task_id" in answers[1]["error"]["details"]["fields"]


def test_the_inspectors_on_site_measures_are_recorded_with_the_visit(client, gas, db_session):
    g = _g(gas, db_session)
    day = _day(client, g)
    sent = visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE), measures=["shut_valve", "ventilate"])
    answer = _sync(client, g["t"]["ins1"], sent)[0]
    assert answer["status"] == "accepted" and answer["measures"] == ["shut_valve", "ventilate"]
    assert db_session.get(GasVisit, answer["visit_id"]).measures == ["shut_valve", "ventilate"]
    assert _sync(client, g["t"]["ins1"], sent)[0]["measures"] == ["shut_valve", "ventilate"]  # the duplicate says so
    record = client.get(f"/gas/visits/{answer['visit_id']}/record", headers=g["t"]["ins1"])
    assert "现场处置措施：关阀、通风" in PdfReader(io.BytesIO(record.data)).pages[0].extract_text()
    none = _sync(client, g["t"]["ins1"], visit(day["N0004"], "nobody_home"))[0]
    assert db_session.get(GasVisit, none["visit_id"]).measures == []
    for measures in (["turn_off_the_lights"], ["evacuate", "evacuate"]):
        refused = _sync(client, g["t"]["ins1"], visit(day["C0002"], "refused", measures=measures))[0]
        assert refused["status"] == "rejected" and "measures" in refused["error"]["details"]["fields"]


def test_a_rejected_visits_error_speaks_the_requests_language_like_every_error(client, gas, db_session):
    """A batch's per-visit errors go through the error envelope: Chinese by default, English when asked; codes, field
    names and values as they are."""
    g = _g(gas, db_session)
    day = _day(client, g)
    stranger = visit(day["R0001"], "passed", passing(RESIDENTIAL_PIPELINE))
    stranger["task_id"] = 2**40  # nobody's task
    bad = visit(day["N0004"], "nobody_home")
    bad["task_version"] = "one"
    chinese = _sync(client, g["t"]["ins1"], stranger, bad)
    assert [a["error"]["code"] for a in chinese] == ["GAS_TASK_NOT_FOUND", "VALIDATION_ERROR"]
    assert chinese[0]["error"] == {"code": "GAS_TASK_NOT_FOUND", "message": "未找到您的该项任务。", "details": {}}
    assert chinese[1]["error"]["message"] == "安检记录有误，请核对后重新提交。"
    assert chinese[1]["error"]["details"] == {"fields": {"task_version": ["不是有效的整数。"]}}
    answer = client.post("/gas/field/visits", json={"visits": [stranger, bad]},
                         headers={**g["t"]["ins1"], "Accept-Language": "en"})
    english = answer.json["results"]
    assert answer.headers["Content-Language"] == "en"
    assert english[0]["error"] == {"code": "GAS_TASK_NOT_FOUND", "message": "No such task of yours.", "details": {}}
    assert english[1]["error"] == {"code": "VALIDATION_ERROR", "message": "The visit is not valid; see details.",
                                   "details": {"fields": {"task_version": ["Not a valid integer."]}}}
