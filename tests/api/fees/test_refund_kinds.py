"""A refund says what it is for: an overcharge or exemption lowers the bill's amount due and the bill stays settled;
a cancel gives the payment back and the bill is owed again (its payers are told). The reminders, the desk's reports,
the arrears rollup and `flask billing check` agree with both kinds."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from api.db import Session, utcnow
from api.events.models import Event
from api.events.service import Actor
from api.fees.billing import billrun, reminders, rollup
from api.fees.figures import service as reports
from api.fees.models import Bill, FeeAccount, OrderItem, PayOrder, Receipt, Refund
from api.fees.payments import books, orders, refunds
from api.fees.receipts import reversals
from api.fees.receipts import service as receipts
from api.identity.models import User
from api.notifications.models import Notification
from api.timefmt import SHANGHAI
from tests.factories.identity import CitizenFactory, StaffFactory
from tests.fees_world import SANYUANLI, make_world, months_ago
from tests.support import citizen_login, sql_statements, staff_token

PERIOD = months_ago(1)


@pytest.fixture
def world(db_session):
    make_world()
    billrun.run(PERIOD, Actor.system())
    db_session.commit()  # a savepoint released: a refused request rolls back only its own work
    return db_session


@pytest.fixture
def alice(client, wechat, world):
    headers = citizen_login(client, wechat, "o-refund-alice")
    assert client.post("/fees/accounts/bind", json={"number": "A0001", "check": "张三"}, headers=headers
                       ).status_code == 201
    return headers


@pytest.fixture
def desk(world):
    """The street's billing clerk who asks and a district billing head who approves (headers)."""
    clerk = StaffFactory(roles=("billing_clerk",), scope_division_code=SANYUANLI)
    head = StaffFactory(roles=("billing_head",))
    return staff_token(clerk), staff_token(head)


def _bill_id(session, number: str = "A0001") -> int:
    return session.scalar(sa.select(Bill.id).join(FeeAccount).where(FeeAccount.number == number,
                                                                     Bill.period == PERIOD))


def _paid(session, number: str = "A0001") -> int:
    """The account's bill paid in full by one order (as a verified notify settles it); returns the bill id."""
    bill = session.get(Bill, _bill_id(session, number))
    citizen = CitizenFactory()
    order = PayOrder(out_trade_no=f"SFKIND{bill.id:010d}", user_id=citizen.id, openid=citizen.openid,
                     amount_fen=bill.amount_fen, description="生活垃圾处理费",
                     time_expire=utcnow() + timedelta(minutes=30))
    session.add(order)
    session.flush()
    session.add(OrderItem(order_id=order.id, bill_id=bill.id, amount_fen=bill.amount_fen))
    bill.live_order_id = order.id
    session.flush()
    orders.settle({"out_trade_no": order.out_trade_no, "transaction_id": f"42{bill.id:026d}"}, source="notify")
    assert bill.status == "paid"
    session.commit()
    return bill.id


def _refunded(client, desk, bill_id: int, amount_fen: int, kind: str) -> dict:
    """Asked by the clerk, approved by the head, then confirmed by WeChat's refund notify."""
    clerk_h, head_h = desk
    asked = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": amount_fen, "kind": kind,
                                                        "reason": "核实后退费"}, headers=clerk_h)
    assert asked.status_code == 201, asked.json
    assert asked.json["kind"] == kind
    decided = client.post(f"/admin/billing/refunds/{asked.json['id']}/decision",
                          json={"approve": True, "reason": "同意"}, headers=head_h)
    assert decided.status_code == 200, decided.json
    resource = {"out_refund_no": asked.json["out_refund_no"], "refund_status": "SUCCESS",
                "amount": {"refund": amount_fen, "total": amount_fen}}
    assert refunds.settle_from_wechat(resource) is None
    Session.commit()  # as the notify's unit of work does
    return asked.json


def _bill(session, bill_id: int) -> tuple:
    bill = session.get(Bill, bill_id, populate_existing=True)
    return bill.amount_fen, bill.paid_fen, bill.adjusted_fen, bill.exempted_fen, bill.status


