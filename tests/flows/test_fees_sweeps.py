"""The clock's fee work against the simulator: expired orders closed, refunds followed up when their notify is
lost, reconciliation's mismatches (and a re-run that replaces them), exemptions re-pricing unpaid bills."""

import dataclasses

import pytest
import requests
import sqlalchemy as sa

from api.config import get_config, init_config
from api.db import unit_of_work, utcnow
from api.events.service import Actor
from api.fees.billing import billrun
from api.fees.models import Bill, LedgerEntry, PayOrder, ReconMismatch, Refund
from api.fees.payments import reconcile
from api.timefmt import SHANGHAI
from tests.factories.identity import StaffFactory
from tests.fees_world import make_world, months_ago, pay_sheet, wait_for
from tests.support import citizen_login, run_worker, staff_token
from workers.billing import pay_sweep, reconcile_yesterday

pytestmark = pytest.mark.flow


@pytest.fixture
def alice(app, client, wechat, api_server, committed):
    with unit_of_work():
        make_world()
        billrun.run(months_ago(1), Actor.system())
    headers = citizen_login(client, wechat, "o-sweep-alice")
    assert client.post("/fees/accounts/bind", json={"number": "A0001", "check": "张三"}, headers=headers
                       ).status_code == 201
    init_config(dataclasses.replace(get_config(), PAY_QUERY_AFTER_S=0))
    return headers


def _order(client, headers) -> tuple[dict, dict]:
    bill = client.get("/fees/bills?status=payable", headers=headers).json[0]
    answer = client.post("/fees/orders", json={"bill_ids": [bill["id"]]}, headers=headers).json
    return answer["order"], answer["payment"]


def test_an_expired_unpaid_order_is_closed_and_its_bill_released(client, alice, committed, mock_server):
    order, payment = _order(client, alice)
    with unit_of_work():
        committed.execute(sa.update(PayOrder).values(time_expire=utcnow()))
    assert pay_sweep() == {"closed": 1}
    assert client.get(f"/fees/orders/{order['id']}", headers=alice).json["status"] == "closed"
    state = requests.get(mock_server.url + f"_mock/pay/orders/{order['out_trade_no']}", timeout=5).json()
    assert state["trade_state"] == "CLOSED"  # closed at WeChat too: the payer can no longer pay it
    assert committed.scalar(sa.select(Bill.live_order_id)) is None


def test_a_refund_whose_notify_is_lost_is_settled_by_the_sweep(client, alice, committed, mock_server):
    order, payment = _order(client, alice)
    pay_sheet(mock_server.url, payment)
    wait_for(lambda: client.get(f"/fees/orders/{order['id']}", headers=alice).json["status"] == "paid")
    clerk, head = StaffFactory(roles=("billing_clerk",)), StaffFactory(roles=("billing_head",))
    committed.commit()
    clerk_h, head_h = staff_token(clerk), staff_token(head)
    bill_id = client.get("/fees/bills", headers=alice).json[0]["id"]
    refund = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 120, "kind": "overcharge",
                                                           "reason": "多收"},
                         headers=clerk_h).json
    # WeChat cannot reach us for the refund notify (a dead URL): only the sweep's query can settle it
    init_config(dataclasses.replace(get_config(), WECHATPAY_REFUND_NOTIFY_URL="http://127.0.0.1:9/refund-notify"))
    from api.wechatpay.client import reset_pay_client

    reset_pay_client()
    requests.post(mock_server.url + "_mock/pay/config", json={"refund_delay_s": 0.2}, timeout=5)  # PROCESSING first
    client.post(f"/admin/billing/refunds/{refund['id']}/decision", json={"approve": True, "reason": "同意"},
                headers=head_h)
    run_worker()
    committed.rollback()
    assert committed.scalar(sa.select(Refund.status)) == "processing"
    wait_for(lambda: any(d["event_type"] == "REFUND.SUCCESS" and d["attempts"] for d in requests.get(
        mock_server.url + "_mock/pay/deliveries", timeout=5).json()))  # WeChat tried, and could not reach us
    assert pay_sweep() == {"refund succeeded": 1}
    assert client.get("/fees/bills", headers=alice).json[0]["paid_fen"] == 380


