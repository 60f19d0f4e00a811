"""Receipts: after settlement, what each payer is owed a document for (one per account and receipt kind); then
issuing — the platform's number and check code, the PDF rendered by invoices/ and stored — and the signed links
and QR payloads that let the payer download it and anyone verify it.

Issuing is idempotent per receipt (the platform's request id is the receipt's); while the platform is away the
job retries and the clock's sweep asks again later: a receipt waits, it is never lost. A number the platform has
already given (to another receipt, or to a red reversal) is refused — fee_receipt_numbers holds each (票据代码, 号码)
once — and asked for again under a new request id.
"""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from api import jobs
from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.fees import errors
from api.fees.models import Bill, BillLine, FeeAccount, FeeItem, IssuedNumber, OrderItem, PayOrder, Receipt
from api.fees.receipts import issuer
from api.media.storage import get_storage
from api.outbox import service as outbox
from invoices import fonts
from invoices.documents import FiscalReceipt, InvoiceLine, ReceiptLine, VatInvoice
from invoices.render import render_fiscal_receipt, render_vat_invoice

VAT_RATE_PCT = 6  # 生活服务: the 数电票 of a contractor's 清洁卫生费 (amounts include the tax)


def prepare(order_id: int) -> int:
    """The receipts of a paid order (idempotent: a second run adds nothing). Each bill's share of the order is
    split over its lines in proportion to the lines' amounts, to the fen, the remainder on the last line."""
    order = Session.get(PayOrder, order_id)
    if order is None or order.status != "paid":
        return 0
    rows = Session.execute(sa.select(OrderItem.amount_fen, Bill, FeeAccount)
                           .join(Bill, Bill.id == OrderItem.bill_id).join(FeeAccount, FeeAccount.id == Bill.account_id)
                           .where(OrderItem.order_id == order.id).order_by(Bill.id)).all()
    kinds = dict(Session.execute(sa.select(FeeItem.code, FeeItem.receipt_kind)).all())
    names = dict(Session.execute(sa.select(FeeItem.code, FeeItem.name)).all())
    documents: dict[tuple[int, str], dict] = {}
    for share, bill, account in rows:
        lines = list(Session.scalars(sa.select(BillLine).where(BillLine.bill_id == bill.id, BillLine.amount_fen > 0)
                                     .order_by(BillLine.item_code)))
        for item_code, amount in split(share, [(line.item_code, line.amount_fen) for line in lines]):
            doc = documents.setdefault((account.id, kinds[item_code]), {"payer": account.payer_name, "items": []})
            doc["items"].append({"item": item_code, "name": names[item_code], "account": account.number,
                                 "period": bill.period.strftime("%Y-%m"), "amount_fen": amount})
    created = 0
    for (account_id, kind), doc in documents.items():
        stmt = insert_for(Receipt).values(order_id=order.id, account_id=account_id, kind=kind, generation=0,
                                          amount_fen=sum(i["amount_fen"] for i in doc["items"]),
                                          payer_name=doc["payer"], items=doc["items"], status="awaiting_issue",
                                          created_at=utcnow())
        new = Session.execute(stmt.on_conflict_do_nothing(index_elements=["order_id", "account_id", "kind",
                                                                          "generation"])
                              .returning(Receipt.id)).scalar()
        if new is not None:
            created += 1
            outbox.add(jobs.ISSUE_RECEIPT(new))
    if created:
        record("fee_order", order.id, "receipts_prepared", Actor.system(), payload={"receipts": created})
    Session.flush()
    return created


