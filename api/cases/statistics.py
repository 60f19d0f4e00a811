"""Evaluation figures per street, department or person for a period, from the cases and the event log.

Definitions (the work-order issue; shared/reference/urban-management-practice.md §4.6):
- a case counts in the period in which its 处置 deadline falls (due cases);
- 应结案数 = due cases minus those deferred (缓办) at report time;
- 结案数 = of those, closed by the report time (with 结案 approval, CLOSE_APPROVAL: approved by the 值班长 — a case
  awaiting approval is not 结案); 按期结案数 = of those, handled by their deadline, where a case is handled when
  its 核查 passed (`checked_at`; the same moment as closing when no approval is asked; the 值班长's queue does not
  make a department late);
- 结案率 = 结案数 / 应结案数; 按期结案率 = 按期结案数 / 应结案数; 超期数 = 应结案 cases whose deadline has passed
  (by the report time) without their being handled by it;
- 延期率 = 应结案 cases that were extended / 应结案数; 平均处置时长 = mean(handled − dispatched) of 结案 cases;
- 受理数, 立案数, 派遣数 = opened / accept / dispatch events in the period;
- 返工率 = failed 核查 / all 核查 in the period; 满意度 = mean rating given in the period (the latest
  rating of each report: after a reopen, the new round's).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa

from api.cases.models import Case, Rating
from api.db import Session
from api.events.models import Event
from api.exports import Column, Label

GROUPS = {"street": Case.street_code, "department": Case.department_id, "person": Case.handler_id}


@dataclass
class Row:
    key: str | None
    received: int = 0
    accepted: int = 0
    dispatched: int = 0
    due: int = 0
    deferred: int = 0
    should_close: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue: int = 0
    extended: int = 0
    checks: int = 0
    checks_failed: int = 0
    ratings: int = 0
    mean_handling_hours: float | None = None
    close_rate: float | None = None
    on_time_rate: float | None = None
    rework_rate: float | None = None
    extension_rate: float | None = None
    satisfaction: float | None = None
    name: str | None = None  # the street's, department's or person's name beside the key


def evaluate(group_by: str, start: datetime, end: datetime, as_of: datetime) -> list[Row]:
    dim = GROUPS[group_by]
    rows: dict[str | None, Row] = {}

    def row(key) -> Row:
        key = None if key is None else str(key)
        return rows.setdefault(key, Row(key))

    for key, action, count in Session.execute(
            sa.select(dim, Event.action, sa.func.count()).join(Case, Case.id == Event.subject_id)
            .where(Event.subject_type == "case", Event.created_at >= start, Event.created_at < end,
                   Event.action.in_(("opened", "accept", "dispatch", "check_pass", "check_fail")))
            .group_by(dim, Event.action)):
        r = row(key)
        if action == "opened":
            r.received += count
        elif action in ("accept", "dispatch"):
            setattr(r, {"accept": "accepted", "dispatch": "dispatched"}[action], count)
        else:
            r.checks += count
            r.checks_failed += count if action == "check_fail" else 0

    closed_by_now = sa.and_(Case.closed_at.is_not(None), Case.closed_at <= as_of)
    handled = sa.func.coalesce(Case.checked_at, Case.closed_at)  # rows closed before checked_at existed: closed_at
    handled_in_time = sa.and_(handled.is_not(None), handled <= as_of, handled <= Case.deadline_at)
    on_time = sa.and_(closed_by_now, handled <= Case.deadline_at)
    due = sa.select(
        dim, sa.func.count(),
        sa.func.sum(sa.case((Case.status == "deferred", 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(Case.status != "deferred", closed_by_now), 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(Case.status != "deferred", on_time), 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(Case.status != "deferred", Case.extension_count > 0), 1), else_=0)),
        sa.func.sum(sa.case((sa.and_(Case.status != "deferred", Case.deadline_at <= as_of,
                                     sa.not_(handled_in_time)), 1), else_=0)),
    ).where(Case.deadline_at >= start, Case.deadline_at < end).group_by(dim)
    for key, total, deferred, closed, closed_on_time, extended, overdue in Session.execute(due):
        r = row(key)
        r.due, r.deferred, r.closed, r.closed_on_time, r.extended = total, deferred or 0, closed or 0, \
            closed_on_time or 0, extended or 0
        r.should_close = r.due - r.deferred
        r.overdue = overdue or 0

    for key, hours in _handling_hours(dim, start, end, closed_by_now, handled):
        row(key).mean_handling_hours = hours

    # a report rated again after a reopen counts with its latest rating only
    later = sa.orm.aliased(Rating)
    latest = ~sa.exists().where(later.report_id == Rating.report_id, later.round > Rating.round)
    for key, count, mean in Session.execute(
            sa.select(dim, sa.func.count(), sa.func.avg(Rating.score)).join(Case, Case.id == Rating.case_id)
            .where(Rating.created_at >= start, Rating.created_at < end, latest).group_by(dim)):
        r = row(key)
        r.ratings, r.satisfaction = count, round(float(mean), 2)

    for r in rows.values():
        r.close_rate = _ratio(r.closed, r.should_close)
        r.on_time_rate = _ratio(r.closed_on_time, r.should_close)
        r.rework_rate = _ratio(r.checks_failed, r.checks)
        r.extension_rate = _ratio(r.extended, r.should_close)
    _name(group_by, rows)
    return sorted(rows.values(), key=lambda r: (r.key is None, r.key or ""))


def visible(user, group_by: str, rows: list[Row]) -> list[Row]:
    """The rows the caller may see: district-wide staff every row; a department's staff (a 部门负责人) their
    department's row only; a street's staff their street's row only — for the API, the console and the board."""
    if user.scope_division_code:  # in the order queries.scope reads a scope
        return [r for r in rows if group_by == "street" and r.key == user.scope_division_code]
    if user.scope_department_id:
        return [r for r in rows if group_by == "department" and r.key == str(user.scope_department_id)]
    return rows


