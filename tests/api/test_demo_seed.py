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
    assert {t.status for t in assigned} == {"assigned"} and len(assigned) == 3  # GU0001 overdue, GU0002/3 never
    citizen = db_session.scalar(sa.select(User).where(User.openid == DEMO_CITIZEN_OPENID))
    bound = db_session.scalar(sa.select(GasUser.number).join(GasBinding, GasBinding.gas_user_id == GasUser.id)
                              .where(GasBinding.user_id == citizen.id))
    assert bound == "GU0001"
