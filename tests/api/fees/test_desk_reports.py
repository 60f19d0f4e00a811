"""The billing desk's reports checked against hand-computed figures, and their CSV and Excel exports."""

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from api.db import utcnow
from api.events.service import Actor
from api.fees import billrun
from api.fees.models import Bill, FeeAccount
from api.timefmt import SHANGHAI
from tests.factories.identity import StaffFactory
from tests.fees_world import JINGXI, SANYUANLI, make_world
from tests.support import staff_token


@pytest.fixture
def desk(db_session):
    """Two months billed; A0001's older bill paid in part, A0004's newer one paid in full; due dates set by hand
    so the ageing buckets are known: the older month 45 days overdue, the newer not yet due."""
    make_world()
    today = utcnow().astimezone(SHANGHAI).date()
    older, newer = date(2026, 9, 1), date(2026, 10, 1)
    billrun.run(older, Actor.system())
    billrun.run(newer, Actor.system())
    db_session.execute(sa.update(Bill).where(Bill.period == older).values(due_date=today - timedelta(days=45)))
    db_session.execute(sa.update(Bill).where(Bill.period == newer).values(due_date=today + timedelta(days=5)))

    def bill(number: str, period: date) -> Bill:
        return db_session.scalar(sa.select(Bill).join(FeeAccount).where(FeeAccount.number == number,
                                                                         Bill.period == period))

    a1 = bill("A0001", older)
    a1.paid_fen, a1.status = 200, "partly_paid"
    a4 = bill("A0004", newer)
    a4.paid_fen, a4.status = 500, "paid"
    db_session.flush()
    district = staff_token(StaffFactory(roles=("billing_head",)))
    street = staff_token(StaffFactory(roles=("billing_clerk",), scope_division_code=SANYUANLI))
    return district, street


def test_arrears_by_street_and_period_with_ageing(client, desk):
    district, street = desk
    rows = client.get("/admin/billing/reports/arrears?period_from=2026-09&period_to=2026-10",
                      headers=district).json
    got = {(r["street_code"], r["period"]): (r["bills"], r["outstanding_fen"], r["d31_90"], r["not_due"])
           for r in rows}
    # 三元里: A0001 500 (200 paid) + A0002 300 + A0003 2400, per month; 京溪: A0004 500 (paid in October)
    assert got == {(SANYUANLI, "2026-09"): (3, 300 + 300 + 2400, 3000, 0),
                   (SANYUANLI, "2026-10"): (3, 500 + 300 + 2400, 0, 3200),
                   (JINGXI, "2026-09"): (1, 500, 500, 0)}
    mine = client.get("/admin/billing/reports/arrears?period_from=2026-09&period_to=2026-10", headers=street).json
    assert {r["street_code"] for r in mine} == {SANYUANLI}
    by_community = client.get("/admin/billing/reports/arrears?period_from=2026-09&period_to=2026-09"
                              "&group_by=community", headers=street).json
    assert [(r["community"], r["outstanding_fen"]) for r in by_community] == [("三元里社区", 3000)]


def test_the_collection_rate_shows_exemptions_apart(client, desk):
    district, _ = desk
    rows = client.get("/admin/billing/reports/collection?period_from=2026-09&period_to=2026-10",
                      headers=district).json
    got = {(r["street_code"], r["period"]): (r["due_fen"], r["paid_fen"], r["rate"], r["exempted_fen"]) for r in rows}
    assert got[(SANYUANLI, "2026-09")] == (3200, 200, "6.25%", 0)
    assert got[(JINGXI, "2026-10")] == (500, 500, "100.00%", 0)


def test_exports_carry_chinese_headers_and_yuan(client, desk):
    district, _ = desk
    answer = client.get("/admin/billing/reports/arrears?period_from=2026-09&period_to=2026-09&format=csv",
                        headers=district)
    assert answer.mimetype == "text/csv" and answer.data.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert table[0][:5] == ["街道/镇", "所属期", "欠费户数", "欠费金额（元）", "未到期（元）"]
    assert ["三元里街道", "2026-09", "3", "30.00", "0.00", "0.00", "30.00", "0.00", "0.00"] in table
    workbook = client.get("/admin/billing/reports/collection?period_from=2026-09&period_to=2026-10&format=xlsx",
                          headers=district)
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    header = [c.value for c in sheet[1]]
    assert header == ["街道/镇", "所属期", "账单数", "应收（元）", "实收（元）", "收缴率", "减免（元）"]
    first = [c.value for c in sheet[2]]
    assert first[0] == "三元里街道" and first[3] == 32 and first[4] == 2 and first[5] == "6.25%"
    assert sheet.cell(row=2, column=4).number_format == "#,##0.00"


def test_a_backwards_period_is_refused(client, desk):
    district, _ = desk
    answer = client.get("/admin/billing/reports/collection?period_from=2026-10&period_to=2026-09", headers=district)
    assert answer.status_code == 422 and answer.json["error"]["code"] == "PERIOD_INVALID"
