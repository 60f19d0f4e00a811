"""The billing desk's reports checked against hand-computed figures, and their CSV and Excel exports."""

import csv
import io
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from api.db import utcnow
from api.events.service import Actor
from api.fees.billing import billrun
from api.fees.models import Bill, Exemption, FeeAccount, ReconMismatch, ReconRun
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
    assert header[:7] == ["街道/镇", "所属期", "账单数", "应收（元）", "实收（元）", "收缴率", "减免（元）"]
    first = [c.value for c in sheet[2]]
    assert first[0] == "三元里街道" and first[3] == 32 and first[4] == 2 and first[5] == 0.0625
    assert sheet.cell(row=2, column=4).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=6).number_format == "0.00%"


def test_exports_are_in_english_when_the_request_asks(client, desk, db_session):
    """Headers, sheet names, the totals row and stored codes written as words follow Accept-Language: Chinese by
    default, English on request; the numbers and the data (street names) are the same."""
    district, _ = desk
    english = {**district, "Accept-Language": "en-US,en;q=0.9"}
    url = "/admin/billing/reports/arrears?period_from=2026-09&period_to=2026-09&format=csv"
    table = list(csv.reader(io.StringIO(client.get(url, headers=english).data.decode("utf-8-sig"))))
    assert table[0] == ["Street/town", "Period", "Households in arrears", "Arrears (yuan)", "Not yet due (yuan)",
                        "1–30 days overdue (yuan)", "31–90 days overdue (yuan)", "91–180 days overdue (yuan)",
                        "Over 180 days overdue (yuan)"]
    assert ["三元里街道", "2026-09", "3", "30.00", "0.00", "0.00", "30.00", "0.00", "0.00"] in table
    url = "/admin/billing/reports/collection?period_from=2026-09&period_to=2026-10&format=xlsx"
    chinese_book = load_workbook(io.BytesIO(client.get(url, headers=district).data)).active
    english_book = load_workbook(io.BytesIO(client.get(url, headers=english).data)).active
    assert (chinese_book.title, english_book.title) == ("收缴率", "Collection rate")
    assert [c.value for c in english_book[1]] == ["Street/town", "Period", "Bills", "Due (yuan)", "Collected (yuan)",
                                                  "Collection rate", "Exempted (yuan)", "Lowered by refunds (yuan)"]
    assert english_book.cell(row=english_book.max_row, column=1).value == "Total"
    assert chinese_book.cell(row=chinese_book.max_row, column=1).value == "合计"
    assert [[c.value for c in row] for row in english_book.iter_rows(min_row=2)][:-1] == \
        [[c.value for c in row] for row in chinese_book.iter_rows(min_row=2)][:-1]
    run = ReconRun(bill_date=date(2026, 11, 30), wechat_in_fen=500, rows=1, mismatches=1)
    db_session.add(run)
    db_session.flush()
    db_session.add(ReconMismatch(run_id=run.id, key="pay:SY202611300009", kind="missing_ours", theirs_fen=500,
                                 their_status="SUCCESS"))
    db_session.commit()  # (a savepoint: each request's session rolls back what was not committed)
    url = "/admin/billing/reports/reconciliation?day_from=2026-11-30&day_to=2026-11-30&format=csv"
    words = list(csv.reader(io.StringIO(client.get(url, headers=english).data.decode("utf-8-sig"))))
    assert words[0][:3] == ["Date reconciled", "Reference", "Mismatch"]
    assert (words[1][2], words[1][7]) == ("Not in our records", "Open")
    chinese = list(csv.reader(io.StringIO(client.get(url, headers=district).data.decode("utf-8-sig"))))
    assert (chinese[0][2], chinese[1][2], chinese[1][7]) == ("差异类型", "我方无记录", "待处理")


def test_a_backwards_period_is_refused(client, desk):
    district, _ = desk
    answer = client.get("/admin/billing/reports/collection?period_from=2026-10&period_to=2026-09", headers=district)
    assert answer.status_code == 422 and answer.json["error"]["code"] == "PERIOD_INVALID"


