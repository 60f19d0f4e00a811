"""Part two's pages with Flask's test client: the command centre's big screen and its feeds, the evaluation
(the same numbers as GET /statistics, and its Excel), the inbox and its badge — each within the caller's scope."""

import io
from datetime import timedelta

import openpyxl
import pytest

from api.cases.models import Case
from api.db import Session
from api.notifications import inbox
from api.organisation import queries as organisation
from api.timefmt import today
from tests.api.cases.conftest import closed_case, new_case
from tests.console.conftest import post, sign_in, text
from tests.factories.identity import StaffFactory

BBOX = "bbox=113.1,23.1,113.6,23.5"


def test_the_command_centre_lands_on_its_big_screen(consoles):
    assert consoles["command"].get("/console/").headers["Location"] == "/console/command"
    page = consoles["command"].get("/console/command")
    assert page.status_code == 200 and "指挥中心" in text(page) and "超期督办" in text(page)
    assert 'hx-trigger="every 5s"' in text(page)


@pytest.mark.parametrize("who", ["clerk", "dispatcher", "handler", "supervisor"])
def test_the_big_screen_is_not_for_the_desks(consoles, who):
    for path in ("/console/command", f"/console/command/cases?{BBOX}&zoom=12", "/console/command/outlines",
                 "/console/command/density", "/console/command/panels"):
        assert consoles[who].get(path).status_code == 403


def test_pins_cluster_on_the_server_and_carry_overdue_when_close(client, world, consoles):
    _, case_id = new_case(client, world["t"])
    far = consoles["command"].get(f"/console/command/cases?{BBOX}&zoom=11").json
    assert far["clustered"] and far["total"] == 1 and far["features"][0]["properties"]["count"] == 1
    near = consoles["command"].get(f"/console/command/cases?{BBOX}&zoom=16").json
    assert [f["properties"]["id"] for f in near["features"]] == [case_id]
    assert near["features"][0]["properties"]["overdue"] is False
    assert consoles["command"].get("/console/command/cases?bbox=1,2&zoom=99").status_code == 400


def test_the_district_is_drawn_from_the_grids_and_says_demo(consoles):
    outlines = consoles["command"].get("/console/command/outlines").json
    streets = {s.code for s in organisation.streets()}
    assert outlines["demo"] is True and {f["properties"]["street_code"] for f in outlines["features"]} == streets
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in outlines["features"])


def test_density_counts_open_cases_per_grid(client, world, consoles):
    new_case(client, world["t"])
    new_case(client, world["t"])
    density = consoles["command"].get("/console/command/density").json
    assert density["most"] == 2 and [f["properties"]["open"] for f in density["features"]] == [2]


def test_a_streets_command_staff_see_their_street_only(app, client, world, db_session):
    _, case_id = new_case(client, world["t"])
    case = Session.get(Case, case_id)
    other = next(s.code for s in organisation.streets() if s.code != case.street_code)
    console = sign_in(app, StaffFactory(roles=("command_centre",), scope_division_code=other))
    db_session.commit()
    assert console.get(f"/console/command/cases?{BBOX}&zoom=16").json["features"] == []
    assert [f["properties"]["street_code"] for f in console.get("/console/command/outlines").json["features"]] \
        == [other]
    assert console.get("/console/command/density").json["features"] == []
    panels = text(console.get("/console/command/panels"))
    assert 'data-kpi="open">0<' in panels and 'data-kpi="new_today">0<' in panels


def test_the_tiles_count_today_open_and_overdue(client, world, consoles):
    new_case(client, world["t"])
    closed_case(client, world["t"])
    panels = text(consoles["command"].get("/console/command/panels"))
    assert 'data-kpi="new_today">2<' in panels and 'data-kpi="open">1<' in panels
    assert 'data-kpi="overdue">0<' in panels


def closed_due_today(client, world) -> int:
    """A case closed now whose deadline falls today (the working calendar may put a new case's deadline after
    tomorrow's midnight, outside the month so far that the evaluation and the tiles read): handled on time."""
    _, case_id = closed_case(client, world["t"])
    case = Session.get(Case, case_id)
    case.deadline_at = case.closed_at  # handled (checked and closed) at that moment: on time, today
    Session.commit()
    return case_id