def test_reconciliation_records_each_kind_of_mismatch_and_a_rerun_replaces_them(client, alice, committed,
                                                                                  mock_server, app):
    order, payment = _order(client, alice)
    pay_sheet(mock_server.url, payment)
    wait_for(lambda: client.get(f"/fees/orders/{order['id']}", headers=alice).json["status"] == "paid")
    today = utcnow().astimezone(SHANGHAI).date()
    with unit_of_work():
        first = reconcile.run(today, Actor.system())
    assert (first.wechat_in_fen, first.ours_in_fen, first.mismatches) == (500, 500, 0)
    with unit_of_work():  # our side drifts: an amount differs, and an entry WeChat never saw
        committed.execute(sa.update(LedgerEntry).values(amount_fen=499))
        committed.add(LedgerEntry(key="pay:SFPHANTOM0001", kind="payment", order_id=committed.scalar(
            sa.select(PayOrder.id)), amount_fen=100, occurred_at=utcnow()))
    with unit_of_work():
        second = reconcile.run(today, Actor.system())
    kinds = dict(committed.execute(sa.select(ReconMismatch.key, ReconMismatch.kind)).all())
    assert kinds == {f"pay:{order['out_trade_no']}": "amount_differs", "pay:SFPHANTOM0001": "missing_theirs"}
    assert second.id == first.id and second.mismatches == 2
    billing = StaffFactory(roles=("billing_clerk",))
    committed.commit()
    headers = staff_token(billing)
    seen = client.get(f"/admin/billing/reconciliation?date={today.isoformat()}", headers=headers).json
    phantom = next(i for i in seen["items"] if i["kind"] == "missing_theirs")
    explained = client.patch(f"/admin/billing/reconciliation/mismatches/{phantom['id']}",
                             json={"state": "explained", "note": "测试数据"}, headers=headers)
    assert explained.json["state"] == "explained"
    with unit_of_work():
        reconcile.run(today, Actor.system())  # again: the same two, the note kept, nothing duplicated
    rows = committed.execute(sa.select(ReconMismatch.kind, ReconMismatch.state)).all()
    assert sorted(rows) == [("amount_differs", "open"), ("missing_theirs", "explained")]
    check = app.test_cli_runner().invoke(args=["billing", "check"])
    assert check.exit_code != 0 and "WeChat's bill 500 fen" in check.output  # the books say so too


def test_the_clock_reconciles_yesterday_once_wechat_has_its_bill(alice, committed):
    from datetime import datetime, time, timedelta

    today = utcnow().astimezone(SHANGHAI).date()
    morning = datetime.combine(today, time(9, 0), SHANGHAI)
    with unit_of_work():
        assert reconcile.due_day(morning, 10) is None  # WeChat's bill for yesterday is not ready before 10:00
        assert reconcile.due_day(morning + timedelta(hours=2), 10) == today - timedelta(days=1)
        reconcile.run(today - timedelta(days=1), Actor.system())
    with unit_of_work():
        assert reconcile.due_day(morning + timedelta(hours=2), 10) is None  # done once for that day
    assert reconcile_yesterday() == "nothing due"


def test_an_approved_exemption_reprices_bills_nobody_has_started_paying(client, alice, committed):
    clerk, head = StaffFactory(roles=("billing_clerk",)), StaffFactory(roles=("billing_head",))
    committed.commit()
    clerk_h, head_h = staff_token(clerk), staff_token(head)
    period = months_ago(1)
    account_id = committed.scalar(sa.select(Bill.account_id).where(Bill.amount_fen == 500).limit(1))
    request = client.post("/admin/billing/exemptions", json={
        "account_id": account_id, "kind": "tekun", "evidence": "特困供养证 0001",
        "valid_from": period.isoformat(), "valid_to": "2099-12-31"}, headers=clerk_h).json
    client.post(f"/admin/billing/exemptions/{request['id']}/decision", json={"approve": True, "reason": "核实"},
                headers=head_h)
    committed.rollback()
    bill = committed.scalar(sa.select(Bill).where(Bill.account_id == account_id, Bill.period == period))
    assert (bill.amount_fen, bill.status) == (0, "nothing_due")
