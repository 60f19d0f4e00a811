"""Fee accounts, bill runs, exemptions, standards, prepay, reminders, refunds and the books, through the API."""

import csv
import dataclasses
import io
from datetime import date

import pytest
import sqlalchemy as sa

from api.config import get_config, init_config
from api.events.service import Actor
from api.fees.billing import billrun
from api.fees.models import Bill, BillLine, BillRun, FeeAccount, PayOrder
from api.fees.payments import books
from api.notifications.models import Notification
from api.premises.models import Premises
from api.wechatpay.client import reset_pay_client
from tests.factories.identity import StaffFactory
from tests.fees_world import JINGXI, SANYUANLI, make_world, months_ago
from tests.support import citizen_login, staff_token


@pytest.fixture
def world(db_session):
    make_world()
    db_session.flush()
    return db_session


@pytest.fixture
def alice(client, wechat, world):
    headers = citizen_login(client, wechat, "o-alice")
    assert client.post("/fees/accounts/bind", json={"number": "A0001", "check": "张三"}, headers=headers
                       ).status_code == 201
    return headers


def staff(role: str, street: str | None = None) -> tuple[dict, int]:
    """A staff member's Authorization header and id (taken at once: requests end the test's session)."""
    user = StaffFactory(roles=(role,), scope_division_code=street)
    return staff_token(user), user.id


def _bills(session, period: date) -> dict[str, tuple[int, list]]:
    rows = session.execute(sa.select(FeeAccount.number, Bill.amount_fen, Bill.id).join(Bill)
                           .where(Bill.period == period))
    out = {}
    for number, amount, bill_id in rows:
        lines = session.scalars(sa.select(BillLine.item_code).where(BillLine.bill_id == bill_id)).all()
        out[number] = (amount, lines)
    return out


# -- the register -------------------------------------------------------------------------------------------
def test_imports_are_all_or_nothing(app, world):
    from api.errors import DomainError
    from api.fees.billing.accounts import import_accounts
    from api.premises.service import import_premises

    before = world.scalar(sa.select(sa.func.count()).select_from(Premises))
    with pytest.raises(DomainError) as rejected:
        import_premises("code,kind,address,street_code\nX-1,household,某路1号,440111002000\n"
                        "X-2,castle,某路2号,440111002000\nX-3,household,,440111002000\n", Actor.system())
    assert [e["line"] for e in rejected.value.details["errors"]] == [3, 4]
    assert world.scalar(sa.select(sa.func.count()).select_from(Premises)) == before
    with pytest.raises(DomainError) as unknown:
        import_accounts("number,premises_code,payer_kind,payer_name,basis\nB1,P-0001,resident,甲,household_month\n"
                        "B2,P-NOPE,resident,乙,household_month\n", Actor.system())
    assert unknown.value.details["errors"][0]["line"] == 3
    assert world.scalar(sa.select(FeeAccount.id).where(FeeAccount.number == "B1")) is None
    # re-importing updates in place
    assert import_accounts("number,premises_code,payer_kind,payer_name,basis,units\n"
                           "A0002,P-0002,temporary,李四,person_month,4\n", Actor.system()) == 1
    assert world.scalar(sa.select(FeeAccount.units).where(FeeAccount.number == "A0002")) == 4


