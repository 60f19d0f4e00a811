"""Sanitation fees end to end: bind → bill run → reminder → prepay → the simulator pays → notify → bills paid and
receipts prepared → an overcharge refund approved → refund notify (the bill stays paid, for less) → reconciliation →
`flask billing check` balances; and a cancel refund: the bill owed again, its payer told, its receipt reversed.

The API serves on a real port (the simulator's notify sender posts to it), the simulator on its own, the jobs
run in a real RQ worker against real Redis, WeChat Pay only through wechatpayv3."""

import pytest
import sqlalchemy as sa

from api.db import unit_of_work, utcnow
from api.fees.models import Bill, LedgerEntry, PayNotification, PayOrder, Receipt, Refund
from api.timefmt import SHANGHAI
from tests.factories.identity import StaffFactory
from tests.fees_world import SANYUANLI, make_world, months_ago, pay_sheet, wait_for
from tests.support import citizen_login, run_worker, staff_token

pytestmark = pytest.mark.flow
TEMPLATE = "tmpl-bill-reminder"


def test_a_citizen_pays_a_bill_and_billing_refunds_part_of_it(app, client, wechat, api_server, committed,
                                                             mock_server):
    with unit_of_work():
        make_world()
    clerk = StaffFactory(roles=("billing_clerk",), scope_division_code=SANYUANLI)
    head = StaffFactory(roles=("billing_head",))
    committed.commit()
    alice = citizen_login(client, wechat, "o-fee-alice")
    wechat.allow("o-fee-alice", TEMPLATE)
    assert client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice).status_code == 200

    bound = client.post("/fees/accounts/bind", json={"number": "A0001", "check": "张三"}, headers=alice)
    assert bound.status_code == 201 and bound.json["payer_name"] == "张*"

    period = months_ago(3)
    ran = app.test_cli_runner().invoke(args=["billing", "run", "--period", period.strftime("%Y-%m")])
    assert ran.exit_code == 0, ran.output
    assert "4 bills" in ran.output

    reminded = client.post("/admin/billing/reminders", json={"stage": "overdue"}, headers=staff_token(clerk))
    assert reminded.status_code == 200 and reminded.json["count"] == 3  # the street's three accounts
    run_worker()
    sent = wechat.messages("o-fee-alice")
    assert len(sent) == 1 and sent[0]["template_id"] == TEMPLATE
    assert sent[0]["data"]["amount3"]["value"] == "5.00元" and sent[0]["data"]["character_string1"]["value"] == "A0001"

    bills = client.get("/fees/bills?status=payable", headers=alice).json
    assert [(b["amount_fen"], b["status"]) for b in bills] == [(500, "unpaid")]
    prepay = client.post("/fees/orders", json={"bill_ids": [bills[0]["id"]]}, headers=alice)
    assert prepay.status_code == 201, prepay.json
    order, payment = prepay.json["order"], prepay.json["payment"]
    assert order["amount_fen"] == 500 and payment["signType"] == "RSA" and payment["package"].startswith("prepay_id=")

    pay_sheet(mock_server.url, payment)  # the simulator verifies paySign, pays and sends the notify
    wait_for(lambda: client.get(f"/fees/orders/{order['id']}", headers=alice).json["status"] == "paid")
    assert client.get("/fees/bills", headers=alice).json[0]["status"] == "paid"
    run_worker()  # the receipts job queued with the settlement, then the issuing job it queues
    receipts = committed.scalars(sa.select(Receipt)).all()
    assert [(r.kind, r.amount_fen, r.payer_name, r.status) for r in receipts] == [("fiscal", 500, "张三", "issued")]
    assert receipts[0].doc_number and receipts[0].check_code and receipts[0].pdf_key

    requested = client.post("/admin/billing/refunds", json={"bill_id": bills[0]["id"], "amount_fen": 200,
                                                            "kind": "overcharge", "reason": "多收了两元"},
                            headers=staff_token(clerk))
    assert requested.status_code == 201, requested.json
    own = client.post(f"/admin/billing/refunds/{requested.json['id']}/decision",
                      json={"approve": True, "reason": "核实无误"}, headers=staff_token(clerk))
    assert own.status_code == 403  # a clerk is not a head; and nobody approves their own request
    approved = client.post(f"/admin/billing/refunds/{requested.json['id']}/decision",
                           json={"approve": True, "reason": "核实无误"}, headers=staff_token(head))
    assert approved.status_code == 200 and approved.json["status"] == "approved"
    run_worker()  # the refund job calls WeChat; the simulator sends the refund notify
    wait_for(lambda: committed.scalar(sa.select(Refund.status).execution_options(populate_existing=True))
             == "succeeded" or committed.rollback())
    bill = client.get("/fees/bills", headers=alice).json[0]  # what it was for: the amount due is lowered
    assert (bill["amount_fen"], bill["paid_fen"], bill["adjusted_fen"], bill["status"]) == (300, 300, 200, "paid")
    assert client.get("/fees/bills?status=payable", headers=alice).json == []

    today = utcnow().astimezone(SHANGHAI).date().isoformat()
    moved = client.get(f"/admin/billing/reports/ledger?day_from={today}&day_to={today}", headers=staff_token(head))
    assert [(r["kind"], r["amount_fen"]) for r in moved.json] == [("payment", 500), ("refund", -200)]
    exported = client.get(f"/admin/billing/reports/ledger?day_from={today}&day_to={today}&format=csv",
                          headers=staff_token(clerk)).data.decode("utf-8-sig").splitlines()
    assert exported[0].startswith("时间,类型,金额（元）")
    assert ",收款,5.00," in exported[1] and ",退款,-2.00," in exported[2]
    recon = app.test_cli_runner().invoke(args=["billing", "reconcile", "--date", today])
    assert recon.exit_code == 0 and "WeChat in 500 out 200 fen" in recon.output and "0 mismatches" in recon.output
    check = app.test_cli_runner().invoke(args=["billing", "check"])
    assert check.exit_code == 0, check.output
    assert "the books balance" in check.output
    committed.rollback()
    assert committed.scalar(sa.select(sa.func.sum(LedgerEntry.amount_fen))) == 300
    assert committed.scalar(sa.select(PayOrder.status)) == "paid"
    assert committed.scalar(sa.select(sa.func.count()).select_from(PayNotification)
                            .where(PayNotification.verdict == "accepted")) == 2
    assert committed.scalar(sa.select(Bill.paid_fen).where(Bill.id == bills[0]["id"])) == 300


