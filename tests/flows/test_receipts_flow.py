"""Receipts end to end: a paid notify → the receipt issued by the (simulated) platform, rendered, downloadable by
its payer through an expiring link, verifiable by anyone from its QR payload; an outage delays and then delivers
every receipt exactly once; a duplicate number from the platform is refused and asked for again."""

import dataclasses
import io
import re
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import sqlalchemy as sa
from pypdf import PdfReader

from api.config import get_config, init_config
from api.db import unit_of_work
from api.events.service import Actor
from api.fees.billing import billrun
from api.fees.models import Receipt, Refund
from tests.fees_world import make_world, months_ago, pay_sheet, wait_for
from tests.support import citizen_login, qr_text, run_worker
from workers.billing import pay_sweep

pytestmark = pytest.mark.flow


@pytest.fixture
def alice(app, client, wechat, api_server, committed):
    with unit_of_work():
        make_world()
        billrun.run(months_ago(2), Actor.system())
        billrun.run(months_ago(1), Actor.system())
    headers = citizen_login(client, wechat, "o-receipt-alice")
    assert client.post("/fees/accounts/bind", json={"number": "A0001", "check": "张三"}, headers=headers
                       ).status_code == 201
    return headers


def _pay_one(client, headers, mock_url) -> dict:
    bill = client.get("/fees/bills?status=payable", headers=headers).json[-1]
    answer = client.post("/fees/orders", json={"bill_ids": [bill["id"]]}, headers=headers).json
    pay_sheet(mock_url, answer["payment"])
    wait_for(lambda: client.get(f"/fees/orders/{answer['order']['id']}", headers=headers).json["status"] == "paid")
    return answer["order"]


def test_a_paid_bill_gets_a_receipt_its_payer_downloads_and_anyone_verifies(client, alice, mock_server):
    _pay_one(client, alice, mock_server.url)
    run_worker()  # prepares the receipt, then issues it (the platform numbers it; invoices/ renders it)
    mine = client.get("/fees/receipts", headers=alice).json
    assert [(r["kind"], r["status"], r["amount_fen"]) for r in mine] == [("fiscal", "issued", 500)]
    receipt = mine[0]
    pdf = client.get(receipt["download_url"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    for fact in ("交款人：张三", "生活垃圾处理费", "5.00", "伍元整", "¥5.00", f"票据号码：{receipt['doc_number']}",
                 f"校验码：{receipt['check_code']}", f"票据代码：{receipt['doc_code']}", "A0001"):
        assert fact in text, fact
    url = re.search(r"查验：(\S+)", text).group(1)
    assert qr_text(pdf.data) == url  # what a phone's camera reads from the printed code is the same link
    payload = parse_qs(urlparse(url).query)["p"][0]
    verified = requests.get(url, timeout=5).json()  # the API on its real port, no login
    assert verified == {"genuine": True, "code": receipt["doc_code"], "number": receipt["doc_number"],
                        "payer": "张*", "amount_fen": 500, "amount_yuan": "5.00", "status": "valid",
                        "issued_at": verified["issued_at"]}
    page = requests.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}, timeout=5)  # a phone
    assert page.headers["Content-Type"] == "text/html; charset=utf-8" and "Content-Security-Policy" in page.headers
    assert all(fact in page.text for fact in ("票据真实", receipt["doc_number"], "张*", "¥5.00", "有效"))
    assert receipt["download_url"].startswith(get_config().PUBLIC_BASE_URL + "/fees/receipts/")  # absolute
    assert requests.get(receipt["download_url"], timeout=5).content == pdf.data
    forged = payload[:-1] + ("0" if payload[-1] != "0" else "1")
    assert client.get(f"/receipts/verify?p={forged}").json == {"genuine": False}
    expired = receipt["download_url"].replace("exp=", "exp=1")
    assert client.get(expired).json["error"]["code"] == "RECEIPT_LINK_INVALID"


