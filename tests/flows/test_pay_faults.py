"""Every fault the WeChat Pay simulator can inject, end to end: nothing is credited twice and nothing is lost.

The simulator's notify retries are compressed (time_scale 0.001: 15 s → 15 ms); the API serves on a real port."""

import dataclasses
import json

import pytest
import requests
import sqlalchemy as sa

from api.config import get_config, init_config
from api.db import unit_of_work
from api.fees.models import Bill, LedgerEntry, PayNotification, PayOrder, Refund
from tests.fees_world import make_world, months_ago, pay_sheet, wait_for
from tests.support import citizen_login, run_worker

pytestmark = pytest.mark.flow


@pytest.fixture
def paying(app, client, wechat, api_server, committed, mock_server):
    """Alice bound to A0001 with one unpaid bill of 500 fen, and a helper that orders it."""
    with unit_of_work():
        make_world()
    alice = citizen_login(client, wechat, "o-fault-alice")
    assert client.post("/fees/accounts/bind", json={"number": "A0001", "check": "1234"}, headers=alice).status_code \
        == 201
    from api.events.service import Actor
    from api.fees.billing.billrun import run

    run(months_ago(1), Actor.system())
    control = mock_server.url + "_mock/pay/"
    requests.post(control + "config", json={"time_scale": 0.001}, timeout=5).raise_for_status()

    class Paying:
        headers = alice
        mock = mock_server.url
        api = api_server

        def fault(self, name: str, times: int = 1) -> None:
            requests.post(control + "faults", json={"fault": name, "times": times}, timeout=5).raise_for_status()

        def order(self) -> tuple[dict, dict]:
            bill = client.get("/fees/bills?status=payable", headers=alice).json[0]
            answer = client.post("/fees/orders", json={"bill_ids": [bill["id"]]}, headers=alice)
            assert answer.status_code == 201, answer.json
            return answer.json["order"], answer.json["payment"]

        def status(self, order_id: int) -> str:
            return client.get(f"/fees/orders/{order_id}", headers=alice).json["status"]

        def deliveries(self) -> list[dict]:
            return requests.get(control + "deliveries", timeout=5).json()

    return Paying()


def _verdicts(session) -> list[str]:
    session.rollback()
    return sorted(session.scalars(sa.select(PayNotification.verdict)))


def _money(session) -> tuple[int, int, list[str]]:
    session.rollback()
    ledger = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0)))
    paid = session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Bill.paid_fen), 0)))
    return ledger, paid, sorted(session.scalars(sa.select(PayOrder.status)))


def _books_balance(app) -> None:
    result = app.test_cli_runner().invoke(args=["billing", "check"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("fault, refused", [("stale_timestamp", "stale"), ("wrong_serial", "forged"),
                                            ("bad_signature", "forged"), ("signtest", "probe")])
def test_a_refused_first_attempt_is_kept_and_the_retry_settles_once(paying, committed, app, fault, refused):
    paying.fault(fault)
    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.status(order["id"]) == "paid")
    wait_for(lambda: all(d["done"] for d in paying.deliveries()))
    assert _verdicts(committed) == sorted(["accepted", refused])
    assert _money(committed) == (500, 500, ["paid"])
    attempts = paying.deliveries()[0]["attempts"]
    assert [a["status"] for a in attempts if not a["probe"]] == ([400, 204] if fault != "signtest" else [204])
    _books_balance(app)


def test_a_duplicate_notify_is_answered_and_credits_nothing(paying, committed, app):
    paying.fault("duplicate")
    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    wait_for(lambda: len(paying.deliveries()[0]["attempts"]) == 2 and paying.deliveries()[0]["done"])
    assert [a["status"] for a in paying.deliveries()[0]["attempts"]] == [204, 204]
    assert _verdicts(committed) == ["accepted", "duplicate"]
    assert _money(committed) == (500, 500, ["paid"])
    _books_balance(app)


def test_a_notify_never_sent_is_found_by_the_sweep(paying, committed, app):
    from workers.billing import pay_sweep

    paying.fault("never_sent")
    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    assert paying.status(order["id"]) == "pending" and paying.deliveries() == []
    init_config(dataclasses.replace(get_config(), PAY_QUERY_AFTER_S=0))
    assert pay_sweep() == {"settled": 1}
    assert paying.status(order["id"]) == "paid"
    assert _money(committed) == (500, 500, ["paid"])
    assert pay_sweep() == {}  # nothing left to ask about
    _books_balance(app)


def test_a_notify_whose_amount_differs_credits_nothing_and_is_kept(paying, committed, app):
    from workers.billing import pay_sweep

    paying.fault("amount_mismatch")
    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.deliveries() and paying.deliveries()[0]["done"])
    assert [a["status"] for a in paying.deliveries()[0]["attempts"]] == [204]  # a retry cannot help: kept
    assert _verdicts(committed) == ["mismatch"]
    assert _money(committed) == (0, 0, ["pending"])
    # WeChat's own record (the query) has the order's amount: the sweep settles it, once
    init_config(dataclasses.replace(get_config(), PAY_QUERY_AFTER_S=0))
    assert pay_sweep() == {"settled": 1}
    assert _money(committed) == (500, 500, ["paid"])
    _books_balance(app)