def total(rows: list[Row]) -> Row:
    """The rows summed, each rate recomputed from the summed counts (never averaged); satisfaction weighted by
    the ratings behind it; handling time weighted by the cases closed."""
    out = Row(None)
    for field in ("received", "accepted", "dispatched", "due", "deferred", "should_close", "closed", "closed_on_time",
                  "overdue", "extended", "checks", "checks_failed", "ratings"):
        setattr(out, field, sum(getattr(r, field) for r in rows))
    out.close_rate = _ratio(out.closed, out.should_close)
    out.on_time_rate = _ratio(out.closed_on_time, out.should_close)
    out.rework_rate = _ratio(out.checks_failed, out.checks)
    out.extension_rate = _ratio(out.extended, out.should_close)
    if out.ratings:
        out.satisfaction = round(sum((r.satisfaction or 0) * r.ratings for r in rows) / out.ratings, 2)
    timed = [(r.mean_handling_hours, r.closed) for r in rows if r.mean_handling_hours is not None and r.closed]
    if timed:
        out.mean_handling_hours = round(sum(h * n for h, n in timed) / sum(n for _, n in timed), 2)
    return out


def _name(group_by: str, rows: dict) -> None:
    from api.identity.models import User
    from api.organisation.models import Department, Division

    keys = [k for k in rows if k is not None]
    if not keys:
        return
    if group_by == "street":
        names = dict(Session.execute(sa.select(Division.code, Division.name).where(Division.code.in_(keys))).all())
    else:
        model, label = (Department, Department.name) if group_by == "department" else (User, User.display_name)
        names = {str(i): n for i, n in Session.execute(sa.select(model.id, label).where(
            model.id.in_([int(k) for k in keys]))).all()}
    for key, row in rows.items():
        row.name = names.get(key)


def _handling_hours(dim, start, end, closed_by_now, handled) -> list[tuple]:
    totals: dict = {}
    for key, dispatched, done in Session.execute(sa.select(dim, Case.dispatched_at, handled).where(
            Case.deadline_at >= start, Case.deadline_at < end, Case.status != "deferred", closed_by_now,
            Case.dispatched_at.is_not(None))):
        totals.setdefault(key, []).append((done - dispatched).total_seconds() / 3600)
    return [(key, round(sum(v) / len(v), 2)) for key, v in totals.items()]


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


SHEET = Label("综合评价", "Evaluation")
_KEY = {"street": Label("街道/镇代码", "Street/town code"), "department": Label("部门编号", "Department id"),
        "person": Label("人员编号", "Staff id")}
_NAME = {"street": Label("街道/镇", "Street/town"), "department": Label("部门", "Department"),
         "person": Label("处置人员", "Handler")}


def columns(group_by: str) -> tuple[Column, ...]:
    """The export's columns (api/exports.py): counts summed in a workbook's totals row, each rate written exactly
    from its counts (and recomputed in the totals row, never summed), the means as computed."""
    return (
        Column("key", _KEY[group_by]), Column("name", _NAME[group_by]),
        Column("received", Label("受理数", "Received"), total=True),
        Column("accepted", Label("立案数", "Accepted"), total=True),
        Column("dispatched", Label("派遣数", "Dispatched"), total=True),
        Column("due", Label("到期案件数", "Due"), total=True),
        Column("deferred", Label("缓办数", "Deferred"), total=True),
        Column("should_close", Label("应结案数", "Should close"), total=True),
        Column("closed", Label("结案数", "Closed"), total=True),
        Column("closed_on_time", Label("按期结案数", "Closed on time"), total=True),
        Column("overdue", Label("超期数", "Overdue"), total=True),
        Column("extended", Label("延期数", "Extended"), total=True),
        Column("close_rate", Label("结案率", "Close rate"), ratio=("closed", "should_close")),
        Column("on_time_rate", Label("按期结案率", "On-time rate"), ratio=("closed_on_time", "should_close")),
        Column("extension_rate", Label("延期率", "Extension rate"), ratio=("extended", "should_close")),
        Column("checks", Label("核查数", "Checks"), total=True),
        Column("checks_failed", Label("核查未通过数", "Checks failed"), total=True),
        Column("rework_rate", Label("返工率", "Rework rate"), ratio=("checks_failed", "checks")),
        Column("mean_handling_hours", Label("平均处置时长（小时）", "Mean handling time (hours)")),
        Column("ratings", Label("评价数", "Ratings"), total=True),
        Column("satisfaction", Label("满意度（平均分）", "Satisfaction (mean score)")),
    )


def as_dicts(rows: list[Row]) -> list[dict]:
    return [asdict(r) for r in rows]
