"""WeChat Pay held to WeChat's rules where hostile or odd input met it: notifies always answered in WeChat's format,
a payment by another payer settled and flagged, descriptions within 127 bytes, bill lines with the item's name."""

import json
import time

import pytest
import sqlalchemy as sa

from api.events.models import Event
from api.events.service import Actor
from api.fees.billing import billrun
from api.fees.models import Bill, LedgerEntry, PayNotification, PayOrder
from api.notifications.models import StaffNotice
from api.wechatpay.client import fit_utf8, get_pay_client
from miniprogram_mock.paystate import now_cst, rfc3339
from tests.conftest import APPID, MCHID, PUBLIC_KEY_ID
from tests.factories.identity import StaffFactory
from tests.fees_world import JINGXI, SANYUANLI, make_world, months_ago
from tests.support import citizen_login, staff_token

NOTIFY = "/fees/wechatpay/notify"


@pytest.fixture
def world(db_session):
    make_world()
    billrun.run(months_ago(1), Actor.system())
    db_session.flush()
    return db_session


@pytest.fixture
def alice(client, wechat, world):
    headers = citizen_login(client, wechat, "o-alice")
    assert client.post("/fees/accounts/bind", json={"number": "A0001", "check": "张三"}, headers=headers
                       ).status_code == 201
    return headers


@pytest.fixture
def order(client, alice) -> dict:
    """Alice's pending order for her 500-fen bill."""
    bill_id = client.get("/fees/bills?status=payable", headers=alice).json[0]["id"]
    answer = client.post("/fees/orders", json={"bill_ids": [bill_id]}, headers=alice)
    assert answer.status_code == 201, answer.json
    return answer.json["order"]


@pytest.fixture
def wechat_pay(mock_server):
    """WeChat's side of a notify: the simulator's platform key signs, its APIv3 key encrypts."""
    state = mock_server.app.extensions["wechat_pay_mock"]

    class Sender:
        def resource(self, plaintext: str, associated_data: str = "transaction", **changes) -> dict:
            return {"original_type": "transaction", **state.encrypt(plaintext, associated_data), **changes}

        def notice(self, resource, event_type: str = "TRANSACTION.SUCCESS") -> str:
            return json.dumps({"id": f"EV-{time.time_ns()}", "create_time": rfc3339(now_cst()),
                               "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
                               "resource": resource}, ensure_ascii=False)

        def send(self, client, text: str, url: str = NOTIFY, **header_changes):
            headers = {**state.sign_headers(text), "Content-Type": "application/json", **header_changes}
            return client.post(url, data=text.encode(), headers=headers)

    return Sender()


def transaction(order: dict, *, openid: str = "o-alice", **changes) -> dict:
    return {"appid": APPID, "mchid": MCHID, "out_trade_no": order["out_trade_no"], "trade_type": "JSAPI",
            "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS", "attach": "",
            "transaction_id": f"42000{time.time_ns() % 10**23:023d}", "success_time": rfc3339(now_cst()),
            "payer": {"openid": openid}, "amount": {"total": order["amount_fen"], "payer_total": order["amount_fen"],
                                                     "currency": "CNY", "payer_currency": "CNY"}, **changes}


def _verdicts(session) -> list[tuple[str, str]]:
    return [(n.verdict, n.detail) for n in session.scalars(sa.select(PayNotification).order_by(PayNotification.id))]


def _is_wechat_fail(answer, status: int = 400) -> bool:
    return answer.status_code == status and answer.json["code"] == "FAIL" and answer.json["message"]


# -- notifies are answered in WeChat's format, whatever they carry ----------------------------------------------
def test_a_notify_signed_at_an_impossible_time_is_answered_fail_and_kept_as_stale(client, world):
    answer = client.post(NOTIFY, data=b'{"id": "EV-1"}', headers={
        "Wechatpay-Serial": PUBLIC_KEY_ID, "Wechatpay-Timestamp": str(10**12), "Wechatpay-Nonce": "n",
        "Wechatpay-Signature": "", "Content-Type": "application/json"})
    assert _is_wechat_fail(answer)
    kept = world.scalar(sa.select(PayNotification))
    assert kept.verdict == "stale" and kept.signed_at is None  # year 33658 is no time: the detail keeps it
    assert "s away from now" in kept.detail
    for stamp in (str(-10**12), "9" * 40, "１２３"):  # before 1970, beyond any integer, full-width digits
        answer = client.post("/fees/wechatpay/refund-notify", data=b"{}", headers={
            "Wechatpay-Serial": PUBLIC_KEY_ID, "Wechatpay-Timestamp": stamp, "Wechatpay-Signature": "x"})
        assert _is_wechat_fail(answer), stamp