def test_money_paid_after_the_order_was_closed_is_refunded(paying, committed, app, client):
    order, payment = paying.order()
    assert client.post(f"/fees/orders/{order['id']}/cancel", headers=paying.headers).json["status"] == "closed"
    paying.fault("late_after_close")  # the payer's payment went through as we closed the order
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.status(order["id"]) == "paid_after_close")
    assert _money(committed) == (500, 0, ["paid_after_close"])  # held, no bill credited
    run_worker()  # the automatic refund goes to WeChat; its notify settles it
    wait_for(lambda: committed.rollback() or committed.scalar(sa.select(Refund.status)) == "succeeded")
    assert _money(committed) == (0, 0, ["paid_after_close"])
    bill = client.get("/fees/bills", headers=paying.headers).json[0]
    assert bill["status"] == "unpaid"  # and payable again, in a new order
    assert client.post("/fees/orders", json={"bill_ids": [bill["id"]]}, headers=paying.headers).status_code == 201
    _books_balance(app)


def test_money_paid_after_close_is_held_for_staff_when_configured(paying, committed, app, client):
    init_config(dataclasses.replace(get_config(), PAY_PAID_AFTER_CLOSE="hold"))
    order, payment = paying.order()
    client.post(f"/fees/orders/{order['id']}/cancel", headers=paying.headers)
    paying.fault("late_after_close")
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.status(order["id"]) == "paid_after_close")
    run_worker()
    committed.rollback()
    assert committed.scalars(sa.select(Refund)).all() == []
    assert _money(committed) == (500, 0, ["paid_after_close"])
    _books_balance(app)


def test_an_abnormal_refund_changes_no_bill(paying, committed, app, client):
    from tests.factories.identity import StaffFactory
    from tests.support import staff_token

    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.status(order["id"]) == "paid")
    clerk, head = StaffFactory(roles=("billing_clerk",)), StaffFactory(roles=("billing_head",))
    committed.commit()
    bill_id = client.get("/fees/bills", headers=paying.headers).json[0]["id"]
    refund = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 500, "kind": "cancel",
                                                           "reason": "重复缴费"},
                         headers=staff_token(clerk)).json
    paying.fault("refund_abnormal")
    client.post(f"/admin/billing/refunds/{refund['id']}/decision", json={"approve": True, "reason": "同意"},
                headers=staff_token(head))
    run_worker()
    wait_for(lambda: committed.rollback() or committed.scalar(sa.select(Refund.status)) == "abnormal")
    assert _money(committed) == (500, 500, ["paid"])
    _books_balance(app)


def test_a_forged_or_replayed_notify_credits_nothing(paying, committed, app):
    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.status(order["id"]) == "paid")
    url = paying.api + "/fees/wechatpay/notify"
    # a stranger's body with no valid signature
    forged = requests.post(url, data=json.dumps({"id": "EV-forged", "resource": {}}),
                           headers={"Wechatpay-Serial": "PUB_KEY_ID_0114232204232504120000000000",
                                    "Wechatpay-Timestamp": "1", "Wechatpay-Nonce": "x",
                                    "Wechatpay-Signature": "AAAA"}, timeout=5)
    assert forged.status_code == 400 and forged.json()["code"] == "FAIL"
    assert _money(committed) == (500, 500, ["paid"])
    assert "stale" in _verdicts(committed)  # timestamp 1: far outside the window, refused before anything else


