"""make run's demo data walks every path: staff for every department, a demo citizen who accepted messages, and
work waiting on every desk."""

import dataclasses
from collections import Counter

import pytest
import sqlalchemy as sa

from api.config import init_config
from api.identity.models import User
from api.notifications.models import Subscription
from api.organisation import queries as organisation
from api.roles import Role
from api.routing import service as routing
from api.seed import DEMO_CITIZEN_OPENID, seed_demo
from api.taxonomy import service as taxonomy
from tests.support import run_worker, staff_token


def test_every_dispatchable_department_has_a_head_and_a_handler(db_session, config):
    seed_demo("demo-password-1")
    staff = list(db_session.scalars(sa.select(User).where(User.kind == "staff", User.is_active)))
    by_department = {}
    for user in staff:
        by_department.setdefault(user.scope_department_id, set()).update(user.roles)
    streets = [s.code for s in organisation.streets()]
    reachable = {routing.responsible(c.code, street).department.id for c in taxonomy.list_current()
                 for street in streets}
    assert reachable and all({Role.DEPT_HEAD, Role.DEPT_HANDLER} <= by_department.get(d, set()) for d in reachable)
    assert seed_demo("demo-password-1") == []  # idempotent


def test_the_demo_citizen_has_accepted_progress_messages(db_session, config):
    seed_demo("demo-password-1")
    citizen = db_session.scalar(sa.select(User).where(User.openid == DEMO_CITIZEN_OPENID))
    subscription = db_session.get(Subscription, (citizen.id, config.TEMPLATE_REPORT_PROGRESS))
    assert citizen.kind == "citizen" and subscription.remaining >= 10


def test_the_demo_gas_inspector_has_a_day_to_walk_and_the_demo_citizen_a_gas_user(db_session, config):
    from api.gas.models import GasBinding, GasTask, GasUser

    seed_demo("demo-password-1")
    inspector = db_session.scalar(sa.select(User).where(User.username == "gas_inspector"))
    assigned = db_session.scalars(sa.select(GasTask).where(GasTask.inspector_id == inspector.id)).all()
    assert {t.status for t in assigned} == {"assigned"} and len(assigned) == 3  # GU0001 due soon, GU0002/3 never
    citizen = db_session.scalar(sa.select(User).where(User.openid == DEMO_CITIZEN_OPENID))
    bound = db_session.scalar(sa.select(GasUser.number).join(GasBinding, GasBinding.gas_user_id == GasUser.id)
                              .where(GasBinding.user_id == citizen.id))
    assert bound == "GU0001"


def test_sanyuanli_demo_places_lie_in_sanyuanli_so_its_own_staff_may_act_on_them(db_session, config):
    from api.devices.models import Device
    from api.gas.models import GasUser
    from api.organisation import grids
    from api.premises.models import Premises
    from api.seed import SANYUANLI, seed_demo_devices

    seed_demo("demo-password-1")
    seed_demo_devices()
    places = db_session.scalars(sa.select(Premises).where(Premises.code.like("DEMO-MP-%"))).all()
    assert len(places) == 3
    for place in places:  # a case opened at the premises (a hazard, a report at the door) is 三元里's
        assert place.street_code == SANYUANLI and grids.codes_of(place.lat, place.lon).street_code == SANYUANLI
        assert place.grid_code.startswith(SANYUANLI[:9])
    gas_grids = db_session.scalars(sa.select(GasUser.grid_code).where(GasUser.number.like("GU%"))).all()
    assert len(gas_grids) == 3 and all(code.startswith(SANYUANLI[:9]) for code in gas_grids)
    camera = db_session.scalar(sa.select(Device).where(Device.code == "DEMO-CAM-1"))  # 演示摄像头·三元里大道
    assert grids.codes_of(camera.lat, camera.lon).street_code == SANYUANLI