# -- asking --------------------------------------------------------------------------------------------------------
def test_a_refund_request_is_refused_when_it_does_not_say_what_it_is_for(client, world, desk):
    bill_id = _paid(world)
    for body in ({}, {"kind": "mistake"}):
        refused = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 100,
                                                              "reason": "退费", **body}, headers=desk[0])
        assert refused.status_code == 400 and "kind" in str(refused.json["error"]["details"])
    assert world.scalar(sa.select(sa.func.count()).select_from(Refund)) == 0


def test_an_overcharge_refund_is_refused_when_the_bill_is_not_paid_in_full(client, world, desk):
    bill_id = _bill_id(world)
    refused = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 100, "kind": "overcharge",
                                                          "reason": "多收"}, headers=desk[0])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "REFUND_BILL_NOT_SETTLED"


def test_a_cancel_is_refused_when_it_is_not_the_whole_payment(client, world, desk):
    bill_id = _paid(world)
    part = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 200, "kind": "cancel",
                                                       "reason": "撤销"}, headers=desk[0])
    assert part.status_code == 422 and part.json["error"]["code"] == "REFUND_CANCEL_NOT_WHOLE"
    assert part.json["error"]["details"]["refundable_fen"] == 500
    _refunded(client, desk, bill_id, 200, "overcharge")  # after an overcharge refund, the whole is what is left
    assert client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 300, "kind": "cancel",
                                                       "reason": "撤销"}, headers=desk[0]).status_code == 201


def test_the_desk_lists_refunds_by_kind(client, world, desk):
    _refunded(client, desk, _paid(world, "A0001"), 200, "overcharge")
    cancel = _refunded(client, desk, _paid(world, "A0002"), world.get(Bill, _bill_id(world, "A0002")).paid_fen,
                       "cancel")
    listed = client.get("/admin/billing/refunds?kind=cancel", headers=desk[0])
    assert [(r["id"], r["kind"]) for r in listed.json] == [(cancel["id"], "cancel")]
    assert len(client.get("/admin/billing/refunds", headers=desk[0]).json) == 2
    assert client.get("/admin/billing/refunds?kind=mistake", headers=desk[0]).status_code == 400


# -- what each kind does to the bill ------------------------------------------------------------------------------
def test_an_overcharge_refund_lowers_the_amount_due_and_the_bill_stays_paid(client, world, alice, desk):
    bill_id = _paid(world)
    refund = _refunded(client, desk, bill_id, 200, "overcharge")
    assert _bill(world, bill_id) == (300, 300, 200, 0, "paid")
    mine = client.get("/fees/bills", headers=alice).json
    assert [(b["amount_fen"], b["paid_fen"], b["adjusted_fen"], b["status"]) for b in mine] == [(300, 300, 200, "paid")]
    assert client.get("/fees/bills?status=payable", headers=alice).json == []
    event = world.scalar(sa.select(Event).where(Event.subject_type == "fee_bill", Event.action == "bill_refunded"))
    assert (event.from_state, event.to_state) == ("paid", "paid")
    assert event.payload["kind"] == "overcharge" and event.payload["amount_after_fen"] == 300
    asked = world.scalar(sa.select(Event).where(Event.subject_id == refund["id"], Event.action == "refund_requested"))
    assert asked.payload["kind"] == "overcharge"
    assert world.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0  # nothing owed: nobody is told
    assert books.check().balanced


def test_an_exemption_refund_lowers_the_amount_due_and_counts_as_exempted(client, world, desk):
    bill_id = _paid(world)
    _refunded(client, desk, bill_id, 500, "exemption")  # exempt for the whole month, after paying it
    assert _bill(world, bill_id) == (0, 0, 500, 500, "nothing_due")
    assert books.check().balanced


