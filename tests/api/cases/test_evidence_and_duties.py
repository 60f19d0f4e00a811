"""Evidence on the case (photos with links, kind, round and uploader), assignees that always exist, who hears of a
new case, separation of duties (only the holding department gives results), illegal steps named as such."""


import sqlalchemy as sa

from api.cases.models import Case
from api.events.models import Event
from api.notifications.models import StaffNotice
from tests.api.cases.conftest import act, after_photo, new_case, to_check
from tests.factories.identity import StaffFactory
from tests.support import staff_token


def test_the_case_detail_carries_every_photo_with_links_kind_round_and_uploader(client, world, db_session):
    t = world["t"]
    _, case_id = to_check(client, t)
    assert after_photo(client, t["supervisor"], case_id, kind="verification_photo").status_code == 201
    detail = client.get(f"/cases/{case_id}", headers=t["command"]).json
    kinds = [(p["kind"], p["round"], p["uploader_type"]) for p in detail["photos"]]
    assert kinds == [("report_photo", 0, "citizen"), ("after_photo", 1, "staff"), ("verification_photo", 1, "staff")]
    assert all(set(p["urls"]) == {"original", "display", "thumb"} and "sig=" in p["urls"]["thumb"]
               for p in detail["photos"])
    assert detail["photos"][1]["uploader_name"] and detail["photos"][0]["uploader_name"] is None
    assert detail["department_name"] == "区环卫所" and detail["handler_name"] and detail["category_name"]
    assert detail["street_name"] and detail["grid_name"] is not None and detail["community_name"]
    assert detail["work_orders"][0]["department_name"] == "区环卫所"
    row = client.get("/cases?desk=verification", headers=t["command"]).json["items"][0]
    assert row["photo_count"] == 3 and "sig=" in row["thumbnail_url"] and row["location"]["gcj02"]


def test_a_check_task_falls_back_to_the_district_supervisors_then_the_command_centre(client, world, db_session):
    t = world["t"]
    _, case_id = to_check(client, t)
    events = db_session.scalars(sa.select(Event).where(Event.subject_id == case_id,
                                                       Event.action == "check_assigned")).all()
    assert events[-1].payload["assignee_id"] == world["staff"]["supervisor"].id
    assert events[-1].payload["basis"] == "district_scope"
    db_session.get(type(world["staff"]["supervisor"]), world["staff"]["supervisor"].id).is_active = False
    db_session.commit()
    _, lonely = to_check(client, t)
    assigned = db_session.scalars(sa.select(Event).where(Event.subject_id == lonely,
                                                         Event.action == "check_assigned")).all()[-1]
    assert assigned.payload == {"assignee_id": None, "basis": "command_centre", "distance_m": None}
    notice = db_session.scalar(sa.select(StaffNotice).where(StaffNotice.subject_id == lonely,
                                                            StaffNotice.kind == "check_task"))
    assert notice.user_id == world["staff"]["command"].id and notice.flagged is True


def test_intake_clerks_in_scope_hear_of_each_new_case(client, world, db_session):
    t = world["t"]
    _, case_id = new_case(client, t)
    street = db_session.get(Case, case_id).street_code
    other = "440111004000" if street != "440111004000" else "440111002000"
    own_clerk = StaffFactory(roles=("intake_clerk",), scope_division_code=street)
    street_clerk = StaffFactory(roles=("intake_clerk",), scope_division_code=other)
    db_session.commit()
    _, case_id = new_case(client, t)
    notices = db_session.scalars(sa.select(StaffNotice).where(StaffNotice.subject_id == case_id,
                                                              StaffNotice.kind == "new_case")).all()
    assert sorted(n.user_id for n in notices) == sorted([world["staff"]["clerk"].id, own_clerk.id])
    assert street_clerk.id not in [n.user_id for n in notices]


def test_only_the_holding_department_gives_after_photos_and_results(client, world, db_session):
    t = world["t"]
    _, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    district_head = staff_token(StaffFactory(roles=("dept_head", "supervisor")))  # district-wide
    assert after_photo(client, district_head, case_id).json["error"]["code"] == "OUT_OF_SCOPE"
    assert after_photo(client, t["other_handler"], case_id).status_code == 403
    act(client, t["head"], case_id, "receive", {"handler_id": world["staff"]["handler"].id})
    colleague = staff_token(StaffFactory(roles=("dept_handler",),
                                         scope_department_id=world["staff"]["handler"].scope_department_id))
    assert after_photo(client, colleague, case_id).json["error"]["code"] == "OUT_OF_SCOPE"  # not assigned to them
    assert after_photo(client, t["head"], case_id).status_code == 201  # the department's head may
    # a handler may not give verification photos; a supervisor may not before the 核查
    assert after_photo(client, t["handler"], case_id, kind="verification_photo").status_code == 403
    assert after_photo(client, t["supervisor"], case_id, kind="verification_photo").json["error"]["code"] == \
        "ILLEGAL_TRANSITION"


def test_a_result_before_receive_is_an_illegal_transition_not_a_missing_photo(client, world, db_session):
    t = world["t"]
    _, case_id = new_case(client, t)
    act(client, t["clerk"], case_id, "accept")
    act(client, t["dispatcher"], case_id, "dispatch")
    early = act(client, t["head"], case_id, "result", {"result_text": "已处理"})
    assert early.status_code == 409 and early.json["error"]["code"] == "ILLEGAL_TRANSITION"
    assert early.json["error"]["details"] == {"status": "dispatched", "action": "submit_result"}
    act(client, t["head"], case_id, "receive", {"handler_id": world["staff"]["handler"].id})
    missing = act(client, t["handler"], case_id, "result", {"result_text": "已处理"})  # received, still no photo
    assert missing.json["error"]["code"] == "AFTER_PHOTO_REQUIRED"