def test_an_outage_of_the_platform_delays_receipts_and_delivers_each_once(client, alice, mock_server, committed):
    control = mock_server.url + "_mock/issuer/"
    requests.post(control + "faults", json={"fault": "down", "seconds": 3600}, timeout=5)  # an hour's outage
    _pay_one(client, alice, mock_server.url)
    run_worker()  # the job tries and retries while the platform is down: the receipt waits
    committed.rollback()
    assert committed.scalar(sa.select(Receipt.status)) == "awaiting_issue"
    init_config(dataclasses.replace(get_config(), PAY_QUERY_AFTER_S=0))
    assert pay_sweep() == {"unavailable": 1}  # still down
    requests.post(control + "faults", json={"fault": "up"}, timeout=5).raise_for_status()  # the hour is over
    assert pay_sweep() == {"receipt issued": 1}
    assert pay_sweep() == {}
    documents = requests.get(control + "documents", timeout=5).json()
    assert len(documents) == 1 and documents[0]["total_fen"] == 500


def test_a_number_the_platform_gave_before_is_refused_and_asked_for_again(client, alice, mock_server, committed):
    control = mock_server.url + "_mock/issuer/"
    _pay_one(client, alice, mock_server.url)
    run_worker()
    requests.post(control + "faults", json={"fault": "duplicate_number"}, timeout=5)
    _pay_one(client, alice, mock_server.url)
    run_worker()  # the second receipt first gets the first one's number, refuses it, asks again under a new id
    committed.rollback()
    rows = committed.execute(sa.select(Receipt.doc_number, Receipt.status, Receipt.issue_round)
                             .order_by(Receipt.id)).all()
    assert [r.status for r in rows] == ["issued", "issued"] and rows[0].doc_number != rows[1].doc_number
    assert rows[1].issue_round == 1


def test_a_partial_refund_reverses_the_receipt_and_reissues_it_for_what_is_left(client, alice, mock_server,
                                                                                committed):
    from tests.factories.identity import StaffFactory
    from tests.support import staff_token

    order = _pay_one(client, alice, mock_server.url)
    run_worker()
    clerk, head = StaffFactory(roles=("billing_clerk",)), StaffFactory(roles=("billing_head",))
    committed.commit()
    clerk_h, head_h = staff_token(clerk), staff_token(head)
    bill_id = client.get("/fees/bills?status=paid", headers=alice).json[0]["id"]
    refund = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": 200, "kind": "overcharge",
                                                           "reason": "多收"},
                         headers=clerk_h).json
    client.post(f"/admin/billing/refunds/{refund['id']}/decision", json={"approve": True, "reason": "同意"},
                headers=head_h)
    run_worker()  # the refund goes to WeChat; its notify settles it
    wait_for(lambda: committed.rollback() or committed.scalar(
        sa.select(sa.func.count()).select_from(Receipt).where(Receipt.status == "reversed")) == 1)
    run_worker()  # … and the reversal job: 红冲, then the re-issue
    wait_for(lambda: committed.rollback() or committed.scalar(
        sa.select(sa.func.count()).select_from(Receipt).where(Receipt.status == "issued")) == 1)
    mine = {r["status"]: r for r in client.get("/fees/receipts", headers=alice).json}
    assert mine["issued"]["amount_fen"] == 300 and mine["reversed"]["amount_fen"] == 500
    old = committed.scalar(sa.select(Receipt).where(Receipt.status == "reversed"))
    from api.fees.receipts.service import verification_payload
    from api.media.storage import get_storage

    red_pdf = client.get(mine["reversed"]["reversal_download_url"])  # the payer downloads the 红字 document too
    assert red_pdf.status_code == 200 and red_pdf.data == get_storage().get(old.reversal_pdf_key)
    swapped = mine["reversed"]["download_url"].replace("/pdf?", "/reversal?")  # one link never opens the other
    assert client.get(swapped).json["error"]["code"] == "RECEIPT_LINK_INVALID"
    assert mine["reversed"]["reversal_number"] == old.reversal_number
    assert mine["issued"]["reversal_download_url"] is None
    red_text = PdfReader(io.BytesIO(red_pdf.data)).pages[0].extract_text()
    assert "（红字）" in red_text and f"冲红原票据：{old.doc_code}-{old.doc_number}" in red_text
    assert "负伍元整" in red_text and "-¥5.00" in red_text
    new_text = PdfReader(io.BytesIO(client.get(mine["issued"]["download_url"]).data)).pages[0].extract_text()
    assert "叁元整" in new_text and "¥3.00" in new_text
    assert client.get(f"/receipts/verify?p={verification_payload(old)}").json["status"] == "reversed"
    red = client.get(f"/receipts/verify?p={verification_payload(old, red=True)}").json
    assert red["status"] == "reversal" and red["amount_fen"] == -500
    documents = requests.get(mock_server.url + "_mock/issuer/documents", timeout=5).json()
    assert sorted((d["total_fen"], d["status"]) for d in documents) == [(-500, "valid"), (300, "valid"),
                                                                        (500, "reversed")]
    assert order["amount_fen"] == 500