def test_a_cancel_refund_puts_the_bill_owed_again_tells_the_payer_and_reverses_the_receipt(
        app, client, wechat, api_server, committed, mock_server):
    with unit_of_work():
        make_world()
    clerk = StaffFactory(roles=("billing_clerk",), scope_division_code=SANYUANLI)
    head = StaffFactory(roles=("billing_head",))
    committed.commit()
    alice = citizen_login(client, wechat, "o-fee-cancel")
    wechat.allow("o-fee-cancel", TEMPLATE)
    assert client.post("/me/subscriptions", json={"template_ids": [TEMPLATE]}, headers=alice).status_code == 200
    assert client.post("/fees/accounts/bind", json={"number": "A0001", "check": "张三"}, headers=alice
                       ).status_code == 201
    ran = app.test_cli_runner().invoke(args=["billing", "run", "--period", months_ago(1).strftime("%Y-%m")])
    assert ran.exit_code == 0, ran.output
    bill_id = client.get("/fees/bills?status=payable", headers=alice).json[0]["id"]
    prepay = client.post("/fees/orders", json={"bill_ids": [bill_id]}, headers=alice).json
    pay_sheet(mock_server.url, prepay["payment"])
    wait_for(lambda: client.get(f"/fees/orders/{prepay['order']['id']}", headers=alice).json["status"] == "paid")
    run_worker()  # the receipt: prepared, issued
    assert committed.scalar(sa.select(Receipt.status)) == "issued"

    requested = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 500, "kind": "cancel",
                                                            "reason": "户主已搬离，撤销本月缴费"},
                            headers=staff_token(clerk))
    assert requested.status_code == 201, requested.json
    client.post(f"/admin/billing/refunds/{requested.json['id']}/decision", json={"approve": True, "reason": "同意"},
                headers=staff_token(head))
    run_worker()  # the refund job; the simulator's refund notify settles it
    wait_for(lambda: committed.rollback() or committed.scalar(sa.select(Refund.status)) == "succeeded")
    bill = client.get("/fees/bills", headers=alice).json[0]
    assert (bill["amount_fen"], bill["paid_fen"], bill["status"]) == (500, 0, "unpaid")  # owed again
    assert [b["id"] for b in client.get("/fees/bills?status=payable", headers=alice).json] == [bill_id]
    run_worker()  # the message to the payer, and the reversal job
    told = wechat.messages("o-fee-cancel")
    assert len(told) == 1 and told[0]["template_id"] == TEMPLATE
    assert told[0]["data"]["amount3"]["value"] == "5.00元" and "重新缴纳" in told[0]["data"]["thing5"]["value"]
    wait_for(lambda: committed.rollback() or committed.scalar(sa.select(Receipt.status)) == "reversed")
    mine = client.get("/fees/receipts", headers=alice).json
    assert [(r["status"], r["amount_fen"]) for r in mine] == [("reversed", 500)]  # and none issued again
    check = app.test_cli_runner().invoke(args=["billing", "check"])
    assert check.exit_code == 0 and "the books balance" in check.output, check.output