@pytest.mark.parametrize("case", ["unknown_algorithm", "resource_is_a_string", "body_is_a_list",
                                  "resource_decrypts_to_a_list", "body_is_not_json"])
def test_a_genuine_notify_of_the_wrong_shape_is_answered_fail_and_kept_as_malformed(client, world, order,
                                                                                    wechat_pay, case):
    plain = json.dumps(transaction(order))
    text = {"unknown_algorithm": lambda: wechat_pay.notice(wechat_pay.resource(plain, algorithm="AEAD_SM4_GCM")),
            "resource_is_a_string": lambda: wechat_pay.notice("not a resource"),
            "body_is_a_list": lambda: json.dumps([{"resource": wechat_pay.resource(plain)}]),
            "resource_decrypts_to_a_list": lambda: wechat_pay.notice(wechat_pay.resource("[1, 2]")),
            "body_is_not_json": lambda: "{not json"}[case]()
    answer = wechat_pay.send(client, text)
    assert _is_wechat_fail(answer), answer.data
    assert [verdict for verdict, _ in _verdicts(world)] == ["malformed"]
    assert world.scalar(sa.select(PayOrder.status)) == "pending"
    assert world.scalar(sa.select(sa.func.count()).select_from(LedgerEntry)) == 0


@pytest.mark.parametrize("changes", [{"amount": "500"}, {"amount": [500]}, {"amount": {"total": "500"}},
                                     {"payer": "o-alice"}, {"success_time": "0001-01-01T00:00:00+14:00"},
                                     {"transaction_id": "4" * 40}, {"out_trade_no": 12345}])
def test_a_decrypted_transaction_of_the_wrong_shape_credits_nothing_and_is_answered_fail(client, world, order,
                                                                                         wechat_pay, changes):
    resource = wechat_pay.resource(json.dumps(transaction(order, **changes)))
    answer = wechat_pay.send(client, wechat_pay.notice(resource))
    assert _is_wechat_fail(answer), answer.data
    (verdict, detail), = _verdicts(world)
    assert verdict == "malformed" and next(iter(changes)) in detail
    assert world.scalar(sa.select(PayOrder.status)) == "pending"
    # the same payment, well formed, settles it
    assert wechat_pay.send(client, wechat_pay.notice(wechat_pay.resource(json.dumps(transaction(order))))
                           ).status_code == 204
    assert world.scalar(sa.select(PayOrder.status)) == "paid"


def test_a_refund_notify_whose_amount_is_not_an_object_is_answered_fail(client, world, wechat_pay):
    resource = wechat_pay.resource(json.dumps({"mchid": MCHID, "out_trade_no": "SF1", "out_refund_no": "RF1",
                                               "refund_status": "SUCCESS", "amount": 300}), "refund",
                                   original_type="refund")
    answer = wechat_pay.send(client, wechat_pay.notice(resource, "REFUND.SUCCESS"),
                             url="/fees/wechatpay/refund-notify")
    assert _is_wechat_fail(answer), answer.data
    assert [verdict for verdict, _ in _verdicts(world)] == ["malformed"]


def test_our_own_failure_is_answered_in_wechats_format_and_writes_nothing(client, world, order, wechat_pay,
                                                                          monkeypatch):
    from api.fees.payments import orders

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(orders, "settle", broken)
    answer = wechat_pay.send(client, wechat_pay.notice(wechat_pay.resource(json.dumps(transaction(order)))))
    assert _is_wechat_fail(answer, 500)  # WeChat sends it again later
    assert _verdicts(world) == [] and world.scalar(sa.select(PayOrder.status)) == "pending"


