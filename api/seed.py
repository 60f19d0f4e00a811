"""Demo data for `make run`: calendar, official divisions, flagged demo communities and grid, departments, staff."""

from __future__ import annotations

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from api.calendar import service as calendar
from api.config import get_config
from api.db import Session
from api.identity import service as identity
from api.identity.models import User
from api.organisation import grids
from api.organisation import queries as organisation
from api.organisation import service as org_service
from api.organisation.models import UnitGrid
from api.roles import Role
from api.routing import service as routing
from api.taxonomy import service as taxonomy

SANYUANLI = "440111002000"

# username → (roles, display name, street scope, department code)
DEMO_STAFF = {
    "admin": ({Role.ADMIN}, "系统管理员", None, None),
    "clerk": ({Role.INTAKE_CLERK}, "受理员（区）", None, None),
    "dispatcher": ({Role.DISPATCHER}, "派遣员", None, None),
    "command": ({Role.COMMAND_CENTRE}, "指挥中心", None, None),
    "shift_lead": ({Role.SHIFT_LEAD}, "值班长", None, None),  # approves 结案 when CLOSE_APPROVAL is on
    "sanyuanli_clerk": ({Role.INTAKE_CLERK}, "三元里街受理员", SANYUANLI, None),
    "supervisor": ({Role.SUPERVISOR}, "监督员（区）", None, None),
    "sanyuanli_supervisor": ({Role.SUPERVISOR}, "监督员（三元里）", SANYUANLI, None),
    "handler": ({Role.DEPT_HANDLER}, "环卫处置员", None, "sanitation"),
    "dept_head": ({Role.DEPT_HEAD}, "环卫所负责人", None, "sanitation"),
    "billing": ({Role.BILLING_CLERK}, "收费员（区）", None, None),
    "sanyuanli_billing": ({Role.BILLING_CLERK}, "三元里街收费员", SANYUANLI, None),
    "billing_head": ({Role.BILLING_HEAD}, "收费负责人", None, None),
    "gas_inspector": ({Role.GAS_INSPECTOR}, "燃气安检员（三元里）", SANYUANLI, None),
    "sanyuanli_gas_supervisor": ({Role.GAS_SUPERVISOR}, "安检主管（三元里）", SANYUANLI, None),
    "gas_supervisor": ({Role.GAS_SUPERVISOR}, "安检主管（区）", None, None),
}


DEMO_CITIZEN_OPENID = "demo-citizen"
DEMO_SUBSCRIPTIONS = 50  # progress messages the demo citizen has accepted (wx.requestSubscribeMessage)


def seed_demo(password: str) -> list[str]:
    """Idempotent: load divisions and demo organisation, create missing demo staff (the named ones, and a head and a
    handler for every department a case can be dispatched to), and the demo citizen with accepted subscribe
    messages; returns usernames created."""
    calendar.load_shipped()
    org_service.load_divisions()
    org_service.load_demo_organisation()
    taxonomy.load_national()
    routing.load_demo_rules()
    if not Session.scalar(sa.select(sa.func.count()).select_from(UnitGrid)):
        streets = [s.code for s in organisation.streets()]
        grids.import_geojson(grids.demo_grid(get_config().DISTRICT_BBOX, streets), demo=True)
    password_hash = generate_password_hash(password)  # hashed once: dozens of accounts share the demo password
    created = []
    for username, (roles, name, street, dept_code) in {**DEMO_STAFF, **_department_staff()}.items():
        if Session.scalar(sa.select(User.id).where(User.username == username)):
            continue
        department = organisation.get_department_by_code(dept_code) if dept_code else None
        identity.create_staff(username, password, roles, display_name=name, scope_division_code=street,
                              scope_department_id=department.id if department else None,
                              password_hash=password_hash)
        created.append(username)
    _seed_demo_citizen()
    _seed_demo_fees()
    _seed_demo_gas()
    Session.flush()
    return created


def _department_staff() -> dict[str, tuple]:
    """A head and a handler for every department (district departments and every street's office: the 权责清单
    and 属地兜底 can dispatch to each), so any 小类 can be carried to closure without creating accounts."""
    accounts = {}
    for department in organisation.departments():
        accounts[f"{department.code}_head"] = ({Role.DEPT_HEAD}, f"{department.name}负责人", None, department.code)
        accounts[f"{department.code}_handler"] = ({Role.DEPT_HANDLER}, f"{department.name}处置员", None,
                                                  department.code)
    return accounts


