"""Fee errors, named as facts."""

from api.errors import Conflict, Forbidden, NotFound, RetryLater, ServiceUnavailable, TooManyRequests, Unprocessable


class AccountNotFound(NotFound):
    code, message = "ACCOUNT_NOT_FOUND", "No fee account with this id or number in your scope."


class BindingCheckFailed(Unprocessable):
    code, message = "BINDING_CHECK_FAILED", "The account number and the payer's name or phone do not match."


class BindingNotFound(NotFound):
    code, message = "BINDING_NOT_FOUND", "This account is not bound to that user."


class TooManyBindingAttempts(TooManyRequests):
    code, message = "TOO_MANY_BINDING_ATTEMPTS", "Too many binding attempts; try again later."


class BillNotFound(NotFound):
    code, message = "BILL_NOT_FOUND", "No such bill among your accounts' bills."


class BillNotPayable(Conflict):
    code, message = "BILL_NOT_PAYABLE", "A bill chosen is already paid or owes nothing."


class BillLocked(Conflict):
    code, message = "BILL_IN_ANOTHER_ORDER", "A bill chosen is being paid in another order; pay or cancel that one."


class OrderNotFound(NotFound):
    code, message = "ORDER_NOT_FOUND", "No such order of yours."


class OrderNotPending(Conflict):
    code, message = "ORDER_NOT_PENDING", "The order is no longer waiting for payment."


class PaymentsUnavailable(RetryLater, ServiceUnavailable):
    code, message = "PAYMENTS_UNAVAILABLE", "WeChat Pay cannot be reached now; nothing was charged. Try again."


class PaymentRefused(Conflict):
    code, message = "PAYMENT_REFUSED", "WeChat Pay refused the order; nothing was charged. See details."


class StandardNotFound(NotFound):
    code, message = "FEE_ITEM_NOT_FOUND", "No fee item with this code."


class StandardInThePast(Unprocessable):
    code, message = "STANDARD_IN_THE_PAST", "A standard change takes effect from a day after the last billed month."


class ExemptionNotFound(NotFound):
    code, message = "EXEMPTION_NOT_FOUND", "No exemption request with this id in your scope."


class RefundNotFound(NotFound):
    code, message = "REFUND_NOT_FOUND", "No refund with this id in your scope."


class AlreadyDecided(Conflict):
    code, message = "ALREADY_DECIDED", "This request has already been decided."


class OwnRequest(Forbidden):
    code, message = "OWN_REQUEST", "Nobody approves their own request."


class RefundTooLarge(Unprocessable):
    code, message = "REFUND_TOO_LARGE", "The refund is larger than what was paid for this bill and not yet refunded."


class BillNotSettled(Conflict):
    code, message = ("REFUND_BILL_NOT_SETTLED",
                     "An overcharge or exemption refund lowers a paid bill's amount; this bill is not paid in full.")


class CancelNotWhole(Unprocessable):
    code, message = ("REFUND_CANCEL_NOT_WHOLE",
                     "A cancel refunds the bill's whole unrefunded payment (details.refundable_fen), not a part.")


class MismatchNotFound(NotFound):
    code, message = "MISMATCH_NOT_FOUND", "No reconciliation mismatch with this id."


class PeriodInvalid(Unprocessable):
    code, message = "PERIOD_INVALID", "The period must be a month (YYYY-MM) no later than the current one."


class ReceiptNotFound(NotFound):
    code, message = "RECEIPT_NOT_FOUND", "No such receipt of yours, or it is not issued yet."


class ReceiptLinkInvalid(NotFound):
    code, message = "RECEIPT_LINK_INVALID", "The link is invalid or has expired; ask for the receipts again."


class ReceiptNotReissuable(Conflict):
    code, message = "RECEIPT_NOT_REISSUABLE", "A reversed or cancelled receipt is not re-issued; its successor is."