def split(total: int, parts: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """`total` fen over `parts` in proportion to their amounts (floor), the remainder to the last part."""
    whole = sum(amount for _, amount in parts)
    if not parts or whole <= 0:
        return []
    out, given = [], 0
    for n, (name, amount) in enumerate(parts):
        share = total - given if n == len(parts) - 1 else total * amount // whole
        out.append((name, share))
        given += share
    return [(name, share) for name, share in out if share > 0]


# -- issuing ---------------------------------------------------------------------------------------------------
ASKS_PER_RUN = 5  # numbers the platform hands out that are already held, before this run gives up (the sweep asks on)


def issue(receipt_id: int) -> str:
    """Ask the platform for the document, render and store it (the job; IssuerUnavailable propagates: retried).
    A number already held (by a receipt or a reversal) is refused and asked for again under a new request id, at
    most ASKS_PER_RUN times; then the receipt waits with the reason, and the clock's sweep asks again later."""
    receipt = Session.get(Receipt, receipt_id, with_for_update=True)
    if receipt is None or receipt.status != "awaiting_issue":
        return "gone"
    for _ in range(ASKS_PER_RUN):
        try:
            answer = issuer.issue(request_id=f"receipt-{receipt.id}-{receipt.issue_round}", kind=receipt.kind,
                                  payer=receipt.payer_name, items=receipt.items, total_fen=receipt.amount_fen)
        except issuer.IssuerRefused as exc:
            receipt.last_error = str(exc)[:500]
            record("fee_receipt", receipt.id, "receipt_refused", Actor.system(), reason=receipt.last_error)
            return "refused"
        holder = hold(answer["code"], answer["number"], receipt.id, "receipt")
        if holder is None:
            break
        # the platform handed out a number it had given before: refuse it and ask again, afresh
        receipt.issue_round += 1
        receipt.last_error = f"platform gave {answer['code']}-{answer['number']}, already held by {holder}"
        record("fee_receipt", receipt.id, "receipt_number_refused", Actor.system(), reason=receipt.last_error)
    else:
        Session.flush()
        return "number taken"
    receipt.doc_code, receipt.doc_number, receipt.check_code = answer["code"], answer["number"], answer["check_code"]
    receipt.issued_at = datetime.fromisoformat(answer["issued_at"])
    pdf, receipt.font = render(receipt), fonts.font()
    receipt.pdf_key = f"receipts/{receipt.id}-{receipt.doc_code}-{receipt.doc_number}.pdf"
    get_storage().put(receipt.pdf_key, pdf, "application/pdf")
    receipt.status, receipt.last_error = "issued", None
    record("fee_receipt", receipt.id, "receipt_issued", Actor.system(), from_state="awaiting_issue",
           to_state="issued", payload={"code": receipt.doc_code, "number": receipt.doc_number})
    Session.flush()
    return "issued"


def hold(code: str, number: str, receipt_id: int, role: str) -> str | None:
    """Take (code, number) for the receipt (`role` receipt) or its red document (`role` reversal): None when it
    is now held for it, else who holds it ("receipt 12", "reversal of receipt 7"). The table's primary key
    decides, so two receipts issued at once can never both keep one number."""
    try:
        with Session.begin_nested():
            Session.add(IssuedNumber(doc_code=code, doc_number=number, receipt_id=receipt_id, role=role,
                                     held_at=utcnow()))
    except sa.exc.IntegrityError:
        held = Session.execute(sa.select(IssuedNumber.receipt_id, IssuedNumber.role).where(
            IssuedNumber.doc_code == code, IssuedNumber.doc_number == number)).first()
        if held is None:  # not the number: this receipt already holds one in that role (a bug: never overwrite)
            return f"{role} of receipt {receipt_id} (already numbered)"
        if tuple(held) == (receipt_id, role):
            return None
        return f"receipt {held.receipt_id}" if held.role == "receipt" else f"reversal of receipt {held.receipt_id}"
    return None


def render(receipt: Receipt, *, red: dict | None = None) -> bytes:
    """The receipt's PDF, or (`red`: the platform's answer for its reversal) its 红冲 document: negative amounts,
    naming the receipt it reverses."""
    config = get_config()
    url = f"{config.PUBLIC_BASE_URL.rstrip('/')}/receipts/verify?p={verification_payload(receipt, red=red is not None)}"
    account = Session.get(FeeAccount, receipt.account_id)
    code, number, check = (red["code"], red["number"], red["check_code"]) if red else (
        receipt.doc_code, receipt.doc_number, receipt.check_code)
    issued_at = datetime.fromisoformat(red["issued_at"]) if red else receipt.issued_at
    sign, reverses = (-1, f"{receipt.doc_code}-{receipt.doc_number}") if red else (1, None)
    if receipt.kind == "fiscal":
        return render_fiscal_receipt(FiscalReceipt(
            code=code, number=number, check_code=check, payer=receipt.payer_name, payer_id=account.number,
            payee=config.PAYEE_NAME, issued_at=issued_at, cashier="穗云智慧城管（电子）", verify_url=url,
            reverses=reverses, lines=tuple(ReceiptLine(name=i["name"], period=i["period"], account=i["account"],
                                                       amount_fen=sign * i["amount_fen"]) for i in receipt.items)))
    lines = []
    for i in receipt.items:
        net = (i["amount_fen"] * 100 * 2 + (100 + VAT_RATE_PCT)) // (2 * (100 + VAT_RATE_PCT))  # half up
        lines.append(InvoiceLine(name=f"*生活服务*{i['name']}", quantity="1", unit="户·月", amount_fen=sign * net,
                                 tax_rate_pct=VAT_RATE_PCT, tax_fen=sign * (i["amount_fen"] - net)))
    return render_vat_invoice(VatInvoice(
        number=number, issued_at=issued_at, buyer=receipt.payer_name, buyer_tax_id=account.number,
        seller=config.PAYEE_NAME, seller_tax_id="", lines=tuple(lines), issuer="穗云智慧城管（电子）",
        verify_url=url, reverses=reverses))


def reissue(receipt_id: int, actor: Actor, reason: str, street_code: str | None) -> Receipt:
    """Staff re-issue: a receipt the platform refused (or numbered with a number already held) is asked for again
    under a new request id; one that is only waiting — the platform was away or timed out, and may have issued
    meanwhile — is asked again under the same request id, so the platform answers with that document rather than
    a second one for the same payment. An issued one is rendered and stored again with the number it has (a lost
    or damaged file). Audited with the reason."""
    receipt = Session.get(Receipt, receipt_id, with_for_update=True)
    account = Session.get(FeeAccount, receipt.account_id) if receipt is not None else None
    if receipt is None or street_code not in (None, account.street_code):
        raise errors.ReceiptNotFound()
    if receipt.status == "awaiting_issue":
        if receipt.last_error:  # the platform answered no to this request id: only a new one can succeed
            receipt.issue_round += 1
            receipt.last_error = None
        outbox.add(jobs.ISSUE_RECEIPT(receipt.id))
    elif receipt.status == "issued":
        get_storage().put(receipt.pdf_key, render(receipt), "application/pdf")
        receipt.font = fonts.font()
    else:
        raise errors.ReceiptNotReissuable()
    record("fee_receipt", receipt.id, "receipt_reissued", actor, reason=reason, payload={"status": receipt.status})
    Session.flush()
    return receipt


def waiting(now: datetime, older_than_s: int, limit: int = 200) -> list[int]:
    return list(Session.scalars(sa.select(Receipt.id).where(
        Receipt.status == "awaiting_issue", Receipt.created_at <= now - timedelta(seconds=older_than_s))
        .order_by(Receipt.created_at).limit(limit)))


# -- links and verification ------------------------------------------------------------------------------------
def verification_payload(receipt: Receipt, *, red: bool = False) -> str:
    """What the QR carries: the receipt's id, code and number (its red document's, for a reversal), HMAC-signed
    (no expiry: a receipt stays checkable)."""
    code, number = (receipt.reversal_code, receipt.reversal_number) if red else (receipt.doc_code,
                                                                                 receipt.doc_number)
    body = base64.urlsafe_b64encode(json.dumps({"r": receipt.id, "c": code, "n": number},
                                               separators=(",", ":")).encode()).decode().rstrip("=")
    return f"{body}.{get_config().signature('receipt-verify', body)}"


MAX_ID = 2**63 - 1  # ids are BIGINT: a larger one, even signed, names no receipt (and is never sent to the database)


def verify(payload: str) -> tuple[Receipt, bool] | None:
    """(the receipt a payload names, whether it names its red document), if the signature holds."""
    body, _, signature = payload.partition(".")
    if not body or not get_config().signature_holds("receipt-verify", body, signature):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        receipt_id, named = data["r"], (data.get("c"), data.get("n"))
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if type(receipt_id) is not int or not 0 < receipt_id <= MAX_ID:  # signed, yet no id a receipt can have
        return None
    receipt = Session.get(Receipt, receipt_id)
    if receipt is None or receipt.doc_number is None:
        return None
    if named == (receipt.doc_code, receipt.doc_number):
        return receipt, False
    if receipt.reversal_number is not None and named == (receipt.reversal_code, receipt.reversal_number):
        return receipt, True
    return None


def download_link(receipt: Receipt, now: float | None = None, *, red: bool = False) -> str:
    """The signed, expiring link to the receipt's PDF, or (`red`) to its reversal document (红字票据); absolute
    (PUBLIC_BASE_URL), as media links are, so a phone opens it as it comes."""
    config = get_config()
    expires = int((now or time.time()) + config.RECEIPT_URL_TTL_S)
    signature = config.signature(_DOWNLOAD_PURPOSE[red], f"{receipt.id}:{expires}")
    return (f"{config.PUBLIC_BASE_URL.rstrip('/')}/fees/receipts/{receipt.id}/{'reversal' if red else 'pdf'}"
            f"?exp={expires}&sig={signature}")


_DOWNLOAD_PURPOSE = {False: "receipt-download", True: "receipt-download-reversal"}


def check_download(receipt_id: int, expires: int, signature: str, *, red: bool = False) -> bool:
    if expires < time.time():
        return False
    return get_config().signature_holds(_DOWNLOAD_PURPOSE[red], f"{receipt_id}:{expires}", signature)


def of_user(user_id: int) -> list[Receipt]:
    return list(Session.scalars(sa.select(Receipt).join(PayOrder, PayOrder.id == Receipt.order_id)
                                .where(PayOrder.user_id == user_id).order_by(Receipt.id.desc()).limit(100)))


def status_of(receipt: Receipt) -> str:
    return "reversed" if receipt.status == "reversed" else "valid"