def test_staff_reissue_a_refused_receipt_and_rerender_an_issued_one(client, alice, mock_server, committed):
    from tests.factories.identity import StaffFactory
    from tests.support import staff_token

    _pay_one(client, alice, mock_server.url)
    right = get_config()
    init_config(dataclasses.replace(right, ISSUER_SECRET="not-the-platforms-secret"))  # refused: it waits
    run_worker()
    committed.rollback()
    waiting = committed.scalar(sa.select(Receipt))
    assert waiting.status == "awaiting_issue" and "SIGN_ERROR" in waiting.last_error
    init_config(right)
    clerk = StaffFactory(roles=("billing_clerk",))
    committed.commit()
    headers = staff_token(clerk)
    again = client.post(f"/admin/billing/receipts/{waiting.id}/reissue", json={"reason": "密钥已更正"},
                        headers=headers)
    assert again.status_code == 200 and again.json["status"] == "awaiting_issue"
    run_worker()
    committed.rollback()
    issued = committed.scalar(sa.select(Receipt))
    assert issued.status == "issued" and issued.issue_round == 1
    from api.media.storage import get_storage

    get_storage().delete(issued.pdf_key)  # the file is lost
    rendered = client.post(f"/admin/billing/receipts/{issued.id}/reissue", json={"reason": "文件丢失，重新生成"},
                           headers=headers)
    assert rendered.json["doc_number"] == issued.doc_number  # the same document, its file made again
    assert get_storage().exists(issued.pdf_key)


def _refund_part(client, alice, committed, amount_fen: int, *, reversed_: int = 1) -> None:
    """Billing staff refund part of alice's paid bill: the receipt is reversed (红冲) and re-issued for the rest."""
    from tests.factories.identity import StaffFactory
    from tests.support import staff_token

    clerk, head = StaffFactory(roles=("billing_clerk",)), StaffFactory(roles=("billing_head",))
    committed.commit()
    bill_id = client.get("/fees/bills?status=paid", headers=alice).json[0]["id"]
    refund = client.post("/admin/billing/refunds", json={"bill_id": bill_id, "amount_fen": amount_fen,
                                                         "kind": "overcharge", "reason": "多收"},
                         headers=staff_token(clerk)).json
    client.post(f"/admin/billing/refunds/{refund['id']}/decision", json={"approve": True, "reason": "同意"},
                headers=staff_token(head))
    run_worker()
    if not reversed_:  # the refund settles; its reversal job is left to the caller
        from api.fees.models import Refund

        wait_for(lambda: committed.rollback() or committed.scalar(sa.select(Refund.status)) == "succeeded")
        return
    wait_for(lambda: committed.rollback() or committed.scalar(
        sa.select(sa.func.count()).select_from(Receipt).where(Receipt.status == "reversed")) == 1)
    run_worker()
    wait_for(lambda: committed.rollback() or committed.scalar(
        sa.select(sa.func.count()).select_from(Receipt).where(Receipt.status == "issued")) == 1)


def _held(committed) -> dict[tuple[str, str], str]:
    committed.rollback()
    held = {}
    for r in committed.scalars(sa.select(Receipt).order_by(Receipt.id)):
        held[(r.doc_code, r.doc_number)] = f"receipt {r.id}"
        if r.reversal_number:
            held[(r.reversal_code, r.reversal_number)] = f"reversal of receipt {r.id}"
    return held


def _restart(config, issuer_state):
    """The simulator restarted (on its var folder, or none: a platform that forgot), then the service: new
    processes, new connections, the same database."""
    from miniprogram_mock.server import MockServer
    from tests.conftest import ISSUER_APP, ISSUER_SECRET, activate

    platform = MockServer({}, issuer_apps={ISSUER_APP: ISSUER_SECRET}, issuer_state=issuer_state).start()
    activate(dataclasses.replace(config, ISSUER_API_BASE=platform.url))
    return platform