# -- a payment by another payer ------------------------------------------------------------------------------------
def test_a_payment_by_another_payer_is_settled_and_flagged_for_the_billing_head(client, world, alice, order,
                                                                               wechat_pay):
    head = StaffFactory(roles=("billing_head",))
    street_head = StaffFactory(roles=("billing_head",), scope_division_code=SANYUANLI)
    elsewhere = StaffFactory(roles=("billing_head",), scope_division_code=JINGXI)
    heads = {"district": head.id, "street": street_head.id, "elsewhere": elsewhere.id}
    tokens = {name: staff_token(user) for name, user in
              (("district", head), ("street", street_head), ("elsewhere", elsewhere))}
    answer = wechat_pay.send(client, wechat_pay.notice(wechat_pay.resource(json.dumps(
        transaction(order, openid="o-someone-else")))))
    assert answer.status_code == 204  # the money has moved: WeChat must not retry
    paid = world.scalar(sa.select(PayOrder))
    assert (paid.status, paid.flag, paid.paid_openid, paid.openid) == ("paid", "payer_differs", "o-someone-else",
                                                                        "o-alice")
    assert world.scalar(sa.select(Bill.status).where(Bill.live_order_id.is_(None), Bill.paid_fen == 500)) == "paid"
    event = world.scalar(sa.select(Event).where(Event.action == "order_flagged"))
    assert event.subject_id == paid.id and event.payload["payer_openid"] == "o-someone-else"
    told = set(world.scalars(sa.select(StaffNotice.user_id).where(StaffNotice.kind == "fee_order_flagged")))
    assert told == {heads["district"], heads["street"]}
    seen = client.get("/admin/billing/orders/flagged", headers=tokens["district"]).json
    assert [(o["out_trade_no"], o["flag"], o["paid_openid"]) for o in seen] == [
        (order["out_trade_no"], "payer_differs", "o-someone-else")]
    assert len(client.get("/admin/billing/orders/flagged", headers=tokens["street"]).json) == 1
    assert client.get("/admin/billing/orders/flagged", headers=tokens["elsewhere"]).json == []
    assert client.get("/admin/billing/orders/flagged", headers=alice).status_code == 403


def test_a_payment_by_the_orders_own_payer_is_not_flagged(client, world, order, wechat_pay):
    assert wechat_pay.send(client, wechat_pay.notice(wechat_pay.resource(json.dumps(transaction(order))))
                           ).status_code == 204
    paid = world.scalar(sa.select(PayOrder))
    assert (paid.status, paid.flag, paid.paid_openid) == ("paid", None, "o-alice")
    assert world.scalar(sa.select(sa.func.count()).select_from(StaffNotice)) == 0


# -- what we send WeChat -------------------------------------------------------------------------------------------
def test_descriptions_are_cut_to_127_utf8_bytes_on_a_character_boundary(world, mock_server):
    assert fit_utf8("生活垃圾处理费", 127) == "生活垃圾处理费"
    assert fit_utf8("处理费" * 50, 127) == "处理费" * 14  # 42 characters of 3 bytes: 126, the 43rd would not fit
    assert fit_utf8("a" + "费" * 60, 127).encode() == b"a" + "费".encode() * 42
    from datetime import timedelta

    from api.db import utcnow

    long = "白云区生活垃圾处理费（" + "三元里大道1号101房、" * 20 + "）"
    get_pay_client().prepay(out_trade_no="SFLONG000000000001", description=long, amount_fen=500, openid="o-x",
                            time_expire=utcnow() + timedelta(minutes=10))
    sent = mock_server.app.extensions["wechat_pay_mock"].orders["SFLONG000000000001"].description
    assert len(sent.encode()) <= 127 and long.startswith(sent) and len(sent.encode()) > 120


# -- what staff and citizens read ------------------------------------------------------------------------------------
def test_bill_lines_name_their_fee_item(client, alice, world):
    bill = client.get("/fees/bills", headers=alice).json[0]
    assert [(line["item_code"], line["item_name"]) for line in bill["lines"]] == [("disposal", "生活垃圾处理费")]
    clerk = staff_token(StaffFactory(roles=("billing_clerk",)))
    account_id = client.get("/fees/accounts", headers=alice).json[0]["id"]
    detail = client.get(f"/admin/billing/accounts/{account_id}", headers=clerk).json
    assert {line["item_name"] for b in detail["bills"] for line in b["lines"]} == {"生活垃圾处理费"}
