"""Receipt numbers held once, by receipts and reversals alike (a database constraint); the public verification's
answer to signed but impossible ids; the page a phone gets from a receipt's QR."""

import base64
import hashlib
import json
import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from api.config import get_config
from api.db import utcnow
from api.fees.models import FeeAccount, IssuedNumber, PayOrder, Receipt
from api.fees.receipts import service as receipts
from tests.factories.identity import CitizenFactory
from tests.fees_world import make_world

CODE = "44012626"
PHONE = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/wxpic,image/webp,*/*;q=0.8"}


def _receipt(session, number: str, payer: str = "张三", **more) -> Receipt:
    account = session.scalar(sa.select(FeeAccount).where(FeeAccount.number == "A0001"))
    order = PayOrder(out_trade_no=f"T{number}", user_id=CitizenFactory().id, openid="o-x", amount_fen=500,
                     description="生活垃圾处理费", status="paid", time_expire=utcnow())
    session.add(order)
    session.flush()
    receipt = Receipt(order_id=order.id, account_id=account.id, kind="fiscal", generation=0, amount_fen=500,
                      payer_name=payer, status="issued", created_at=utcnow(), doc_code=CODE, doc_number=number,
                      check_code="a1b2c3", issued_at=datetime(2026, 11, 30, 16, 5, tzinfo=UTC),
                      items=[{"item": "disposal", "name": "生活垃圾处理费", "account": "A0001", "period": "2026-11",
                              "amount_fen": 500}], **more)
    session.add(receipt)
    session.commit()  # a savepoint released: the requests' sessions see it
    return receipt


@pytest.fixture
def world(db_session):
    make_world()
    db_session.commit()
    return db_session


def test_a_number_is_held_once_across_receipts_and_reversals(world):
    first, second = _receipt(world, "0000000001"), _receipt(world, "0000000003")
    assert receipts.hold(CODE, "0000000001", first.id, "receipt") is None
    assert receipts.hold(CODE, "0000000002", first.id, "reversal") is None  # its red document's number
    assert receipts.hold(CODE, "0000000002", second.id, "receipt") == f"reversal of receipt {first.id}"
    assert receipts.hold(CODE, "0000000001", second.id, "receipt") == f"receipt {first.id}"
    assert receipts.hold(CODE, "0000000001", first.id, "receipt") is None  # what it holds, it holds
    assert receipts.hold(CODE, "0000000009", first.id, "receipt") is not None  # one number per receipt and role
    assert receipts.hold(CODE, "0000000003", second.id, "receipt") is None
    with pytest.raises(sa.exc.IntegrityError), world.begin_nested():  # the database refuses it, not only a check
        world.add(IssuedNumber(doc_code=CODE, doc_number="0000000002", receipt_id=second.id, role="receipt"))
        world.flush()
    assert world.scalar(sa.select(sa.func.count()).select_from(IssuedNumber)) == 3


def _signed(body: str) -> str:
    encoded = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return f"{encoded}.{get_config().signature('receipt-verify', encoded)}"


@pytest.mark.parametrize("receipt_id", ["18446744073709551616", "1" + "0" * 30, "9223372036854775808", "-1", "0",
                                        "1e999", "-1e999", "1.5", '"1"', "true", "null", "[1]", "{}"])
def test_a_signed_payload_naming_an_impossible_id_is_not_genuine(client, world, receipt_id):
    _receipt(world, "0000000001")
    payload = _signed(f'{{"r":{receipt_id},"c":"{CODE}","n":"0000000001"}}')
    answer = client.get(f"/receipts/verify?p={payload}")
    assert answer.status_code == 200 and answer.json == {"genuine": False}
    page = client.get(f"/receipts/verify?p={payload}", headers=PHONE)
    assert page.status_code == 200 and "未通过查验" in page.text


@pytest.mark.parametrize("body", ["[1, 2]", '"r"', "1", '{"r": 1, "c": {"x": 1}, "n": []}'])
def test_a_signed_payload_of_another_shape_is_not_genuine(client, world, body):
    _receipt(world, "0000000001")
    answer = client.get(f"/receipts/verify?p={_signed(body)}")
    assert answer.status_code == 200 and answer.json == {"genuine": False}


def _inert(page) -> str:
    """The page's text, after checking it runs nothing and loads nothing, and that its one style is allowed."""
    html = page.text
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.mimetype_params["charset"] == "utf-8"
    assert re.search(r"<script|src=|href=|url\(|@import|<link|<img|<iframe|<form|\bon\w+=", html, re.I) is None
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe" not in csp
    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    assert f"'sha256-{base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()}'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff" and page.headers["Referrer-Policy"] == "no-referrer"
    return html


def test_a_phone_that_scans_the_qr_gets_a_chinese_page(client, world):
    receipt = _receipt(world, "0000000001")
    page = client.get(f"/receipts/verify?p={receipts.verification_payload(receipt)}", headers=PHONE)
    html = _inert(page)
    for fact in ('lang="zh-CN"', "票据真实", f"<dd>{CODE}</dd>", "<dd>0000000001</dd>", "<dd>张*</dd>",
                 "<dd>¥5.00</dd>", "<dd>有效</dd>", "<dd>2026-12-01 00:05</dd>", f"<dd>{get_config().PAYEE_NAME}</dd>"):
        assert fact in html, fact
    assert "张三" not in html

    receipt = world.get(Receipt, receipt.id)  # (each request ends its session)
    receipt.status, receipt.reversal_code, receipt.reversal_number = "reversed", CODE, "0000000002"
    receipt.reversed_at = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    world.commit()
    assert "<dd>已冲红（原票据已作废）</dd>" in _inert(client.get(
        f"/receipts/verify?p={receipts.verification_payload(receipt)}", headers=PHONE))
    red = _inert(client.get(f"/receipts/verify?p={receipts.verification_payload(receipt, red=True)}", headers=PHONE))
    assert "<dd>红字票据（冲红凭证）</dd>" in red and "<dd>-¥5.00</dd>" in red and "<dd>0000000002</dd>" in red

    forged = receipts.verification_payload(receipt)[:-1] + "0"
    if forged == receipts.verification_payload(receipt):
        forged = forged[:-1] + "1"
    bad = _inert(client.get(f"/receipts/verify?p={forged}", headers=PHONE))
    assert "未通过查验" in bad and "0000000001" not in bad and get_config().PAYEE_NAME in bad


def test_api_callers_still_get_json(client, world):
    receipt = _receipt(world, "0000000001")
    url = f"/receipts/verify?p={receipts.verification_payload(receipt)}"
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/json"},
                    {"Accept": "application/json, text/html"}):
        answer = client.get(url, headers=headers)
        assert answer.mimetype == "application/json" and answer.json["number"] == "0000000001", (headers, answer.json)
        assert "Accept" in answer.headers["Vary"]


def test_a_payers_name_is_never_markup_on_the_page(client, world):
    receipt = _receipt(world, "0000000001", payer="<script>alert(1)</script>")
    html = _inert(client.get(f"/receipts/verify?p={receipts.verification_payload(receipt)}", headers=PHONE))
    assert "<dd>&lt;" in html


def test_download_links_are_absolute(world):
    receipt = _receipt(world, "0000000001")
    base = get_config().PUBLIC_BASE_URL.rstrip("/")
    assert receipts.download_link(receipt).startswith(f"{base}/fees/receipts/{receipt.id}/pdf?exp=")
    assert receipts.download_link(receipt, red=True).startswith(f"{base}/fees/receipts/{receipt.id}/reversal?exp=")


def test_the_openapi_document_lists_the_page_and_the_json(client):
    ok = client.get("/openapi.json").json["paths"]["/receipts/verify"]["get"]["responses"]["200"]["content"]
    assert set(ok) == {"application/json", "text/html"}
    assert json.dumps(ok["application/json"]["schema"]).count("ReceiptVerification") == 1


@pytest.mark.parametrize("damaged", ["x", "eyJyIjox", "eyJyIjoxfQ.", "not a payload at all", "."])
def test_a_damaged_qr_is_answered_not_genuine_and_a_phone_gets_the_page(client, world, damaged):
    assert client.get("/receipts/verify", query_string={"p": damaged}).json == {"genuine": False}
    html = _inert(client.get("/receipts/verify", query_string={"p": damaged}, headers=PHONE))
    assert "未通过查验" in html


def test_a_reissue_asks_again_under_a_new_request_id_only_after_the_platform_said_no(world):
    from api.events.service import Actor

    timed_out, refused = _receipt(world, "0000000001"), _receipt(world, "0000000002")
    for receipt in (timed_out, refused):  # neither numbered yet: waiting for the platform
        receipt.status, receipt.doc_code, receipt.doc_number, receipt.issued_at = "awaiting_issue", None, None, None
    refused.last_error = "SIGN_ERROR: 签名错误"
    world.commit()
    for receipt in (timed_out, refused):
        receipts.reissue(receipt.id, Actor("staff", None), "重新开具", None)
    # the platform may have issued the timed-out request: the same request id gets that document, never a second
    assert (timed_out.issue_round, refused.issue_round) == (0, 1)
    assert refused.last_error is None