def test_a_cancel_refund_puts_the_bill_owed_again_and_tells_its_payers(client, world, alice, desk):
    bill_id = _paid(world)
    _refunded(client, desk, bill_id, 500, "cancel")
    assert _bill(world, bill_id) == (500, 0, 0, 0, "unpaid")
    assert [b["id"] for b in client.get("/fees/bills?status=payable", headers=alice).json] == [bill_id]
    told = world.scalars(sa.select(Notification).where(Notification.subject_type == "fee_bill")).all()
    assert len(told) == 1 and told[0].template_id == "tmpl-bill-reminder" and told[0].subject_id == bill_id
    assert told[0].data["amount3"]["value"] == "5.00元" and "重新缴纳" in told[0].data["thing5"]["value"]
    event = world.scalar(sa.select(Event).where(Event.subject_type == "fee_bill", Event.action == "bill_refunded"))
    assert (event.from_state, event.to_state, event.payload["kind"]) == ("paid", "unpaid", "cancel")
    assert books.check().balanced


# -- reminders, reports, the rollup and the books ------------------------------------------------------------------
def test_due_reminders_never_go_to_a_bill_an_overcharge_refund_settled(client, world, alice, desk):
    bill_id = _paid(world)
    _refunded(client, desk, bill_id, 100, "overcharge")
    due = world.get(Bill, bill_id).due_date
    reminded = reminders.remind("due", due - timedelta(days=1), street_code=SANYUANLI)
    assert world.scalar(sa.select(sa.func.count()).select_from(Notification).where(
        Notification.subject_id == bill_id)) == 0
    assert world.scalar(sa.select(Bill.reminded_due_at).where(Bill.id == bill_id)) is None
    assert reminded == 2  # the street's two unpaid bills, not the settled one


def test_reminders_go_again_to_a_bill_a_cancel_refund_reopened(client, world, alice, desk):
    bill_id = _paid(world)
    _refunded(client, desk, bill_id, 500, "cancel")
    due = world.get(Bill, bill_id).due_date
    reminders.remind("due", due - timedelta(days=1), street_code=SANYUANLI)
    assert world.scalar(sa.select(Bill.reminded_due_at).where(Bill.id == bill_id)) is not None


def _collection(street_rows) -> dict:
    row = next(r for r in street_rows if r["street_code"] == SANYUANLI)
    return {k: row[k] for k in ("bills", "due_fen", "paid_fen", "exempted_fen", "adjusted_fen", "rate")}


def _arrears() -> list[dict]:
    head = StaffFactory(roles=("billing_head",))
    today = utcnow().astimezone(SHANGHAI).date()
    assert rollup.differences() == []
    kept = reports.arrears(head, group_by="street", period_from=PERIOD, period_to=PERIOD, today=today,
                           use_rollup=True)
    assert kept == reports.arrears(head, group_by="street", period_from=PERIOD, period_to=PERIOD, today=today,
                                   use_rollup=False)
    return [(r["street_code"], r["bills"], r["outstanding_fen"]) for r in kept if r["street_code"] == SANYUANLI]


def test_reports_and_the_rollup_agree_with_an_overcharge_refund(client, world, desk):
    head = StaffFactory(roles=("billing_head",))
    bill_id = _paid(world)
    before, owed = _collection(reports.collection(head, period_from=PERIOD, period_to=PERIOD)), _arrears()
    _refunded(client, desk, bill_id, 200, "overcharge")
    after = _collection(reports.collection(head, period_from=PERIOD, period_to=PERIOD))
    assert after == dict(before, due_fen=before["due_fen"] - 200, paid_fen=before["paid_fen"] - 200,
                         adjusted_fen=200, rate=after["rate"])
    assert after["rate"] == f"{(before['paid_fen'] - 200) * 100 / (before['due_fen'] - 200):.2f}%"
    assert _arrears() == owed  # still settled: not in arrears
    rollup.fold()
    assert _arrears() == owed


def test_reports_and_the_rollup_agree_with_an_exemption_refund(client, world, desk):
    head = StaffFactory(roles=("billing_head",))
    bill_id = _paid(world)
    before, owed = _collection(reports.collection(head, period_from=PERIOD, period_to=PERIOD)), _arrears()
    _refunded(client, desk, bill_id, 150, "exemption")
    after = _collection(reports.collection(head, period_from=PERIOD, period_to=PERIOD))
    assert (after["due_fen"], after["paid_fen"], after["exempted_fen"], after["adjusted_fen"]) == (
        before["due_fen"] - 150, before["paid_fen"] - 150, before["exempted_fen"] + 150, 150)
    assert _arrears() == owed


