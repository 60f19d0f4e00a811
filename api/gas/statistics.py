"""Gas inspection statistics, per street, community or inspector over a range of due months (or found days):

- coverage: periodic tasks due in the range, how many were inspected (passed or with hazards), refused, missed at
  least once (nobody home), taken over by a supervisor; coverage = inspected / due;
- hazards: found in the range by item and level (or by street, community, inspector), how many rectified, the
  rectification rate and the mean days from finding to rectification;
- open hazards (the gas supervisor's view): each with its deadline and whether it is past.
Rates are exact percentages with two decimals (Decimal), "—" when nothing is due. Exports: Chinese headers and words,
English with Accept-Language: en (exports.Label).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from api import exports
from api.db import Session
from api.exports import Column, Label
from api.gas import checklist
from api.gas.models import GasHazard, GasTask, GasUser, GasVisit
from api.identity.models import User
from api.organisation.models import Division
from api.premises.models import Premises
from api.timefmt import SHANGHAI

GROUPS = ("street", "community", "inspector")
UNASSIGNED = Label("（未分配）", "(unassigned)")


def _keys(group_by: str) -> list:
    """What rows are grouped by (the street always; its community, or the inspector, when asked)."""
    if group_by == "community":
        return [GasUser.street_code, Premises.community]
    if group_by == "inspector":
        return [GasUser.street_code, User.id, User.display_name]
    return [GasUser.street_code]


def _group_of(item: dict, group_by: str) -> dict:
    if group_by == "community":
        item["group"] = item.pop("community")
    elif group_by == "inspector":
        item.pop("id")
        item["group"] = item.pop("display_name") or str(UNASSIGNED)
    else:
        item["group"] = ""
    return item


def coverage(viewer: User, *, month_from: date, month_to: date, group_by: str) -> list[dict]:
    """Periodic tasks due in [month_from, end of month_to], by group."""
    last = (month_to.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    keys = _keys(group_by)
    query = (sa.select(*keys, Division.name.label("street_name"),
                       sa.func.count().label("due"),
                       sa.func.count().filter(GasTask.status == "done").label("inspected"),
                       sa.func.count().filter(GasTask.status == "refused").label("refused"),
                       sa.func.count().filter(GasTask.misses > 0).label("no_show"),
                       sa.func.count().filter(GasTask.status == "taken_over").label("taken_over"))
             .select_from(GasTask).join(GasUser, GasUser.id == GasTask.gas_user_id)
             .join(Premises, Premises.id == GasUser.premises_id)
             .join(Division, Division.code == GasUser.street_code)
             .outerjoin(User, User.id == GasTask.inspector_id)
             .where(GasTask.kind == "periodic", GasTask.due_on >= month_from, GasTask.due_on <= last))
    if viewer.scope_division_code is not None:
        query = query.where(GasUser.street_code == viewer.scope_division_code)
    query = query.group_by(*keys, Division.name).order_by(*keys)
    rows = []
    for row in Session.execute(query):
        item = _group_of(row._asdict(), group_by)
        item.update(coverage=exports.percent(item["inspected"], item["due"]),
                    refusal_rate=exports.percent(item["refused"], item["due"]),
                    no_show_rate=exports.percent(item["no_show"], item["due"]))
        rows.append(item)
    return rows


def hazards(viewer: User, *, day_from: date, day_to: date, group_by: str) -> list[dict]:
    """Hazards found between two Beijing days, by item and level (`item`) or by street, community or inspector."""
    start = datetime.combine(day_from, time(), SHANGHAI)
    end = datetime.combine(day_to + timedelta(days=1), time(), SHANGHAI)
    days = sa.func.extract("epoch", GasHazard.rectified_at - GasHazard.found_at) / 86400
    if Session.get_bind().dialect.name == "sqlite":
        days = sa.func.julianday(GasHazard.rectified_at) - sa.func.julianday(GasHazard.found_at)
    keys = [GasHazard.item_code, GasHazard.level] if group_by == "item" else _keys(group_by)
    query = (sa.select(*keys, sa.func.count().label("found"),
                       sa.func.count().filter(GasHazard.status == "rectified").label("rectified"),
                       sa.func.avg(days).label("mean_days_to_rectify"))
             .select_from(GasHazard).join(GasUser, GasUser.id == GasHazard.gas_user_id)
             .join(Premises, Premises.id == GasUser.premises_id)
             .join(GasVisit, GasVisit.id == GasHazard.visit_id)
             .outerjoin(User, User.id == GasVisit.inspector_id)
             .where(GasHazard.found_at >= start, GasHazard.found_at < end))
    if viewer.scope_division_code is not None:
        query = query.where(GasUser.street_code == viewer.scope_division_code)
    query = query.group_by(*keys).order_by(*keys)
    titles = {code: item.title for code, item in checklist.load(checklist.CURRENT).items()}
    rows = []
    for row in Session.execute(query):
        item = row._asdict()
        if group_by == "item":
            item["group"] = item.pop("item_code")
        else:
            item = _group_of(item, group_by)
        mean = item.pop("mean_days_to_rectify")
        item["mean_days_to_rectify"] = None if mean is None else float(round(Decimal(str(mean)), 1))
        item["rectification_rate"] = exports.percent(item["rectified"], item["found"])
        if group_by == "item":
            item["title"] = titles.get(item["group"], item["group"])
            item["level_name"] = checklist.LEVEL_NAMES[item["level"]]
        rows.append(item)
    return rows


def open_hazards(viewer: User, today: date, limit: int = 500) -> list[dict]:
    """Open hazards in the supervisor's street, the most urgent first (past deadline, then level, then deadline)."""
    query = (sa.select(GasHazard.id, GasHazard.item_code, GasHazard.level, GasHazard.deadline_on, GasHazard.case_id,
                       GasHazard.found_at, GasUser.number, Premises.address, GasUser.street_code)
             .join(GasUser, GasUser.id == GasHazard.gas_user_id).join(Premises, Premises.id == GasUser.premises_id)
             .where(GasHazard.status == "open"))
    if viewer.scope_division_code is not None:
        query = query.where(GasUser.street_code == viewer.scope_division_code)
    query = query.order_by((GasHazard.deadline_on >= today), GasHazard.level, GasHazard.deadline_on).limit(limit)
    return [{**row._asdict(), "overdue": row.deadline_on < today} for row in Session.execute(query)]