def test_the_cli_imports_a_csv(app, world, tmp_path):
    path = tmp_path / "premises.csv"
    path.write_text("code,kind,address,street_code\nCLI-1,household,某路9号,440111002000\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["premises-import", str(path)])
    assert result.exit_code == 0 and "1 premises imported" in result.output
    path.write_text("code,kind,address,street_code\nCLI-2,household,某路9号,999\n", encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["premises-import", str(path)])
    assert refused.exit_code != 0 and "IMPORT_REJECTED" in refused.output



def test_import_problems_are_told_in_chinese_with_their_values_kept_and_in_english_on_request(app, world, tmp_path):
    """Each bad row's problem is a catalogue message with its values (the column, the choices, the line): the CLI
    and the error envelope write it in Chinese by default, in English when asked."""
    from api import i18n
    from api.errors import DomainError, error_body
    from api.fees.billing.accounts import import_accounts
    from api.premises.service import import_premises

    with pytest.raises(DomainError) as premises_refused:
        import_premises("code,kind,address,street_code,occupants\nX-1,castle,某路1号,440111002000,2\n"
                        "X-2,household,某路2号,440111002000,many\n", Actor.system())
    with pytest.raises(DomainError) as accounts_refused:
        import_accounts("number,premises_code,payer_kind,payer_name,basis\nB1,P-0001,tourist,甲,household_month\n"
                        "B2,P-NOPE,resident,乙,household_month\n", Actor.system())
    with pytest.raises(DomainError) as columns_refused:
        import_premises("code,kind,colour\nX-1,household,red\n", Actor.system())
    assert [e["problem"] for e in error_body(premises_refused.value)["details"]["errors"]] == [
        "kind 须为以下值之一：household, business", "occupants 须为整数"]
    assert [(e["line"], e["number"], e["problem"]) for e in error_body(accounts_refused.value)["details"]["errors"]] \
        == [(2, "B1", "payer_kind 须为以下值之一：resident, temporary, individual_business, organisation"),
            (3, "B2", "premises_code 在门牌登记中不存在（请先导入门牌）")]
    assert error_body(columns_refused.value)["details"]["errors"] == ["缺少列 'address'", "不支持的列 'colour'"]
    with i18n.force_locale("en"):
        assert [e["problem"] for e in error_body(premises_refused.value)["details"]["errors"]] == [
            "kind must be one of household, business", "occupants must be an integer"]
        assert error_body(columns_refused.value)["details"]["errors"] == ["missing column 'address'",
                                                                          "unknown column 'colour'"]
    path = tmp_path / "premises.csv"
    path.write_text("code,kind,address,street_code\nCLI-3,household,某路9号,999\n", encoding="utf-8")
    refused = app.test_cli_runner().invoke(args=["premises-import", str(path)])
    assert refused.exit_code != 0 and "IMPORT_REJECTED" in refused.output
    assert "street_code 须为本区的街道或镇（或给出位于网格内的坐标）" in refused.output


# -- binding ------------------------------------------------------------------------------------------------
def test_binding_needs_the_number_and_the_payer_and_is_rate_limited(client, wechat, world):
    bob = citizen_login(client, wechat, "o-bob")
    by_phone = client.post("/fees/accounts/bind", json={"number": "A0002", "check": "5678"}, headers=bob)
    assert by_phone.status_code == 201 and by_phone.json["payer_name"] == "李*"
    again = client.post("/fees/accounts/bind", json={"number": "A0002", "check": "李四"}, headers=bob)
    assert again.status_code == 201  # binding twice is one binding
    assert [a["number"] for a in client.get("/fees/accounts", headers=bob).json] == ["A0002"]
    wrong = client.post("/fees/accounts/bind", json={"number": "A0003", "check": "张三"}, headers=bob)
    unknown = client.post("/fees/accounts/bind", json={"number": "Z9999", "check": "张三"}, headers=bob)
    assert wrong.status_code == unknown.status_code == 422
    assert wrong.json["error"]["code"] == unknown.json["error"]["code"] == "BINDING_CHECK_FAILED"
    codes = [client.post("/fees/accounts/bind", json={"number": "A0003", "check": f"{n:04d}"}, headers=bob
                         ).status_code for n in range(get_config().BIND_MAX_PER_HOUR)]
    assert codes == [422] * 6 + [429] * 4  # four attempts were made before: ten an hour per user
    assert client.delete(f"/fees/accounts/{by_phone.json['id']}", headers=bob).status_code == 204
    assert client.get("/fees/accounts", headers=bob).json == []


def test_staff_unbind_with_a_reason_in_their_street_only(client, alice, world):
    account_id = world.scalar(sa.select(FeeAccount.id).where(FeeAccount.number == "A0001"))
    user_id = client.get("/me", headers=alice).json["id"]
    elsewhere, _ = staff("billing_clerk", JINGXI)
    here, _ = staff("billing_clerk", SANYUANLI)
    body = {"user_id": user_id, "reason": "户主申请解绑"}
    assert client.post(f"/admin/billing/accounts/{account_id}/unbind", json=body,
                       headers=elsewhere).json["error"]["code"] == "ACCOUNT_NOT_FOUND"
    assert client.post(f"/admin/billing/accounts/{account_id}/unbind", json=body,
                       headers=here).status_code == 204
    assert client.get("/fees/accounts", headers=alice).json == []
    found = client.get("/admin/billing/accounts?phone_suffix=1234", headers=here).json
    assert [a["number"] for a in found] == ["A0001"] and found[0]["payer_name"] == "张三"
    assert client.get("/admin/billing/accounts?number=A0004", headers=here).json == []
    assert [a["number"] for a in client.get("/admin/billing/accounts?address=102房", headers=here).json] == ["A0002"]


# -- bill runs ------------------------------------------------------------------------------------------------
def test_a_bill_run_bills_every_active_account_once_and_resumes(world):
    period = date(2026, 10, 1)
    partial = billrun.run(period, Actor.system(), batch=2, stop_after=1)  # as if cut off after one batch
    assert (partial.status, partial.bills_created) == ("running", 2)
    done = billrun.run(period, Actor.system(), batch=2)
    assert (done.status, done.bills_created) == ("done", 4)
    assert _bills(world, period) == {"A0001": (500, ["disposal"]), "A0002": (300, ["disposal"]),
                                     "A0003": (2400, ["disposal"]), "A0004": (500, ["disposal"])}
    world.execute(sa.update(BillRun).values(status="running", cursor=0))  # a re-run from scratch adds nothing
    assert billrun.run(period, Actor.system()).bills_created == 4
    assert world.scalar(sa.select(sa.func.count()).select_from(Bill)) == 4
    assert world.scalar(sa.select(Bill.due_date).limit(1)) == date(2026, 11, 15)


def test_exemption_rows_name_who_asked_and_who_decided_and_when(client, world):
    clerk_user = StaffFactory(roles=("billing_clerk",), scope_division_code=SANYUANLI, display_name="收费员王芳")
    head_user = StaffFactory(roles=("billing_head",), display_name="收费负责人李强")
    clerk, head, clerk_id, head_id = staff_token(clerk_user), staff_token(head_user), clerk_user.id, head_user.id
    account_id = world.scalar(sa.select(FeeAccount.id).where(FeeAccount.number == "A0001"))
    asked = client.post("/admin/billing/exemptions", json={
        "account_id": account_id, "kind": "dibao", "evidence": "低保证 穗白民低字第0002号",
        "valid_from": "2026-11-21", "valid_to": "2027-11-20"}, headers=clerk)
    assert asked.status_code == 201
    assert (asked.json["requested_by"], asked.json["requested_by_name"], asked.json["decided_by_name"]) == (
        clerk_id, "收费员王芳", None)
    assert asked.json["requested_at"] and asked.json["decided_at"] is None
    decided = client.post(f"/admin/billing/exemptions/{asked.json['id']}/decision",
                          json={"approve": True, "reason": "证件核实"}, headers=head)
    assert (decided.json["decided_by"], decided.json["decided_by_name"]) == (head_id, "收费负责人李强")
    listed = client.get("/admin/billing/exemptions", headers=clerk).json
    assert [(r["requested_by_name"], r["decided_by_name"], bool(r["requested_at"]), bool(r["decided_at"]))
            for r in listed] == [("收费员王芳", "收费负责人李强", True, True)]
    report = client.get("/admin/billing/reports/exemptions", headers=head).json
    assert [(r["requested_by"], r["requested_by_name"], r["decided_by"], r["decided_by_name"]) for r in report] == [
        (clerk_user.username, "收费员王芳", head_user.username, "收费负责人李强")]
    exported = client.get("/admin/billing/reports/exemptions?format=csv", headers=head).data.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(exported)))
    assert (row[header.index("申请人")], row[header.index("审批人")]) == ("收费员王芳", "收费负责人李强")
    assert row[header.index("申请时间")] and row[header.index("审批时间")]