def test_reports_and_the_rollup_agree_with_a_cancel_refund(client, world, desk):
    head = StaffFactory(roles=("billing_head",))
    bill_id = _paid(world)
    before, owed = _collection(reports.collection(head, period_from=PERIOD, period_to=PERIOD)), _arrears()
    refund = _refunded(client, desk, bill_id, 500, "cancel")
    after = _collection(reports.collection(head, period_from=PERIOD, period_to=PERIOD))
    assert after == dict(before, paid_fen=before["paid_fen"] - 500, rate=after["rate"])
    (street, bills, outstanding), = owed
    assert _arrears() == [(street, bills + 1, outstanding + 500)]  # owed again
    rollup.fold()
    assert _arrears() == [(street, bills + 1, outstanding + 500)]
    today = utcnow().astimezone(SHANGHAI).date()
    moved = reports.ledger(head, day_from=today, day_to=today)
    assert [(r["kind"], r["amount_fen"], r["refund_kind"]) for r in moved] == [("payment", 500, None),
                                                                                 ("refund", -500, "cancel")]
    assert moved[1]["out_refund_no"] == refund["out_refund_no"]


def test_the_ledger_export_names_the_refund_kind(client, world, desk):
    _refunded(client, desk, _paid(world), 200, "overcharge")
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    exported = client.get(f"/admin/billing/reports/ledger?day_from={today}&day_to={today}&format=csv",
                          headers=desk[1]).data.decode("utf-8-sig").splitlines()
    assert "退款类型" in exported[0] and ",多收退费," in exported[2]


def test_the_books_check_balances_with_both_kinds_and_finds_an_adjustment_nobody_refunded(app, client, world, desk):
    _refunded(client, desk, _paid(world, "A0001"), 200, "overcharge")
    _refunded(client, desk, _paid(world, "A0002"), world.get(Bill, _bill_id(world, "A0002")).paid_fen, "cancel")
    checked = app.test_cli_runner().invoke(args=["billing", "check"])
    assert checked.exit_code == 0 and "the books balance" in checked.output, checked.output
    bill_id = _bill_id(world, "A0003")
    world.execute(sa.update(Bill).where(Bill.id == bill_id).values(amount_fen=Bill.amount_fen - 100,
                                                                   adjusted_fen=100))
    found = books.check()
    assert [p for p in found.bill_problems if p.get("bill_id") == bill_id] == [
        {"bill_id": bill_id, "paid_fen": 0, "expected_fen": 0, "amount_fen": found.bill_problems[0]["amount_fen"],
         "adjusted_fen": 100, "expected_adjusted_fen": 0}]
    assert app.test_cli_runner().invoke(args=["billing", "check"]).exit_code == 1



# -- names: who asked, who decided ---------------------------------------------------------------------------------
def _named_desk():
    clerk = StaffFactory(roles=("billing_clerk",), scope_division_code=SANYUANLI, display_name="收费员王芳")
    head = StaffFactory(roles=("billing_head",), display_name="收费负责人李强")
    return (staff_token(clerk), staff_token(head)), clerk.id, head.id


def _statements(db_session, call) -> int:
    with sql_statements(db_session) as statements:
        call()
    return len(statements)