STREET = Label("街道/镇", "Street/town")
GROUP_TITLE = {"street": STREET, "community": Label("社区", "Community"), "inspector": Label("安检员", "Inspector"),
               "item": Label("检查项目", "Checklist item")}
LEVEL_TITLES = {1: Label("一级", "Level 1"), 2: Label("二级", "Level 2"), 3: Label("三级", "Level 3")}
COVERAGE_SHEET, HAZARD_SHEET = Label("安检覆盖率", "Inspection coverage"), Label("隐患统计", "Hazards")


def coverage_columns(group_by: str) -> tuple[Column, ...]:
    group = () if group_by == "street" else (Column("group", GROUP_TITLE[group_by]),)
    return (Column("street_name", STREET), *group, Column("due", Label("应检户数", "Due"), total=True),
            Column("inspected", Label("已检户数", "Inspected"), total=True),
            Column("coverage", Label("覆盖率", "Coverage"), ratio=("inspected", "due")),
            Column("refused", Label("拒检户数", "Refused"), total=True),
            Column("refusal_rate", Label("拒检率", "Refusal rate"), ratio=("refused", "due")),
            Column("no_show", Label("到访不遇户数", "Nobody home"), total=True),
            Column("no_show_rate", Label("到访不遇率", "Nobody-home rate"), ratio=("no_show", "due")),
            Column("taken_over", Label("主管接管", "Taken over by a supervisor"), total=True))


def hazard_columns(group_by: str) -> tuple[Column, ...]:
    """The checklist's item titles are its own words (data, Chinese) in either language; the level is a label."""
    if group_by == "item":
        head: tuple[Column, ...] = (Column("title", GROUP_TITLE["item"]),
                                    Column("level", Label("隐患等级", "Hazard level"), labels=LEVEL_TITLES))
    elif group_by == "street":
        head = (Column("street_code", Label("街道/镇代码", "Street/town code")),)
    else:
        head = (Column("street_code", Label("街道/镇代码", "Street/town code")),
                Column("group", GROUP_TITLE[group_by]))
    return (*head, Column("found", Label("发现隐患数", "Hazards found"), total=True),
            Column("rectified", Label("已整改", "Rectified"), total=True),
            Column("rectification_rate", Label("整改率", "Rectification rate"), ratio=("rectified", "found")),
            Column("mean_days_to_rectify", Label("平均整改天数", "Mean days to rectify")))