def _seed_demo_citizen() -> None:
    """The demo citizen exists and has accepted progress messages (the simulator is granted the same quota by
    the dev server), so every notification of the demo journey is delivered."""
    from api.notifications.models import Subscription

    user = Session.scalar(sa.select(User).where(User.openid == DEMO_CITIZEN_OPENID))
    if user is None:
        user = User(kind="citizen", openid=DEMO_CITIZEN_OPENID, display_name="演示市民")
        Session.add(user)
        Session.flush()
    for template in (get_config().TEMPLATE_REPORT_PROGRESS, get_config().TEMPLATE_BILL_REMINDER,
                     get_config().TEMPLATE_GAS_VISIT):
        subscription = Session.get(Subscription, (user.id, template))
        if subscription is None:
            Session.add(Subscription(user_id=user.id, template_id=template, remaining=DEMO_SUBSCRIPTIONS))
        elif subscription.remaining < DEMO_SUBSCRIPTIONS:
            subscription.remaining = DEMO_SUBSCRIPTIONS


DEMO_PREMISES = """code,kind,address,community,lat,lon,occupants,street_code
DEMO-MP-0001,household,演示·三元里大道1号101房,三元里社区,{p[0][0]},{p[0][1]},3,{street}
DEMO-MP-0002,household,演示·三元里大道1号102房,三元里社区,{p[1][0]},{p[1][1]},5,{street}
DEMO-MP-0003,business,演示·三元里大道3号首层商铺,三元里社区,{p[2][0]},{p[2][1]},0,{street}
"""


def demo_point(street_code: str = SANYUANLI, metres_east: float = 0.0, metres_north: float = 0.0
               ) -> tuple[float, float]:
    """A WGS-84 point inside the street's first unit grid (the demo grid places streets synthetically, so a real
    address's coordinates would lie in another street's grid — and out of that street's staff's scope)."""
    from shapely.geometry import shape

    grid = Session.scalar(sa.select(UnitGrid).where(UnitGrid.street_code == street_code).order_by(UnitGrid.code)
                          .limit(1))
    if grid is None:
        raise LookupError(f"no unit grid in street {street_code}")
    inside = shape(grid.geometry).representative_point()
    return (round(inside.y + metres_north / 110_700, 7),  # ~110.7 km a degree of latitude
            round(inside.x + metres_east / 102_000, 7))  # ~102 km a degree of longitude here
# D0001 is bound to the demo citizen; bind D0002 in the mini-program with the check 李四 (or phone …5678).
DEMO_ACCOUNTS = """number,premises_code,payer_kind,payer_name,phone,basis,units
D0001,DEMO-MP-0001,resident,张三,13800001234,household_month,1
D0002,DEMO-MP-0002,temporary,李四,13900005678,person_month,3
D0003,DEMO-MP-0003,individual_business,王五商行,13700009012,bin,4
"""


def _seed_demo_fees() -> None:
    """Fee items and the 2017 standards; three demo premises and accounts in 三元里, the first bound to the demo
    citizen; last month's and this month's bills (last month's is overdue once its due date passes)."""
    from datetime import timedelta

    from api import timefmt
    from api.events.service import Actor
    from api.fees.billing import accounts, billrun, standards
    from api.fees.models import AccountBinding, FeeAccount
    from api.premises.service import import_premises

    standards.seed_reference()
    if Session.scalar(sa.select(FeeAccount.id).where(FeeAccount.number == "D0001")) is not None:
        return
    points = [demo_point(SANYUANLI, metres) for metres in (0, 12, 40)]  # two doors, and the shop down the road
    import_premises(DEMO_PREMISES.format(p=points, street=SANYUANLI), Actor.system())
    accounts.import_accounts(DEMO_ACCOUNTS, Actor.system())
    citizen = Session.scalar(sa.select(User).where(User.openid == DEMO_CITIZEN_OPENID))
    account = Session.scalar(sa.select(FeeAccount).where(FeeAccount.number == "D0001"))
    Session.add(AccountBinding(account_id=account.id, user_id=citizen.id))
    this_month = timefmt.today().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    for period in (last_month, this_month):
        billrun.run(period, Actor.system(), units=_same_unit)


class _same_unit:  # noqa: N801 - the seed is one unit of work: the bill run's batches join it
    def __enter__(self):
        return Session()

    def __exit__(self, *exc) -> bool:
        return False


# GU0001 is bound to the demo citizen and due in a few days (its notice tells of a visit ahead, not one long past);
# GU0002 and GU0003 (a restaurant on LPG, due every month) were never inspected: due today.
DEMO_GAS_USERS = """number,meter_no,premises_code,user_type,supply,supplier,contact_name,phone,last_inspected_on,\
appliances
GU0001,GM0001,DEMO-MP-0001,residential,pipeline,广州燃气集团,张三,13800001234,{last},stove:2018-06-01:yes;\
water_heater:2016-03-01:no
GU0002,GM0002,DEMO-MP-0002,residential,pipeline,广州燃气集团,李四,13900005678,,stove::yes
GU0003,,DEMO-MP-0003,catering,lpg,白云区液化气供应站,王五,13700009012,,stove::no
"""