def test_reconciliation_mismatches_export_with_their_state_and_who_set_it(client, desk, db_session):
    district, street = desk
    head = StaffFactory(roles=("billing_head",), username="head-recon", display_name="收费主管陈")
    day = date(2026, 11, 30)
    run = ReconRun(bill_date=day, wechat_in_fen=1500, ours_in_fen=1000, rows=3, mismatches=2)
    db_session.add(run)
    db_session.flush()
    missing = ReconMismatch(run_id=run.id, key="pay:SY202611300001", kind="missing_ours", theirs_fen=500,
                            their_status="SUCCESS")
    differs = ReconMismatch(run_id=run.id, key="pay:SY202611300002", kind="amount_differs", ours_fen=500,
                            theirs_fen=600, our_status="paid", their_status="SUCCESS")
    db_session.add_all([missing, differs])
    db_session.flush()
    patched = client.patch(f"/admin/billing/reconciliation/mismatches/{differs.id}",
                           json={"state": "explained", "note": "微信侧含优惠券"}, headers=staff_token(head))
    assert patched.status_code == 200
    rows = client.get("/admin/billing/reports/reconciliation?day_from=2026-11-01&day_to=2026-11-30",
                      headers=street).json
    assert [(r["key"], r["kind"], r["state"], r["updated_by"]) for r in rows] == [
        ("pay:SY202611300001", "missing_ours", "open", None),
        ("pay:SY202611300002", "amount_differs", "explained", "收费主管陈")]  # the name staff know, not the login
    open_only = client.get("/admin/billing/reports/reconciliation?day_from=2026-11-30&day_to=2026-11-30&state=open",
                           headers=district).json
    assert [r["key"] for r in open_only] == ["pay:SY202611300001"]
    answer = client.get("/admin/billing/reports/reconciliation?day_from=2026-11-01&day_to=2026-11-30&format=csv",
                        headers=district)
    table = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert table[0] == ["对账日期", "单号", "差异类型", "我方金额（元）", "微信金额（元）", "我方状态", "微信状态",
                        "处理状态", "说明", "处理人", "处理时间"]
    assert table[2][:9] == ["2026-11-30", "pay:SY202611300002", "金额不符", "5.00", "6.00", "paid", "SUCCESS",
                            "已说明", "微信侧含优惠券"]
    assert table[1][2] == "我方无记录" and table[1][3] == "" and table[1][7] == "待处理"
    backwards = client.get("/admin/billing/reports/reconciliation?day_from=2026-11-30&day_to=2026-11-01",
                           headers=district)
    assert backwards.json["error"]["code"] == "PERIOD_INVALID"


def test_exemption_approvals_export_in_the_callers_street(client, desk, db_session):
    district, street = desk
    clerk = StaffFactory(roles=("billing_clerk",), username="clerk-ex")
    head = StaffFactory(roles=("billing_head",), username="head-ex")
    accounts = dict(db_session.execute(sa.select(FeeAccount.number, FeeAccount.id)).all())
    for number, status in (("A0002", "approved"), ("A0004", "requested")):
        db_session.add(Exemption(account_id=accounts[number], kind="dibao", reduction_pct=100,
                                 evidence=f"低保证 {number}", valid_from=date(2026, 11, 1), valid_to=date(2027, 10, 31),
                                 status=status, requested_by=clerk.id, requested_at=utcnow(),
                                 decided_by=head.id if status == "approved" else None,
                                 decided_at=utcnow() if status == "approved" else None,
                                 decision_reason="证件核实" if status == "approved" else None))
    db_session.commit()  # (a savepoint: every request's session ends with a rollback of what it did not commit)
    everywhere = client.get("/admin/billing/reports/exemptions", headers=district).json
    assert {(r["account_number"], r["status"], r["decided_by"]) for r in everywhere} == {
        ("A0002", "approved", "head-ex"), ("A0004", "requested", None)}
    mine = client.get("/admin/billing/reports/exemptions", headers=street).json  # 三元里 only: 京溪's A0004 not
    assert [(r["account_number"], r["street_name"], r["requested_by"]) for r in mine] == [
        ("A0002", "三元里街道", "clerk-ex")]
    workbook = client.get("/admin/billing/reports/exemptions?status=approved&format=xlsx", headers=district)
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    assert [c.value for c in sheet[1]][:6] == ["户号", "缴费人", "街道/镇", "减免类型", "减免比例（%）", "证明材料"]
    row = [c.value for c in sheet[2]]
    assert row[0] == "A0002" and row[3] == "低保" and row[8] == "已批准" and row[11] == "head-ex"
    assert sheet.max_row == 3 and sheet.cell(row=3, column=1).value == "合计"  # one row, and the totals row
    refused = client.get("/admin/billing/reports/exemptions?status=maybe", headers=district)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "VALIDATION_ERROR"


