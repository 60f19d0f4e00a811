"""Citizens' fee endpoints (/fees) and WeChat Pay's notifies. The billing desk's are in desk/routes.py and
figures/routes.py, the receipt check anyone opens from a QR in receipts/routes.py."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, request
from flask.views import MethodView

from api import apidoc
from api.access import current_user, public, requires
from api.db import Session
from api.errors import DomainError
from api.events.service import Actor
from api.extensions import Blueprint
from api.fees import errors
from api.fees.billing import accounts
from api.fees.models import Receipt
from api.fees.payments import notify, orders
from api.fees.receipts import service as receipts
from api.fees.schemas import (
    AccountSchema,
    BillArgsSchema,
    BillSchema,
    BindSchema,
    DownloadArgsSchema,
    OrderSchema,
    PaymentParamsSchema,
    PrepayAnswerSchema,
    PrepaySchema,
    ReceiptSchema,
)
from api.media.storage import get_storage
from api.roles import Role

blp = Blueprint("fees", __name__, url_prefix="/fees", description="Sanitation fees: accounts, bills, WeChat Pay")


class NotifyFailed(DomainError):
    """Documentation only: the notify answers with WeChat's own body, not the envelope."""

    status, code, message = 400, "FAIL", "WeChat's {\"code\": \"FAIL\", \"message\"}: WeChat sends the notify again."


class WeChatAnswerSchema(ma.Schema):
    code = ma.fields.String(metadata={"description": "FAIL"})
    message = ma.fields.String()


def answers_as_wechat_expects(func):
    """The notify's failure answer is WeChat's `{"code","message"}`, documented as such (not the envelope)."""
    func = blp.alt_response(400, schema=WeChatAnswerSchema, description="WeChat retries the notify")(func)
    apidoc.declare(func, [NotifyFailed])
    return func


@blp.route("/accounts")
class MyAccounts(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, AccountSchema(many=True))
    def get(self):
        """My bound fee accounts

        Reads only. Payer names are masked (张*)."""
        return accounts.accounts_of(current_user().id)


