"""make run's demo data walks every path: staff for every department, a demo citizen who accepted messages."""

import sqlalchemy as sa

from api.identity.models import User
from api.notifications.models import Subscription
from api.organisation import queries as organisation
from api.roles import Role
from api.routing import service as routing
from api.seed import DEMO_CITIZEN_OPENID, seed_demo
from api.taxonomy import service as taxonomy


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