def _period() -> str:
    return f"from={today().replace(day=1).isoformat()}&to={(today() + timedelta(days=1)).isoformat()}"


@pytest.mark.parametrize("group_by", ["street", "department", "person"])
def test_the_evaluation_shows_the_apis_numbers(client, world, consoles, group_by):
    closed_case(client, world["t"])
    new_case(client, world["t"])
    api = client.get(f"/statistics?group_by={group_by}&{_period()}", headers=world["t"]["command"]).json["rows"]
    page = text(consoles["command"].get(f"/console/evaluation?group_by={group_by}&{_period()}"))
    assert api, "the period has figures"
    for row in api:
        for field in ("received", "accepted", "dispatched", "closed", "closed_on_time"):
            assert f'data-field="{field}">{row[field]}<' in page
    assert 'id="trend-chart"' in page


def test_the_evaluation_exports_the_same_rows_to_excel(client, world, consoles):
    closed_case(client, world["t"])
    answer = consoles["command"].get(f"/console/evaluation?group_by=street&{_period()}&format=xlsx")
    assert answer.status_code == 200 and answer.mimetype.endswith("spreadsheetml.sheet")
    sheet = openpyxl.load_workbook(io.BytesIO(answer.data)).active
    assert sheet["C1"].value == "受理数" and sheet["C2"].value == 1


def test_a_department_head_sees_their_departments_row_only(client, world, consoles):
    closed_case(client, world["t"])
    page = text(consoles["head"].get(f"/console/evaluation?group_by=department&{_period()}"))
    assert world["staff"]["head"].scope_department_id and "区环卫所" in page
    assert text(consoles["head"].get(f"/console/evaluation?group_by=street&{_period()}")).count("<tr>") <= 2
    assert consoles["handler"].get("/console/evaluation").status_code == 403


def test_a_bad_period_is_told_on_the_page(consoles):
    for query in ("from=2026-02-01&to=2026-01-01", "from=x&to=y", "group_by=nobody", "from=0001-01-01&to=9999-12-31"):
        answer = consoles["command"].get(f"/console/evaluation?{query}")
        assert answer.status_code == 400 and 'class="flash error"' in text(answer), query


def test_the_inbox_badge_and_a_notice_that_leads_to_its_case(client, world, consoles, db_session):
    _, case_id = new_case(client, world["t"])
    clerk = world["staff"]["clerk"]
    badge = text(consoles["clerk"].get("/console/desks/intake"))
    assert 'class="count-badge"' in badge  # the new case's notice to the intake clerks
    notice = inbox.list_for(clerk.id, True, 1, 10)[0][0]
    assert notice.subject_id == case_id
    page = text(consoles["clerk"].get("/console/inbox"))
    assert "新案件待受理" in page
    opened = post(consoles["clerk"], f"/console/inbox/{notice.id}/read")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/console/cases/{case_id}"
    assert inbox.unread_count(clerk.id) == 0
    assert 'class="count-badge"' not in text(consoles["clerk"].get("/console/desks/intake"))
    others = post(consoles["dispatcher"], f"/console/inbox/{notice.id}/read")
    assert others.status_code == 404  # another person's notice


def test_an_inbox_page_out_of_range_is_the_first(consoles):
    for page in ("0", "10001", "²", "-1", "x"):
        assert consoles["clerk"].get(f"/console/inbox?page={page}").status_code == 200, page


def test_a_department_head_lands_on_their_departments_figures(client, world, consoles):
    closed_due_today(client, world)
    page = text(consoles["head"].get("/console/evaluation"))
    assert '<option value="department" selected>' in page and 'data-field="closed">1<' in page


def test_the_months_rates_are_kept_and_refreshed_by_one(client, world, consoles):
    from api.extensions import get_redis

    closed_due_today(client, world)
    consoles["command"].get("/console/command/panels")
    keys = [k for k in get_redis().keys("board:month:*") if not k.endswith(b":lock")]
    assert len(keys) == 1 and b'"on_time_rate": 1.0' in get_redis().get(keys[0])
    assert get_redis().keys("board:month:*:lock") == []  # released once computed