def test_an_exemption_and_a_standard_change_are_prorated_in_the_run(client, world):
    clerk, _ = staff("billing_clerk", SANYUANLI)
    head, head_id = staff("billing_head")
    account_id = world.scalar(sa.select(FeeAccount.id).where(FeeAccount.number == "A0001"))
    request = client.post("/admin/billing/exemptions", json={
        "account_id": account_id, "kind": "dibao", "evidence": "低保证 穗白民低字第0001号",
        "valid_from": "2026-11-21", "valid_to": "2027-11-20"}, headers=clerk)
    assert request.status_code == 201 and request.json["status"] == "requested"
    own = client.post(f"/admin/billing/exemptions/{request.json['id']}/decision",
                      json={"approve": True, "reason": "自批"}, headers=clerk)
    assert own.json["error"]["code"] == "ROLE_NOT_ALLOWED"
    approved = client.post(f"/admin/billing/exemptions/{request.json['id']}/decision",
                           json={"approve": True, "reason": "证件核实"}, headers=head)
    assert approved.json["status"] == "approved" and approved.json["decided_by"] == head_id
    again = client.post(f"/admin/billing/exemptions/{request.json['id']}/decision",
                        json={"approve": False, "reason": "改判"}, headers=head)
    assert again.json["error"]["code"] == "ALREADY_DECIDED"
    changed = client.post("/admin/billing/standards", json={
        "item_code": "disposal", "basis": "person_month", "amount_fen": 160, "effective_from": "2026-11-16",
        "source": "测试：调整暂住人员标准"}, headers=head)
    assert changed.status_code == 201
    billrun.run(date(2026, 11, 1), Actor.system())
    bills = _bills(world, date(2026, 11, 1))
    assert bills["A0001"][0] == 333  # 20 of 30 days charged
    assert world.scalar(sa.select(Bill.exempted_fen).join(FeeAccount).where(
        FeeAccount.number == "A0001", Bill.period == date(2026, 11, 1))) == 167  # shown apart in the reports
    assert bills["A0002"][0] == 3 * (15 * 100 + 15 * 160) // 30  # 390: 15 days at 1.00, 15 at 1.60
    late = client.post("/admin/billing/standards", json={
        "item_code": "disposal", "basis": "bin", "amount_fen": 700, "effective_from": "2026-11-30",
        "source": "测试"}, headers=head)
    assert late.json["error"]["code"] == "STANDARD_IN_THE_PAST"