def test_refund_rows_name_who_asked_and_who_decided_and_when(client, world):
    desk, clerk_id, head_id = _named_desk()
    _refunded(client, desk, _paid(world, "A0001"), 200, "overcharge")
    asked = client.post("/admin/billing/refunds", json={"bill_id": _paid(world, "A0002"), "amount_fen": 100,
                                                        "kind": "overcharge", "reason": "多收"}, headers=desk[0])
    assert asked.status_code == 201
    assert (asked.json["requested_by"], asked.json["requested_by_name"], asked.json["decided_by_name"]) == (
        clerk_id, "收费员王芳", None)
    assert asked.json["requested_at"] and asked.json["decided_at"] is None
    rejected = client.post(f"/admin/billing/refunds/{asked.json['id']}/decision",
                           json={"approve": False, "reason": "不符合退费条件"}, headers=desk[1])
    assert (rejected.json["status"], rejected.json["decided_by"], rejected.json["decided_by_name"]) == (
        "rejected", head_id, "收费负责人李强")
    assert rejected.json["decided_at"] is not None
    listed = client.get("/admin/billing/refunds", headers=desk[0]).json
    assert [(r["status"], r["requested_by_name"], r["decided_by_name"]) for r in listed] == [
        ("rejected", "收费员王芳", "收费负责人李强"), ("succeeded", "收费员王芳", "收费负责人李强")]
    assert all(r["requested_at"] and r["decided_at"] for r in listed)
    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    moved = client.get(f"/admin/billing/reports/ledger?day_from={today}&day_to={today}", headers=desk[1]).json
    assert [(r["kind"], r["requested_by_name"], r["decided_by_name"]) for r in moved if r["kind"] == "refund"] == [
        ("refund", "收费员王芳", "收费负责人李强")]
    exported = client.get(f"/admin/billing/reports/ledger?day_from={today}&day_to={today}&format=csv",
                          headers=desk[1]).data.decode("utf-8-sig").splitlines()
    assert exported[0].endswith(",退款申请人,退款审批人")
    assert [line.split(",")[-2:] for line in exported if ",退款," in line] == [["收费员王芳", "收费负责人李强"]]


def test_the_refund_list_looks_names_up_once_however_many_rows(client, world, db_session):
    desk, _, _ = _named_desk()
    head = db_session.scalar(sa.select(User).where(User.display_name == "收费负责人李强"))
    _refunded(client, desk, _paid(world, "A0001"), 100, "overcharge")
    assert len(refunds.listing(head, None)) == 1  # (and the caller's row loaded again after the commits)
    one = _statements(db_session, lambda: refunds.listing(head, None))
    for number in ("A0002", "A0003"):
        _refunded(client, desk, _paid(world, number), 100, "overcharge")
    assert len(refunds.listing(head, None)) == 3
    assert _statements(db_session, lambda: refunds.listing(head, None)) == one == 2  # the refunds, their names


# -- receipts ------------------------------------------------------------------------------------------------------
def _issued_receipt(session, bill_id: int) -> Receipt:
    order_id = session.scalar(sa.select(OrderItem.order_id).where(OrderItem.bill_id == bill_id))
    assert receipts.prepare(order_id) == 1
    receipt = session.scalar(sa.select(Receipt).where(Receipt.order_id == order_id))
    receipts.issue(receipt.id)
    assert receipt.status == "issued"
    return receipt


def test_a_cancel_reverses_the_receipt_and_issues_none_for_the_bill(client, world, desk):
    bill_id = _paid(world)
    receipt = _issued_receipt(world, bill_id)
    refund = _refunded(client, desk, bill_id, 500, "cancel")
    assert reversals.after_refund(refund["id"]) == 1
    rows = world.scalars(sa.select(Receipt).order_by(Receipt.id).execution_options(populate_existing=True)).all()
    assert [(r.id, r.status) for r in rows] == [(receipt.id, "reversed")] and rows[0].reversal_number


def test_an_overcharge_reverses_the_receipt_and_issues_it_again_for_the_new_amount(client, world, desk):
    bill_id = _paid(world)
    receipt = _issued_receipt(world, bill_id)
    refund = _refunded(client, desk, bill_id, 200, "overcharge")
    assert reversals.after_refund(refund["id"]) == 1
    rows = world.scalars(sa.select(Receipt).order_by(Receipt.id).execution_options(populate_existing=True)).all()
    assert [(r.status, r.amount_fen, r.replaces_id) for r in rows] == [("reversed", 500, None),
                                                                       ("awaiting_issue", 300, receipt.id)]
