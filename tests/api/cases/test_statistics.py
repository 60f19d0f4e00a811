"""Statistics checked against hand-computed cases (definitions in api/cases/statistics.py)."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from api.cases import statistics
from api.cases.models import Case, Rating
from api.events.models import Event
from api.organisation.queries import get_department_by_code
from api.organisation.service import load_demo_organisation, load_divisions
from api.timefmt import SHANGHAI
from tests.factories.identity import CitizenFactory, StaffFactory
from tests.factories.reports import SubmittedReportFactory
from tests.support import staff_token

A, B = "440111002000", "440111004000"


def nov(day, hour=10):
    return datetime(2026, 11, day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def cases(db_session):
    load_divisions()
    load_demo_organisation()
    db_session.commit()
    department_id = get_department_by_code("sanitation").id

    def case(street, deadline, status, dispatched=None, closed=None, extensions=0):
        c = Case(source="citizen", status=status, description="x", lat=23.2, lon=113.3, street_code=street,
                 priority="normal", deadline_at=deadline, dispatched_at=dispatched, closed_at=closed,
                 extension_count=extensions, department_id=department_id)
        db_session.add(c)
        db_session.flush()
        return c

    c1 = case(A, nov(10), "closed", dispatched=nov(8), closed=nov(9))
    c2 = case(A, nov(12), "closed", dispatched=nov(10), closed=nov(14))
    case(A, nov(15), "in_progress", dispatched=nov(13))
    case(A, nov(20), "deferred", dispatched=nov(18))
    case(A, datetime(2026, 12, 5, tzinfo=SHANGHAI), "in_progress", dispatched=nov(28))
    case(B, nov(3), "closed", dispatched=nov(1), closed=nov(2), extensions=1)
    for subject, action, day in [(c1, "opened", 7), (c1, "accept", 7), (c1, "dispatch", 8), (c1, "check_pass", 9),
                                 (c2, "check_fail", 12), (c2, "check_pass", 14),
                                 (c2, "opened", 5)]:
        db_session.add(Event(subject_type="case", subject_id=subject.id, action=action, actor_type="system",
                             payload={}, created_at=nov(day) if action != "opened" or day > 5
                             else datetime(2026, 10, 30, tzinfo=SHANGHAI)))
    citizen = CitizenFactory()
    for subject, score in ((c1, 5), (c2, 3)):
        report = SubmittedReportFactory(reporter=citizen)
        db_session.add(Rating(case_id=subject.id, report_id=report.id, user_id=citizen.id, score=score,
                              created_at=nov(16)))
    db_session.commit()


def test_street_figures_match_the_hand_count(cases):
    rows = {r.key: r for r in statistics.evaluate("street", nov(1, 0), datetime(2026, 12, 1, tzinfo=SHANGHAI),
                                                   nov(30))}
    a, b = rows[A], rows[B]
    assert (a.due, a.deferred, a.should_close, a.closed, a.closed_on_time, a.overdue) == (4, 1, 3, 2, 1, 2)
    assert (a.close_rate, a.on_time_rate) == (0.6667, 0.3333)
    assert (a.received, a.accepted, a.dispatched) == (1, 1, 1)  # c2 was opened in October
    assert (a.checks, a.checks_failed, a.rework_rate) == (3, 1, 0.3333)
    assert (a.ratings, a.satisfaction, a.mean_handling_hours) == (2, 4.0, 60.0)
    assert (b.due, b.closed_on_time, b.extended, b.extension_rate, b.close_rate) == (1, 1, 1, 1.0, 1.0)
    assert a.name and b.name and a.name != b.name  # the street's name beside its code


def test_a_case_closed_after_the_report_time_does_not_count(cases):
    rows = {r.key: r for r in statistics.evaluate("street", nov(1, 0), datetime(2026, 12, 1, tzinfo=SHANGHAI),
                                                   nov(13))}
    assert rows[A].closed == 1  # c2 closed on the 14th, after this report time
    assert rows[A].overdue == 1  # c2 (due the 12th, open on the 13th); c3 is due on the 15th: not yet overdue


def test_statistics_endpoint_json_and_csv(client, cases, db_session):
    command = staff_token(StaffFactory(roles=("command_centre",)))
    body = client.get("/statistics?group_by=street&from=2026-11-01&to=2026-12-01", headers=command).json
    assert {r["key"] for r in body["rows"]} >= {A, B}
    csv = client.get("/statistics?group_by=street&from=2026-11-01&to=2026-12-01&format=csv", headers=command)
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    lines = csv.data.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["街道/镇代码", "街道/镇", "受理数", "立案数", "派遣数"]
    row_a = dict(zip(header, next(line for line in lines if line.startswith(A)).split(","), strict=True))
    # A: 3 should close, 2 closed, 1 on time — written exactly, as the offices read them
    assert (row_a["应结案数"], row_a["结案数"], row_a["结案率"], row_a["按期结案率"]) == ("3", "2", "66.67%", "33.33%")
    english = client.get("/statistics?group_by=street&from=2026-11-01&to=2026-12-01&format=csv",
                         headers={**command, "Accept-Language": "en"})
    assert english.data.decode("utf-8-sig").startswith("Street/town code,Street/town,Received,Accepted")
    workbook = client.get("/statistics?group_by=street&from=2026-11-01&to=2026-12-01&format=xlsx", headers=command)
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    titles = [c.value for c in sheet[1]]
    totals = {title: cell.value for title, cell in zip(titles, sheet[sheet.max_row], strict=True)}
    should, closed = (sum(r[k] for r in body["rows"]) for k in ("should_close", "closed"))
    assert sheet.title == "综合评价" and totals["街道/镇代码"] == "合计" and totals["结案数"] == closed
    assert totals["结案率"] == Decimal(closed) / Decimal(should)  # recomputed from the sums, never summed
    bad = client.get("/statistics?group_by=street&from=2026-12-01&to=2026-11-01", headers=command)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "BAD_PERIOD"
    handler = staff_token(StaffFactory(roles=("dept_handler",)))
    assert client.get("/statistics?group_by=street&from=2026-11-01&to=2026-12-01", headers=handler).status_code == 403