def _sheet(client, headers, url: str) -> list[list]:
    answer = client.get(url, headers=headers)
    assert answer.status_code == 200, answer.data[:200]
    return [[c.value for c in row] for row in load_workbook(io.BytesIO(answer.data)).active.iter_rows()]


def test_workbook_money_and_rates_are_numbers_with_a_totals_row_recomputing_the_rates(client, desk):
    """应收/实收 per street × period, and 合计: the rate is Σ实收 / Σ应收, never a sum or mean of the rates."""
    district, _ = desk
    url = "/admin/billing/reports/collection?period_from=2026-09&period_to=2026-10"
    rows = client.get(url, headers=district).json
    table = _sheet(client, district, url + "&format=xlsx")
    header, body, totals = table[0], table[1:-1], table[-1]
    assert len(body) == len(rows) and totals[0] == "合计"
    due, paid = sum(r["due_fen"] for r in rows), sum(r["paid_fen"] for r in rows)
    column = {title: n for n, title in enumerate(header)}
    assert totals[column["账单数"]] == sum(r["bills"] for r in rows)
    assert totals[column["应收（元）"]] == pytest.approx(due / 100) and totals[column["实收（元）"]] == pytest.approx(
        paid / 100)
    assert totals[column["收缴率"]] == pytest.approx(paid / due)
    assert totals[column["收缴率"]] != pytest.approx(sum(r[column["收缴率"]] for r in body) / len(body))
    for line in body:
        assert isinstance(line[column["应收（元）"]], int | float) and isinstance(line[column["收缴率"]], int | float)
    sheet = load_workbook(io.BytesIO(client.get(url + "&format=xlsx", headers=district).data)).active
    last = sheet.max_row
    assert sheet.cell(row=last, column=column["收缴率"] + 1).number_format == "0.00%"
    assert sheet.cell(row=last, column=column["应收（元）"] + 1).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=column["实收（元）"] + 1).number_format == "#,##0.00"


def test_workbook_money_is_exact_yuan_and_the_arrears_totals_add_up(client, desk):
    district, _ = desk
    url = "/admin/billing/reports/arrears?period_from=2026-09&period_to=2026-10"
    rows = client.get(url, headers=district).json
    table = _sheet(client, district, url + "&format=xlsx")
    column = {title: n for n, title in enumerate(table[0])}
    totals = table[-1]
    assert totals[0] == "合计" and totals[column["欠费户数"]] == sum(r["bills"] for r in rows) == 7
    assert totals[column["欠费金额（元）"]] == pytest.approx(sum(r["outstanding_fen"] for r in rows) / 100)
    assert totals[column["欠费金额（元）"]] == 67  # 三元里 3000 + 3200 fen, 京溪 500 fen
    assert totals[column["所属期"]] is None  # nothing to add up in a text column


def test_the_csv_download_is_utf8_with_one_charset_and_a_clean_header(client, desk):
    district, _ = desk
    answer = client.get("/admin/billing/reports/collection?period_from=2026-09&period_to=2026-10&format=csv",
                        headers=district)
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"  # it said charset=utf-8 twice
    table = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert table[0][:7] == ["街道/镇", "所属期", "账单数", "应收（元）", "实收（元）", "收缴率", "减免（元）"]
    assert all("charset" not in cell for row in table for cell in row)
    assert ["三元里街道", "2026-09", "3", "32.00", "2.00", "6.25%"] == table[1][:6]  # CSV keeps the rate's text