DEMO_GAS_VISIT_IN_DAYS = 5  # within GAS_LOOKAHEAD_DAYS: on the inspector's day list, and the citizen is told first


def _seed_demo_gas() -> None:
    """Three demo gas users on the demo premises (one bound to the demo citizen), planned and assigned to the
    demo inspector of 三元里, so the field app, a hazard's case and the badge check can be walked at once."""
    from datetime import timedelta

    from api import timefmt
    from api.events.service import Actor
    from api.gas import planning, users
    from api.gas.models import GasBinding, GasUser

    if Session.scalar(sa.select(GasUser.id).where(GasUser.number == "GU0001")) is not None:
        return
    today = timefmt.today()
    last = users.add_months(today + timedelta(days=DEMO_GAS_VISIT_IN_DAYS), -users.cycles()["residential"])
    users.import_users(DEMO_GAS_USERS.format(last=last.isoformat()), Actor.system(), today)
    citizen = Session.scalar(sa.select(User).where(User.openid == DEMO_CITIZEN_OPENID))
    gas_user = Session.scalar(sa.select(GasUser).where(GasUser.number == "GU0001"))
    Session.add(GasBinding(gas_user_id=gas_user.id, user_id=citizen.id))
    planning.plan(today, 30, Actor.system())
    planning.assign(Actor.system(), SANYUANLI)


# Demo devices for `make run` (their secrets go to var/demo-devices.json): names say they are demo devices. A point
# of None: in 三元里's demo grid, by the demo premises (what the camera sees is 三元里's to handle).
DEMO_DEVICES = (
    ("DEMO-CAM-1", "camera", "演示摄像头·三元里大道", ["street_vending", "store_front"], None, None),
    ("DEMO-CAM-2", "camera", "演示哨兵·余泥渣土车卡口", ["muck_truck", "blind_spot"], 23.2010, 113.2950),
    ("DEMO-PM-1", "sensor", "演示PM2.5传感器·工地旁", ["pm25"], 23.1900, 113.3100),
    ("DEMO-ODOUR-1", "sensor", "演示气味传感器·垃圾压缩站", ["odour"], 23.2300, 113.2700),
    ("DEMO-DRONE-1", "drone", "演示无人机巡查", [], 23.2500, 113.3000),
)
DEMO_COMPONENT_CLASSES = (("01", "03", "雨水井盖"), ("01", "02", "污水井盖"), ("01", "18", "路灯"),
                          ("03", "05", "垃圾箱"), ("02", "09", "交通标志牌"))


def seed_demo_devices() -> dict[str, str]:
    """Register the demo devices that are missing; returns {code: secret} for those registered now."""
    from api.devices import queries as devices_queries
    from api.devices import service as devices

    secrets_ = {}
    for code, kind, name, detects, lat, lon in DEMO_DEVICES:
        if lat is None:
            lat, lon = demo_point(SANYUANLI, 25)
        if devices_queries.by_code(code) is None:
            _, secret = devices.register({"code": code, "kind": kind, "name": name, "detects": detects, "lat": lat,
                                          "lon": lon, "expected_interval_s": 3600}, None)
            secrets_[code] = secret
    return secrets_


def seed_demo_components(count: int = 600) -> int:
    """Synthetic components scattered over the district (names start with 演示), once."""
    import random

    from api.assets.models import Component
    from api.assets.service import import_components
    from api.events.service import Actor

    if Session.scalar(sa.select(sa.func.count()).select_from(Component)):
        return 0
    rnd = random.Random(2026)
    min_lon, min_lat, max_lon, max_lat = get_config().DISTRICT_BBOX
    features = []
    for n in range(count):
        major, minor, name = DEMO_COMPONENT_CLASSES[n % len(DEMO_COMPONENT_CLASSES)]
        features.append({"type": "Feature", "properties": {
            "code": f"440111{major}{minor}{900000 + n:06d}", "name": f"演示{name}{n}",
            "state": "damaged" if rnd.random() < 0.04 else "normal"},
            "geometry": {"type": "Point", "coordinates": [rnd.uniform(min_lon + 0.02, max_lon - 0.02),
                                                          rnd.uniform(min_lat + 0.02, max_lat - 0.02)]}})
    return import_components({"type": "FeatureCollection", "features": features}, Actor.system())
