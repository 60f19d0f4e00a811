"""Demo cases for `make run`: work on every desk from the start, made through the services the API calls.

Each case is made as the person who would act makes it (a neighbour reports, the 三元里 clerk accepts, the
dispatcher dispatches, the sanitation handler receives …), so its history is the event log's; seeding again adds
nothing. The automatic intake the workers run afterwards leaves each case where it is.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw

from api.calendar import service as calendar
from api.cases import acceptance, deadlines, handling, sources
from api.cases import queries as case_queries
from api.cases.models import Case
from api.citizen import service as citizen
from api.db import Session, utcnow
from api.events.service import Actor, record
from api.identity import service as identity
from api.identity.models import User
from api.media.models import MediaKind
from api.reports import service as reports
from api.seed import SANYUANLI, demo_point

# Desk → the demo accounts that see work on it (the banner prints this; tests/api/test_demo_seed.py checks it).
DEMO_DESKS = {
    "intake": ("clerk", "sanyuanli_clerk"),
    "triage": ("clerk", "sanyuanli_clerk"),
    "dispatch": ("dispatcher",),
    "department": ("dept_head", "handler"),
    "mine": ("handler",),
    "verification": ("supervisor", "sanyuanli_supervisor"),
    "verifying": ("supervisor", "sanyuanli_supervisor"),  # demo-case-04's 核实, once the automatic intake asked
    "deferred": ("dispatcher",),
    "overdue": ("command", "dispatcher"),
    "closed": ("command", "dispatcher"),
    "close_approval": ("shift_lead",),  # only where the office has the 值班长 approve 结案 (CLOSE_APPROVAL)
}
DEMO_NEIGHBOURS = (("demo-neighbour-1", "街坊陈伯"), ("demo-neighbour-2", "街坊李姨"), ("demo-neighbour-3", "街坊小黄"))
# How far a demo report is carried: what each stage adds to the one before it.
DEMO_STAGES = ("submitted", "accepted", "dispatched", "received", "result", "checked", "closed")


@dataclass(frozen=True)
class DemoReport:
    key: str  # the Idempotency-Key of the neighbour's report: seeding again finds it and adds nothing
    neighbour: int
    text: str
    hint: str | None
    at: tuple[int, int]  # metres east and north of 三元里's demo point (≥ 100 m away: a report there is no duplicate)
    stage: str  # one of DEMO_STAGES, "deferred" (accepted, then 缓办) or "overdue" (dispatched, past its deadline)
    category: str | None = None  # the 小类 the clerk files at 立案
    rating: tuple[int, str] | None = None


DEMO_REPORTS = (
    # words and a hint (其他, or none) the text model cannot place: they wait for a person at intake and triage
    DemoReport("demo-case-01", 0, "这里有情况，请处理一下", "other", (-400, 300), "submitted"),
    DemoReport("demo-case-02", 1, "门口这个问题好久了，麻烦派人来看看", "other", (-250, 300), "submitted"),
    DemoReport("demo-case-03", 2, "楼下这边不太对劲，拍了照片", None, (-100, 300), "submitted"),
    # 私搭乱建 needs an on-site 核实 before 立案: it waits at the intake desk for the supervisor
    DemoReport("demo-case-04", 0, "巷口有人在加建铁皮房", "illegal_construction", (100, 300), "submitted"),
    DemoReport("demo-case-05", 1, "人行道上堆了几袋装修垃圾，一直没人清理", "exposed_garbage", (250, 300), "accepted",
               "event:01-02"),
    DemoReport("demo-case-06", 2, "小区门口垃圾桶满了溢出来，周围很臭", "exposed_garbage", (400, 300), "dispatched",
               "event:01-02"),
    DemoReport("demo-case-07", 0, "绿化带里全是塑料袋和饭盒", "greenery", (-400, -300), "received", "event:01-06"),
    DemoReport("demo-case-08", 1, "路面有一大滩油污，电动车容易打滑", "other", (-250, -300), "result", "event:01-04"),
    DemoReport("demo-case-09", 2, "小区后门有张旧沙发丢在路边", "other", (-100, -300), "deferred", "event:01-08"),
    DemoReport("demo-case-10", 0, "马路上撒了一路泥沙，下雨就成泥浆", "road_spill", (100, -300), "overdue",
               "event:01-12"),
    DemoReport("demo-case-11", 1, "公交站旁边的垃圾堆了两天", "exposed_garbage", (250, -300), "closed", "event:01-02",
               (5, "第二天就清理干净了，谢谢")),
    DemoReport("demo-case-12", 2, "路边树上挂着很多破布条和塑料袋", "other", (400, -300), "closed", "event:01-09",
               (4, "处理了，就是慢了点")),
    # its 核查 passed: closed, or waiting for the 值班长's approval where the office asks for one (CLOSE_APPROVAL)
    DemoReport("demo-case-13", 0, "路口堆着一堆建筑渣土", "exposed_garbage", (250, 600), "checked", "event:01-03"),
)
DEMO_PATROL = ("巡查发现电线杆上贴满非法小广告", "event:02-01", (0, 600))  # a supervisor's: accepted as it opens
DEMO_HOTLINE = ("GZ12345-DEMO-0001", "12345转办：市民来电反映夜间有车辆在路边倾倒垃圾", (0, -600))


def seed_demo_cases() -> int:
    """Idempotent: demo cases on every desk of DEMO_DESKS, in 三元里's demo grid, each with a photo (but the 12345
    call), made through the services (reports by demo neighbours, then 立案, 派遣, 处置, 核查 and ratings by the
    demo staff); the automatic intake the workers run leaves them where they are. Returns the cases opened now."""
    staff = {u.username: u for u in Session.scalars(sa.select(User).where(User.username.in_(
        ("sanyuanli_clerk", "clerk", "dispatcher", "handler", "sanyuanli_supervisor", "shift_lead"))))}
    neighbours = [_demo_neighbour(openid, name) for openid, name in DEMO_NEIGHBOURS]
    opened = sum(_seed_demo_report(n, item, neighbours[item.neighbour], staff) for n, item in enumerate(DEMO_REPORTS))
    return opened + _seed_demo_patrol(staff["sanyuanli_supervisor"]) + _seed_demo_hotline(staff["clerk"])


def _demo_neighbour(openid: str, name: str) -> User:
    user = Session.scalar(sa.select(User).where(User.openid == openid))
    if user is None:
        user = User(kind="citizen", openid=openid, display_name=name)
        Session.add(user)
        Session.flush()
        record("user", user.id, "citizen_registered", Actor("citizen", user.id))
    return identity.set_nickname(user, name)  # as the mini-program's 头像昵称 component would give it


def _seed_demo_report(n: int, item: DemoReport, neighbour: User, staff: dict[str, User]) -> int:
    lat, lon = demo_point(SANYUANLI, *item.at)
    report, created = reports.create_draft(neighbour, reports.NewReport(
        description=item.text, lat=lat, lon=lon, coord_system="wgs84", category_hint=item.hint,
        idempotency_key=item.key))
    if not created:
        return 0
    reports.attach_photo(neighbour, report.id, demo_photo(n, gps=(lat + 0.0001, lon) if n % 2 else None))
    _, case = citizen.submit_report(neighbour, report.id)
    _carry_demo_case(n, case.id, item, staff)
    if item.rating:
        citizen.rate(neighbour, report.id, *item.rating)
    return 1


def _carry_demo_case(n: int, case_id: int, item: DemoReport, staff: dict[str, User]) -> None:
    """Carry the case as far as its stage, each step by the person who takes it."""
    reached = DEMO_STAGES.index({"deferred": "accepted", "overdue": "dispatched"}.get(item.stage, item.stage))
    handler = staff["handler"]
    if reached >= DEMO_STAGES.index("accepted"):
        acceptance.accept(staff["sanyuanli_clerk"], case_id, item.category, note="演示：受理员核对后立案")
    if reached >= DEMO_STAGES.index("dispatched"):
        handling.dispatch(staff["dispatcher"], case_id)  # to the department the 权责清单 names: 区环卫所
    if reached >= DEMO_STAGES.index("received"):
        handling.receive(handler, case_id)
    if reached >= DEMO_STAGES.index("result"):
        handling.add_photo(handler, case_id, demo_photo(n + 100), MediaKind.AFTER_PHOTO)
        handling.submit_result(handler, case_id, "已安排人员到场处置完毕")
    if reached >= DEMO_STAGES.index("checked"):
        case = handling.check(staff["sanyuanli_supervisor"], case_id, True, "演示：现场核查合格",
                              citizen_remark="问题已处置完毕，欢迎评价")
    if reached >= DEMO_STAGES.index("closed") and case.status != "closed":  # on the 值班长's approval desk
        handling.approve_close(staff["shift_lead"], case_id, "演示：值班长审批结案")
    if item.stage == "deferred":
        deadlines.defer(staff["dispatcher"], case_id, "道路围蔽施工中，待施工结束后清运")
    if item.stage == "overdue":
        _backdate_dispatch(case_id)


def _backdate_dispatch(case_id: int) -> None:
    """An overdue case from the start: its dispatch moved back in time until the deadline the working calendar gives
    for it has passed (no service can dispatch in the past); the move is an event of its own."""
    case = Session.get(Case, case_id)
    limit, clock = sources.source_of(case).time_limit(case)
    now = utcnow()
    for days in range(3, 60):  # a long holiday can hold a deadline off for days
        dispatched = now - timedelta(days=days)
        deadline = calendar.working_calendar().deadline(dispatched, limit, clock)
        if deadline.at < now - timedelta(hours=2):
            break
    record("case", case.id, "demo_backdated", Actor.system(), reason="演示数据：派遣时间前移，案件已超期待督办",
           payload={"dispatched_at": {"from": case.dispatched_at.isoformat(), "to": dispatched.isoformat()},
                    "deadline_at": {"from": case.deadline_at.isoformat(), "to": deadline.at.isoformat()}})
    case.dispatched_at, case.deadline_at, case.deadline_provisional = dispatched, deadline.at, deadline.provisional
    case_queries.open_work_order(case.id).dispatched_at = dispatched


def _seed_demo_patrol(supervisor: User) -> int:
    """A 监督员's patrol report: accepted as it opens, it waits at the dispatch desk."""
    text, category, at = DEMO_PATROL
    if Session.scalar(sa.select(Case.id).where(Case.source == "patrol", Case.created_by == supervisor.id,
                                               Case.description == text)) is not None:
        return 0
    lat, lon = demo_point(SANYUANLI, *at)
    case = acceptance.open_by_staff(supervisor, "patrol", {"description": text, "lat": lat, "lon": lon,
                                                       "coord_system": "wgs84", "category_code": category})
    handling.add_photo(supervisor, case.id, demo_photo(50, gps=(lat, lon)), MediaKind.REPORT_PHOTO)
    return 1