def test_only_district_wide_heads_change_standards(client, world):
    street_head, _ = staff("billing_head", SANYUANLI)
    clerk, _ = staff("billing_clerk")
    body = {"item_code": "disposal", "basis": "bin", "amount_fen": 700, "effective_from": "2099-01-01",
            "source": "测试"}
    assert client.post("/admin/billing/standards", json=body, headers=street_head
                       ).json["error"]["code"] == "DISTRICT_WIDE_ONLY"
    assert client.post("/admin/billing/standards", json=body, headers=clerk).status_code == 403
    items = client.get("/admin/billing/items", headers=clerk).json
    assert [(i["code"], i["enabled"], len(i["standards"])) for i in items] == [("disposal", True, 3),
                                                                               ("cleaning", False, 0)]


# -- paying ------------------------------------------------------------------------------------------------------
def test_prepay_locks_each_bill_into_one_live_order(client, wechat, alice, world):
    billrun.run(months_ago(1), Actor.system())
    bill_id = client.get("/fees/bills?status=payable", headers=alice).json[0]["id"]
    first = client.post("/fees/orders", json={"bill_ids": [bill_id]}, headers=alice)
    assert first.status_code == 201
    second = client.post("/fees/orders", json={"bill_ids": [bill_id]}, headers=alice)
    assert second.status_code == 409 and second.json["error"]["code"] == "BILL_IN_ANOTHER_ORDER"
    again = client.post(f"/fees/orders/{first.json['order']['id']}/payment", headers=alice)
    assert again.status_code == 200 and again.json["package"] == first.json["payment"]["package"]
    cancelled = client.post(f"/fees/orders/{first.json['order']['id']}/cancel", headers=alice)
    assert cancelled.json["status"] == "closed"
    assert client.post("/fees/orders", json={"bill_ids": [bill_id]}, headers=alice).status_code == 201
    other = world.scalar(sa.select(Bill.id).join(FeeAccount).where(FeeAccount.number == "A0002"))
    assert client.post("/fees/orders", json={"bill_ids": [other]}, headers=alice).json["error"]["code"] == \
        "BILL_NOT_FOUND"