def test_the_demo_citizen_is_told_of_a_visit_ahead_not_one_long_past(db_session, config):
    from datetime import timedelta

    from api.gas import residents
    from api.gas.models import GasBinding, GasTask
    from api.notifications.models import Notification
    from api.timefmt import today

    seed_demo("demo-password-1")
    citizen = db_session.scalar(sa.select(User).where(User.openid == DEMO_CITIZEN_OPENID))
    mine = db_session.scalars(sa.select(GasTask).join(GasBinding, GasBinding.gas_user_id == GasTask.gas_user_id)
                              .where(GasBinding.user_id == citizen.id)).all()
    assert len(mine) == 1 and today() < mine[0].due_on <= today() + timedelta(days=config.GAS_LOOKAHEAD_DAYS)
    for days in range(config.GAS_LOOKAHEAD_DAYS + 1):  # the clock's notices over the coming week
        residents.notices(today() + timedelta(days=days))
    told = db_session.scalars(sa.select(Notification).where(
        Notification.user_id == citizen.id, Notification.template_id == config.TEMPLATE_GAS_VISIT)).all()
    day = mine[0].due_on
    assert len(told) == 1 and f"{day.year}年{day.month}月{day.day}日" in str(told[0].data)


@pytest.fixture
def seeded(config, committed):
    """What `make run` does before its workers start: the demo seeded and committed, with the automatic intake on
    (the suite's default is off) and the office's settings as given."""
    from api.db import unit_of_work
    from api.seed_cases import seed_demo_cases

    def seed(**settings):
        init_config(dataclasses.replace(config, AUTO_DISPATCH=True, **settings))
        with unit_of_work():
            seed_demo("demo-password-1")
            assert seed_demo_cases() == 15
        return committed
    return seed


@pytest.mark.parametrize("close_approval", [False, True])
def test_every_desk_has_demo_work_for_its_accounts_after_the_workers_ran(client, seeded, close_approval):
    from api.cases.models import Case, CaseReport, Rating
    from api.cases.queries import DESKS
    from api.events.models import Event
    from api.media.models import Media
    from api.organisation import grids
    from api.seed import SANYUANLI
    from api.seed_cases import DEMO_DESKS

    session = seeded(CLOSE_APPROVAL=close_approval)
    run_worker()  # what the workers do first: the automatic intake, content checks, photo copies, messages
    session.remove()
    assert set(DESKS) <= set(DEMO_DESKS), "a new desk needs demo work (api/seed_cases.py) and the accounts that see it"
    for desk, usernames in DEMO_DESKS.items():
        for username in usernames:
            user = session.scalar(sa.select(User).where(User.username == username))
            page = client.get("/cases", query_string={"desk": desk}, headers=staff_token(user)).json
            if desk == "close_approval" and not close_approval:  # no approval asked: a passed 核查 closes
                assert page["total"] == 0
            else:
                assert page["total"] > 0, f"{username} finds the {desk} desk empty"
    clerk = session.scalar(sa.select(User).where(User.username == "sanyuanli_clerk"))
    triage = client.get("/cases?desk=triage", headers=staff_token(clerk)).json["items"]
    assert len(triage) == 3 and all(item["triage_reason"].startswith("low_confidence") for item in triage)

    cases = session.scalars(sa.select(Case)).all()
    ended = {"closed": 2, "awaiting_close": 1} if close_approval else {"closed": 3}
    assert Counter(c.status for c in cases) == {"pending": 4, "verifying": 1, "awaiting_dispatch": 2, "dispatched": 2,
                                                "in_progress": 1, "awaiting_check": 1, "deferred": 1, **ended}
    assert len(session.scalars(sa.select(Rating)).all()) == 2
    for case in cases:  # in 三元里's grid, each status reached through the event log, a photo unless by phone
        assert case.street_code == SANYUANLI and grids.codes_of(case.lat, case.lon).street_code == SANYUANLI
        last = session.scalar(sa.select(Event.to_state).where(
            Event.subject_type == "case", Event.subject_id == case.id, Event.to_state.is_not(None))
            .order_by(Event.id.desc()))
        assert last == case.status
        reports = sa.select(CaseReport.report_id).where(CaseReport.case_id == case.id)
        photos = session.scalar(sa.select(sa.func.count()).select_from(Media).where(sa.or_(
            sa.and_(Media.owner_type == "report", Media.owner_id.in_(reports)),
            sa.and_(Media.owner_type == "case", Media.owner_id == case.id))))
        assert photos >= (0 if case.source == "hotline" else 1)


def test_seeding_the_demo_again_changes_nothing(seeded):
    from api.db import Base, unit_of_work
    from api.seed_cases import seed_demo_cases

    session = seeded()

    def rows() -> dict[str, int]:
        session.remove()
        return {t.name: session.scalar(sa.select(sa.func.count()).select_from(t)) for t in Base.metadata.sorted_tables}

    before = rows()
    with unit_of_work():
        assert seed_demo("demo-password-1") == [] and seed_demo_cases() == 0
    assert rows() == before