def _seed_demo_hotline(clerk: User) -> int:
    """A 12345 hotline transfer waiting at the intake desk."""
    ticket, text, at = DEMO_HOTLINE
    if Session.scalar(sa.select(Case.id).where(Case.external_ticket_no == ticket)) is not None:
        return 0
    lat, lon = demo_point(SANYUANLI, *at)
    acceptance.open_by_staff(clerk, "hotline", {"description": text, "lat": lat, "lon": lon, "coord_system": "wgs84",
                                            "external_ticket_no": ticket})
    return 1


def demo_photo(n: int, gps: tuple[float, float] | None = None) -> bytes:
    """A small JPEG that looks like a street scene (sky, road, heaps in the n-th colours); with `gps`, the EXIF
    capture place a phone writes (WGS-84)."""
    rnd = random.Random(n)
    img = Image.new("RGB", (640, 480), (150, 190, 225))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 260, 640, 480), fill=(95, 95, 100))
    draw.rectangle((0, 250, 640, 262), fill=(200, 200, 195))
    for _ in range(12):
        x, y, size = rnd.randint(0, 600), rnd.randint(230, 440), rnd.randint(15, 70)
        colour = tuple(rnd.randint(30, 230) for _ in range(3))
        draw.ellipse((x, y, x + size, y + size * 0.7), fill=colour)
    exif = Image.Exif()
    if gps:
        ifd = exif.get_ifd(0x8825)
        ifd[1], ifd[2], ifd[3], ifd[4] = "N", _dms(gps[0]), "E", _dms(gps[1])
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, exif=exif.tobytes())
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    minutes, seconds = divmod(value * 3600, 60)
    degrees, minutes = divmod(minutes, 60)
    return float(degrees), float(minutes), round(seconds, 4)