@blp.route("/accounts/bind")
class BindAccount(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(BindSchema)
    @blp.response(201, AccountSchema)
    @blp.errors(errors.BindingCheckFailed, errors.TooManyBindingAttempts)
    def post(self, body):
        """Bind a fee account (户号 + the payer's name or phone's last four digits)

        Attempts are limited per user and per account number (BIND_MAX_PER_HOUR); an unknown number and a wrong
        check answer alike, so the answer tells a guesser nothing."""
        return accounts.bind(current_user(), body["number"], body["check"])


@blp.route("/accounts/<int:account_id>")
class MyAccount(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(204)
    @blp.errors(errors.BindingNotFound)
    def delete(self, account_id: int):
        """Unbind one of my accounts

        Ends my binding (an event records it); the account and its bills are untouched."""
        user = current_user()
        accounts.unbind(account_id, user.id, Actor("citizen", user.id))


@blp.route("/bills")
class MyBills(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(BillArgsSchema, location="query")
    @blp.response(200, BillSchema(many=True))
    def get(self, args):
        """Bills of my accounts, newest period first, with their lines

        Reads only. Amounts in fen; each line carries the days, standard and reduction it was priced from."""
        return orders.with_lines(orders.bills_of(current_user().id, args.get("status")))


@blp.route("/orders")
class Orders(MethodView):
    @requires(Role.CITIZEN)
    @blp.arguments(PrepaySchema)
    @blp.response(201, PrepayAnswerSchema)
    @blp.errors(errors.BillNotFound, errors.BillNotPayable, errors.BillLocked, errors.PaymentRefused,
                errors.PaymentsUnavailable)
    def post(self, body):
        """Pay bills: one WeChat Pay order for their outstanding amounts → wx.requestPayment's parameters

        Each bill is locked into this order until it is paid, cancelled or expires (PAY_ORDER_TTL_S). The
        parameters are signed with the merchant key (paySign, RSA)."""
        order, payment = orders.prepay(current_user(), body["bill_ids"])
        return {"order": order, "payment": payment}


@blp.route("/orders/<int:order_id>")
class MyOrder(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, OrderSchema)
    @blp.errors(errors.OrderNotFound)
    def get(self, order_id: int):
        """One of my orders (paid shows once WeChat's notify or our query has settled it)

        Reads only."""
        return orders.order_of(current_user(), order_id)


@blp.route("/orders/<int:order_id>/payment")
class OrderPayment(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, PaymentParamsSchema)
    @blp.errors(errors.OrderNotFound, errors.OrderNotPending, errors.PaymentsUnavailable)
    def post(self, order_id: int):
        """wx.requestPayment's parameters again for a pending order

        Signs fresh parameters (timeStamp, nonceStr, paySign); nothing is written."""
        return orders.payment_params(current_user(), order_id)


@blp.route("/orders/<int:order_id>/cancel")
class CancelOrder(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, OrderSchema)
    @blp.errors(errors.OrderNotFound, errors.OrderNotPending, errors.PaymentsUnavailable)
    def post(self, order_id: int):
        """Cancel a pending order (closed at WeChat; its bills can be paid in another order)

        Closes the order at WeChat, then here; releases its bills. If WeChat says it was paid meanwhile, the
        order is settled instead."""
        return orders.cancel(current_user(), order_id)


@blp.route("/receipts")
class MyReceipts(MethodView):
    @requires(Role.CITIZEN)
    @blp.response(200, ReceiptSchema(many=True))
    def get(self):
        """My receipts, newest first, each issued one with a download link

        Reads only. A receipt waits `awaiting_issue` until the issuing platform has numbered it; the links expire
        after RECEIPT_URL_TTL_S."""
        mine = receipts.of_user(current_user().id)
        for receipt in mine:
            numbered = receipt.status in ("issued", "reversed")
            receipt.download_url = receipts.download_link(receipt) if numbered else None
            receipt.reversal_download_url = (receipts.download_link(receipt, red=True)
                                             if receipt.reversal_pdf_key else None)
        return mine


def _pdf(data: bytes, name: str) -> Response:
    return Response(data, 200, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}.pdf"',
                             "Cache-Control": "private, max-age=60"})


@blp.route("/receipts/<int:receipt_id>/pdf")
class ReceiptPdf(MethodView):
    @public
    @blp.arguments(DownloadArgsSchema, location="query")
    @blp.response(200, description="application/pdf")
    @blp.errors(errors.ReceiptLinkInvalid)
    def get(self, args, receipt_id: int):
        """A receipt's PDF through its signed, expiring link

        Reads only; the signature names the receipt and the expiry."""
        receipt = Session.get(Receipt, receipt_id)
        if receipt is None or receipt.pdf_key is None or not receipts.check_download(receipt_id, args["exp"],
                                                                                       args["sig"]):
            raise errors.ReceiptLinkInvalid()
        return _pdf(get_storage().get(receipt.pdf_key), f"receipt-{receipt.doc_number}")


@blp.route("/receipts/<int:receipt_id>/reversal")
class ReversalPdf(MethodView):
    @public
    @blp.arguments(DownloadArgsSchema, location="query")
    @blp.response(200, description="application/pdf")
    @blp.errors(errors.ReceiptLinkInvalid)
    def get(self, args, receipt_id: int):
        """A reversed receipt's reversal document (红字票据) through its signed, expiring link

        Reads only; a link to the receipt itself does not open its reversal, nor the other way round."""
        receipt = Session.get(Receipt, receipt_id)
        if receipt is None or receipt.reversal_pdf_key is None or not receipts.check_download(
                receipt_id, args["exp"], args["sig"], red=True):
            raise errors.ReceiptLinkInvalid()
        return _pdf(get_storage().get(receipt.reversal_pdf_key), f"reversal-{receipt.reversal_number}")


def _notify(kind: str) -> Response:
    body, status = notify.receive(request.headers, request.get_data(cache=False), kind=kind)
    return Response(body or None, status, mimetype="application/json")


@blp.route("/wechatpay/notify")
class PaymentNotify(MethodView):
    @public
    @blp.response(204)
    @answers_as_wechat_expects
    def post(self):
        """WeChat Pay's payment notify (TRANSACTION.SUCCESS)

        Verified (key serial, timestamp within ±5 minutes, RSA signature, AES-256-GCM), then checked against the
        order (appid, mchid, amount) and settled once. Answers in WeChat's format: 204 accepted; 400
        `{"code":"FAIL","message"}` when a retry can help. Refused notifies are kept for billing staff."""
        return _notify("payment")


@blp.route("/wechatpay/refund-notify")
class RefundNotify(MethodView):
    @public
    @blp.response(204)
    @answers_as_wechat_expects
    def post(self):
        """WeChat Pay's refund notify (REFUND.SUCCESS / ABNORMAL / CLOSED), verified like the payment notify

        A succeeded refund takes its amount off the bill and writes a negative ledger entry, once. Answers in
        WeChat's format."""
        return _notify("refund")
