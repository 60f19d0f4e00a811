"""综合评价: the evaluation figures by street, department or person for a period, as a table (the numbers of
GET /statistics, computed by the same api.cases.statistics.evaluate and narrowed by the same `visible` rule), a
weekly trend beside it (ECharts), and the Excel export through exports.answer."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import marshmallow as ma
from flask import render_template, request

from api import exports
from api.cases import statistics
from api.cases.schemas import StatisticsArgsSchema
from api.db import utcnow
from api.i18n import gettext as _
from api.roles import Role
from api.timefmt import SHANGHAI, today
from console import bp
from console.auth import roles_required, staff
from console.pages import invalid_message, load

READERS = (Role.COMMAND_CENTRE, Role.SHIFT_LEAD, Role.ADMIN, Role.DEPT_HEAD)  # the API's, and the 值班长
MOST_WEEKS = 26  # the trend shows at most the last half year of the period


@bp.route("/evaluation")
@roles_required(*READERS)
def evaluation():
    first = today().replace(day=1)
    default_group = "department" if staff().scope_department_id and not staff().scope_division_code else "street"
    raw = {"group_by": default_group, "from": first.isoformat(), "to": (today() + timedelta(days=1)).isoformat(),
           **{k: v for k, v in request.args.items() if k in ("group_by", "from", "to", "format") and v.strip()}}
    try:
        args = load(StatisticsArgsSchema(), raw)
        if args["end"] <= args["start"]:
            raise ma.ValidationError({"to": [_("The end must be after the start.")]})
    except ma.ValidationError as invalid:
        return render_template("console/evaluation.html", error=invalid_message(invalid), rows=[], total=None,
                               trend=None, args={"group_by": raw["group_by"], "start": first,
                                                 "end": today() + timedelta(days=1)}), 400
    user, now = staff(), utcnow()
    group_by = args["group_by"]
    rows = statistics.visible(user, group_by, statistics.evaluate(group_by, _at(args["start"]), _at(args["end"]),
                                                                   now))
    if args["format"] != "json":
        return exports.answer(args["format"], f"statistics-{group_by}", statistics.SHEET,
                              statistics.columns(group_by), statistics.as_dicts(rows))
    return render_template("console/evaluation.html", error=None, rows=rows, total=statistics.total(rows),
                           trend=_weekly(user, group_by, args["start"], args["end"], now), args=args,
                           columns=statistics.columns(group_by))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), SHANGHAI)


def _weekly(user, group_by: str, start: date, end: date, now: datetime) -> dict:
    """Per week of the period (the last MOST_WEEKS): 立案数, 结案数 and 按期结案率 over the rows the caller sees."""
    weeks = []
    day = max(start, end - timedelta(weeks=MOST_WEEKS))
    while day < end:
        weeks.append((day, min(day + timedelta(days=7), end)))
        day += timedelta(days=7)
    out = {"weeks": [], "accepted": [], "closed": [], "on_time_rate": []}
    for first, after in weeks:
        total = statistics.total(statistics.visible(user, group_by, statistics.evaluate(group_by, _at(first),
                                                                                         _at(after), now)))
        out["weeks"].append(first.strftime("%m-%d"))
        out["accepted"].append(total.accepted)
        out["closed"].append(total.closed)
        out["on_time_rate"].append(None if total.on_time_rate is None else round(total.on_time_rate * 100, 1))
    return out
