"""Anyone verifies a receipt from its QR (/receipts/verify): JSON for API callers, a small Chinese page for a
phone."""

from __future__ import annotations

from flask import request
from flask.views import MethodView

from api import pages
from api.access import public
from api.config import get_config
from api.extensions import Blueprint
from api.fees.receipts import service as receipts
from api.fees.receipts import verify_page
from api.fees.schemas import ReceiptVerificationSchema, VerifyArgsSchema, masked
from invoices.money import yuan

verify_blp = Blueprint("receipt_verification", __name__, url_prefix="/receipts",
                       description="Anyone verifies a receipt from its QR")


@verify_blp.route("/verify")
class VerifyReceipt(MethodView):
    @public
    @verify_blp.arguments(VerifyArgsSchema, location="query")
    @verify_blp.response(200, ReceiptVerificationSchema)
    @verify_blp.doc(responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
    def get(self, args):
        """Is this receipt genuine? (what its QR opens; no login)

        Reads only. From the HMAC-signed payload: genuine or not, and for a genuine one its number, the payer
        (masked), the amount and its status: valid, reversed (红冲 after a refund), or reversal (the red document
        itself, with a negative amount). A phone's browser (`Accept: text/html`) gets the same as a small Chinese
        page with the issuer's name — no script, nothing loaded from elsewhere; API callers get JSON."""
        verdict = _verdict(args["p"])
        if pages.wants_html(request.accept_mimetypes):
            return verify_page.response(verdict, get_config().PAYEE_NAME)
        return verdict, 200, {"Vary": "Accept"}  # one URL, two representations: a cache keeps them apart


def _verdict(payload: str) -> dict:
    found = receipts.verify(payload)
    if found is None:
        return {"genuine": False}
    receipt, red = found
    amount = -receipt.amount_fen if red else receipt.amount_fen
    return {"genuine": True, "code": receipt.reversal_code if red else receipt.doc_code,
            "number": receipt.reversal_number if red else receipt.doc_number,
            "payer": masked(receipt.payer_name), "amount_fen": amount, "amount_yuan": yuan(amount),
            "status": "reversal" if red else receipts.status_of(receipt),
            "issued_at": receipt.reversed_at if red else receipt.issued_at}
