"""Gas inspection statistics, per street, community or inspector over a range of due months (or found days):

- coverage: periodic tasks due in the range, how many were inspected (passed or with hazards), refused, missed at
  least once (nobody home), taken over by a supervisor; coverage = inspected / due;
- hazards: found in the range by item and level (or by street, community, inspector), how many rectified, the
  rectification rate and the mean days from finding to rectification;
- open hazards (the gas supervisor's view): each with its deadline and whether it is past.
Rates are exact percentages with two decimals (Decimal), "—" when nothing is due.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from api import exports
from api.db import Session
from api.exports import Column
from api.gas import checklist
from api.gas.models import GasHazard, GasTask, GasUser, GasVisit
from api.identity.models import User
from api.organisation.models import Division
from api.premises.models import Premises
from api.timefmt import SHANGHAI

GROUPS = ("street", "community", "inspector")


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
        item["group"] = item.pop("display_name") or "（未分配）"
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


GROUP_TITLE = {"street": "街道/镇", "community": "社区", "inspector": "安检员", "item": "检查项目"}


def coverage_columns(group_by: str) -> tuple[Column, ...]:
    group = () if group_by == "street" else (Column("group", GROUP_TITLE[group_by]),)
    return (Column("street_name", "街道/镇"), *group, Column("due", "应检户数", total=True),
            Column("inspected", "已检户数", total=True), Column("coverage", "覆盖率", ratio=("inspected", "due")),
            Column("refused", "拒检户数", total=True), Column("refusal_rate", "拒检率", ratio=("refused", "due")),
            Column("no_show", "到访不遇户数", total=True),
            Column("no_show_rate", "到访不遇率", ratio=("no_show", "due")),
            Column("taken_over", "主管接管", total=True))


def hazard_columns(group_by: str) -> tuple[Column, ...]:
    if group_by == "item":
        head: tuple[Column, ...] = (Column("title", "检查项目"), Column("level_name", "隐患等级"))
    elif group_by == "street":
        head = (Column("street_code", "街道/镇代码"),)
    else:
        head = (Column("street_code", "街道/镇代码"), Column("group", GROUP_TITLE[group_by]))
    return (*head, Column("found", "发现隐患数", total=True), Column("rectified", "已整改", total=True),
            Column("rectification_rate", "整改率", ratio=("rectified", "found")),
            Column("mean_days_to_rectify", "平均整改天数"))