def test_wechat_pay_down_charges_nothing_and_locks_nothing(client, alice, world):
    from tests.support import free_port

    billrun.run(months_ago(1), Actor.system())
    bill_id = client.get("/fees/bills?status=payable", headers=alice).json[0]["id"]
    init_config(dataclasses.replace(get_config(), WECHATPAY_API_BASE=f"http://127.0.0.1:{free_port()}"))
    reset_pay_client()
    down = client.post("/fees/orders", json={"bill_ids": [bill_id]}, headers=alice)
    assert down.status_code == 503 and down.json["error"]["code"] == "PAYMENTS_UNAVAILABLE"
    assert world.scalar(sa.select(sa.func.count()).select_from(PayOrder)) == 0
    assert world.scalar(sa.select(Bill.live_order_id).where(Bill.id == bill_id)) is None


# -- reminders ---------------------------------------------------------------------------------------------------
def test_reminders_go_once_per_bill_per_stage_and_respect_scope(client, wechat, alice, world):
    billrun.run(months_ago(3), Actor.system())
    clerk, _ = staff("billing_clerk", SANYUANLI)
    first = client.post("/admin/billing/reminders", json={"stage": "overdue"}, headers=clerk)
    assert first.json["count"] == 3
    assert client.post("/admin/billing/reminders", json={"stage": "overdue"}, headers=clerk
                       ).json["count"] == 0
    outside = client.post("/admin/billing/reminders", json={"stage": "overdue", "street_code": JINGXI},
                          headers=clerk)
    assert outside.status_code == 404
    assert world.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1  # only A0001 has a bound user
    assert client.post("/admin/billing/reminders", json={"stage": "due"}, headers=clerk
                       ).json["count"] == 0  # nothing falls due in the next days


# -- refunds and the books ----------------------------------------------------------------------------------------
def test_a_refund_larger_than_what_was_paid_is_refused(client, world):
    billrun.run(months_ago(1), Actor.system())
    clerk, _ = staff("billing_clerk")
    bill_id = world.scalar(sa.select(Bill.id).limit(1))
    refused = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 1, "kind": "cancel",
                                                             "reason": "测试退款"},
                          headers=clerk)
    assert refused.status_code == 422 and refused.json["error"]["details"]["refundable_fen"] == 0


def test_the_books_check_finds_a_bill_whose_paid_amount_has_no_payment(world):
    billrun.run(months_ago(1), Actor.system())
    assert books.check().balanced
    world.execute(sa.update(Bill).where(Bill.id == world.scalar(sa.select(Bill.id).limit(1))).values(paid_fen=100))
    found = books.check()
    assert not found.balanced and found.bill_problems[0]["paid_fen"] == 100 and found.bill_problems[0][
        "expected_fen"] == 0


def test_accepted_notifies_are_recorded_past_the_drivers_prepare_threshold(world):
    """psycopg prepares a statement server-side from its 6th execution on a connection, and PostgreSQL plans it
    generically a few executions later: a partial-index ON CONFLICT must then still find its index (its predicate
    written as the index's own text, not a bound parameter). Seen in bench/billing.py: 702 of 4,000 notifies."""
    from api.fees.models import PayNotification
    from api.fees.payments import notify

    for n in range(30):
        notify._keep({"id": f"EV-{n}", "event_type": "TRANSACTION.SUCCESS", "resource": {}}, "accepted", "", {},
                     b"{}", signed_at=None)
    notify._keep({"id": "EV-1", "event_type": "TRANSACTION.SUCCESS", "resource": {}}, "accepted", "", {}, b"{}",
                 signed_at=None)  # the same id again: nothing added
    assert world.scalar(sa.select(sa.func.count()).select_from(PayNotification)) == 30


def test_the_books_check_finds_lines_that_do_not_add_up_or_have_no_bill(world):
    from api.fees.models import BillLine

    billrun.run(months_ago(1), Actor.system())
    world.execute(sa.update(BillLine).where(BillLine.bill_id == world.scalar(sa.select(Bill.id).limit(1)))
                  .values(amount_fen=499))
    world.add(BillLine(bill_id=987654321, item_code="disposal", amount_fen=1, detail={}))
    world.flush()
    problems = books.check().bill_problems
    assert any(p.get("lines_fen") == 499 for p in problems)
    assert {"line": "987654321/disposal", "problem": "no such bill or item"} in problems