def test_a_payment_for_an_expired_order_whose_bill_was_paid_again_is_not_credited_twice(paying, committed, app,
                                                                                        client):
    from api.db import utcnow

    first, first_payment = paying.order()
    with unit_of_work():  # its time runs out; the payer starts again before the sweep has closed it
        committed.execute(sa.update(PayOrder).where(PayOrder.id == first["id"]).values(time_expire=utcnow()))
    second, second_payment = paying.order()
    pay_sheet(paying.mock, second_payment)
    wait_for(lambda: paying.status(second["id"]) == "paid")
    pay_sheet(paying.mock, first_payment)  # the old payment sheet goes through after all
    wait_for(lambda: paying.status(first["id"]) == "paid_after_close")
    run_worker()  # its automatic refund
    wait_for(lambda: committed.rollback() or committed.scalar(sa.select(Refund.status)) == "succeeded")
    assert _money(committed) == (500, 500, ["paid", "paid_after_close"])
    _books_balance(app)


def test_a_payment_by_another_payer_is_settled_once_and_flagged(paying, committed, app, client):
    from api.events.models import Event

    paying.fault("payer_differs")
    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.status(order["id"]) == "paid")
    wait_for(lambda: all(d["done"] for d in paying.deliveries()))
    assert [a["status"] for a in paying.deliveries()[0]["attempts"]] == [204]  # settled: WeChat stops sending
    committed.rollback()
    flagged = committed.scalar(sa.select(PayOrder))
    assert flagged.flag == "payer_differs" and flagged.paid_openid.startswith("o-another-payer-")
    assert committed.scalar(sa.select(Event.action).where(Event.subject_type == "fee_order",
                                                          Event.action == "order_flagged")) == "order_flagged"
    assert _money(committed) == (500, 500, ["paid"])
    _books_balance(app)


def _reconcile(day):
    from api.db import unit_of_work
    from api.events.service import Actor
    from api.fees.payments import reconcile

    with unit_of_work():
        recon = reconcile.run(day, Actor.system())
        return recon.id, recon.bill_problem, recon.mismatches, recon.wechat_in_fen


def test_a_trade_bill_that_does_not_match_its_hash_is_downloaded_again_never_read(paying, committed, app):
    from api.fees.models import ReconMismatch
    from api.timefmt import today

    order, payment = paying.order()
    pay_sheet(paying.mock, payment)
    wait_for(lambda: paying.status(order["id"]) == "paid")
    paying.fault("corrupt_bill", times=2)  # two bad files, then a good one: the third download is read
    assert _reconcile(today())[1:] == (None, 0, 500)
    paying.fault("corrupt_bill", times=-1)  # never right: read as data, the corrupt file would be two mismatches
    run_id, problem, mismatches, _ = _reconcile(today())
    assert "SHA1" in problem and mismatches == 0
    committed.rollback()
    assert committed.scalars(sa.select(ReconMismatch)).all() == []
    _books_balance(app)


def test_a_day_whose_bill_never_matches_is_flagged_and_tried_again_by_the_clock(paying, committed, app, client):
    from datetime import datetime, time, timedelta

    from api.events.models import Event
    from api.fees.payments import reconcile
    from api.notifications.models import StaffNotice
    from api.timefmt import SHANGHAI, today
    from tests.factories.identity import StaffFactory
    from tests.support import staff_token

    head = StaffFactory(roles=("billing_head",))
    committed.commit()
    headers = staff_token(head)
    yesterday = today() - timedelta(days=1)
    paying.fault("corrupt_bill", times=-1)
    run_id, problem, _, _ = _reconcile(yesterday)
    assert problem
    seen = client.get(f"/admin/billing/reconciliation?date={yesterday.isoformat()}", headers=headers).json
    assert seen["bill_problem"] == problem and seen["items"] == []
    committed.rollback()
    assert committed.scalar(sa.select(Event.action).where(Event.subject_id == run_id,
                                                          Event.subject_type == "fee_reconciliation")) \
        == "reconciliation_flagged"
    assert committed.scalar(sa.select(StaffNotice.user_id).where(
        StaffNotice.kind == "fee_reconciliation_flagged")) == head.id
    late_morning = datetime.combine(today(), time(11, 0), SHANGHAI)
    with unit_of_work():
        assert reconcile.due_day(late_morning, 10) == yesterday  # flagged: the clock asks again
    assert _reconcile(yesterday)[:2] == (run_id, problem)  # an hour later, the same problem: nobody told again
    committed.rollback()
    assert committed.scalar(sa.select(sa.func.count()).select_from(StaffNotice).where(
        StaffNotice.kind == "fee_reconciliation_flagged")) == 1
    requests.delete(paying.mock + "_mock/pay/faults", timeout=5).raise_for_status()
    assert _reconcile(yesterday)[:2] == (run_id, None)  # the same run, no longer flagged
    with unit_of_work():
        assert reconcile.due_day(late_morning, 10) is None
    _books_balance(app)