def test_after_the_simulator_and_the_service_restart_no_number_is_issued_again(client, alice, mock_server,
                                                                                committed, config):
    from api.fees.receipts.service import verification_payload

    _pay_one(client, alice, mock_server.url)
    run_worker()
    _refund_part(client, alice, committed, 200)
    before = _held(committed)
    assert len(before) == 3 and "reversal of receipt 1" in before.values()
    platform = _restart(config, mock_server.app.extensions["issuer_mock"].path)
    try:
        _pay_one(client, alice, mock_server.url)
        run_worker()
    finally:
        platform.stop()
    committed.rollback()
    new = committed.scalar(sa.select(Receipt).order_by(Receipt.id.desc()).limit(1))
    assert new.status == "issued" and new.issue_round == 0  # the platform remembered: nothing to refuse
    assert (new.doc_code, new.doc_number) not in before and len(_held(committed)) == 4
    for receipt in committed.scalars(sa.select(Receipt)):  # every document still verifies as itself
        assert client.get(f"/receipts/verify?p={verification_payload(receipt)}").json["number"] == receipt.doc_number
        if receipt.reversal_number:
            red = client.get(f"/receipts/verify?p={verification_payload(receipt, red=True)}").json
            assert (red["status"], red["number"]) == ("reversal", receipt.reversal_number)


def test_a_platform_that_forgot_its_numbering_is_asked_until_a_number_is_free(client, alice, mock_server,
                                                                              committed, config):
    from api.events.models import Event

    _pay_one(client, alice, mock_server.url)
    run_worker()
    _refund_part(client, alice, committed, 200)
    before = _held(committed)
    platform = _restart(config, None)  # numbering from 1 again: receipt 1's, its reversal's, receipt 2's …
    try:
        _pay_one(client, alice, mock_server.url)
        run_worker()
    finally:
        platform.stop()
    committed.rollback()
    new = committed.scalar(sa.select(Receipt).order_by(Receipt.id.desc()).limit(1))
    assert new.status == "issued" and new.issue_round == 3 and (new.doc_code, new.doc_number) not in before
    refused = committed.scalars(sa.select(Event.reason).where(
        Event.subject_type == "fee_receipt", Event.subject_id == new.id, Event.action == "receipt_number_refused")
        .order_by(Event.id)).all()
    assert [r.rsplit("held by ", 1)[1] for r in refused] == ["receipt 1", "reversal of receipt 1", "receipt 2"]


def test_a_reversal_numbered_with_a_held_number_is_refused_and_nothing_of_it_kept(client, alice, mock_server,
                                                                                  committed):
    from rq.registry import FailedJobRegistry

    from api.extensions import get_redis
    from api.fees.models import IssuedNumber

    _pay_one(client, alice, mock_server.url)
    run_worker()
    requests.post(mock_server.url + "_mock/issuer/faults", json={"fault": "duplicate_number"}, timeout=5)
    _refund_part(client, alice, committed, 200, reversed_=0)
    run_worker()  # the reversal job: the platform's red document has the receipt's own number, each time it is tried
    committed.rollback()
    receipt = committed.scalar(sa.select(Receipt))
    assert (receipt.status, receipt.reversal_number, receipt.reversal_pdf_key) == ("issued", None, None)
    assert committed.execute(sa.select(IssuedNumber.doc_number, IssuedNumber.role)).all() == [
        (receipt.doc_number, "receipt")]
    failed = FailedJobRegistry("receipts", connection=get_redis())
    assert len(failed.get_job_ids()) == 1  # after its retries
    from api.events.models import Event
    from api.notifications.models import StaffNotice

    refund = committed.scalar(sa.select(Refund))
    marked = committed.scalars(sa.select(Event).where(Event.subject_type == "fee_refund", Event.subject_id == refund.id,
                                                      Event.action == "receipt_reversal_failed")).all()
    assert len(marked) == 1 and "NumberHeld" in marked[0].reason  # on the refund, with the reason
    told = committed.scalars(sa.select(StaffNotice).where(StaffNotice.kind == "fee_reversal_failed")).all()
    assert told and all(n.subject_id == refund.id and n.flagged for n in told)  # the billing heads take it up
