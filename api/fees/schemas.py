"""Fee schemas. Amounts are integer fen in and out (`*_fen`); `*_yuan` strings are for display only."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fees.models import (
    BASES,
    BILL_STATUSES,
    EXEMPTION_KINDS,
    MISMATCH_STATES,
    ORDER_FLAGS,
    ORDER_STATUSES,
    PAYER_KINDS,
    REFUND_KINDS,
    REFUND_STATUSES,
)
from api.timefmt import LocalDateTime, Month
from invoices.money import yuan

MAX_FEN = 100_000_000  # ¥1,000,000: no sanitation bill or refund comes near it
Period = Month  # "YYYY-MM" ↔ the month's first day


def masked(name: str) -> str:
    """A payer's name as citizens and the public verification see it: 张三 → 张*."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


class Fen(ma.fields.Integer):
    def __init__(self, **kwargs):
        kwargs.setdefault("strict", True)
        kwargs.setdefault("validate", validate.Range(min=1, max=MAX_FEN))
        super().__init__(**kwargs)


# -- citizens ---------------------------------------------------------------------------------------------------
class BindSchema(ma.Schema):
    number = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{1,20}$"),
                              metadata={"description": "户号 as printed on the bill or the notice"})
    check = ma.fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "the payer's full name, or the last 4 digits of the phone"})


class AccountSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    payer_name = ma.fields.Method("masked_name", metadata={"description": "masked for citizens: 张*"})
    payer_kind = ma.fields.String(validate=validate.OneOf(PAYER_KINDS))
    basis = ma.fields.String(validate=validate.OneOf(BASES))
    units = ma.fields.Integer()
    status = ma.fields.String()
    street_code = ma.fields.String()

    def masked_name(self, account) -> str:
        return masked(account.payer_name)


class StaffAccountSchema(AccountSchema):
    payer_name = ma.fields.String()
    phone = ma.fields.String()
    premises_id = ma.fields.Integer()


class BillLineSchema(ma.Schema):
    item_code = ma.fields.String()
    item_name = ma.fields.String(metadata={"description": "the fee item's name, e.g. 生活垃圾处理费"})
    amount_fen = ma.fields.Integer()
    detail = ma.fields.Dict()


class BillSchema(ma.Schema):
    id = ma.fields.Integer()
    account_id = ma.fields.Integer()
    period = Period()
    amount_fen = ma.fields.Integer()
    paid_fen = ma.fields.Integer()
    outstanding_fen = ma.fields.Integer()
    adjusted_fen = ma.fields.Integer(metadata={"description": "taken off the amount by overcharge or exemption "
                                                              "refunds: the lines add up to amount + adjusted"})
    amount_yuan = ma.fields.Function(lambda b: yuan(b.amount_fen))
    status = ma.fields.String(validate=validate.OneOf(BILL_STATUSES))
    due_date = ma.fields.Date()
    lines = ma.fields.List(ma.fields.Nested(BillLineSchema))


class BillArgsSchema(ma.Schema):
    status = ma.fields.String(load_default=None,
                              validate=validate.OneOf(("payable",) + BILL_STATUSES),
                              metadata={"description": "payable = unpaid or partly paid"})


class PrepaySchema(ma.Schema):
    bill_ids = ma.fields.List(ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=2**63 - 1)),
                              required=True, validate=validate.Length(min=1, max=24))


class OrderSchema(ma.Schema):
    id = ma.fields.Integer()
    out_trade_no = ma.fields.String()
    amount_fen = ma.fields.Integer()
    amount_yuan = ma.fields.Function(lambda o: yuan(o.amount_fen))
    description = ma.fields.String()
    status = ma.fields.String(validate=validate.OneOf(ORDER_STATUSES))
    time_expire = LocalDateTime()
    paid_at = LocalDateTime(allow_none=True)
    created_at = LocalDateTime()


class PaymentParamsSchema(ma.Schema):
    appId = ma.fields.String()  # noqa: N815 - wx.requestPayment's names
    timeStamp = ma.fields.String()  # noqa: N815
    nonceStr = ma.fields.String()  # noqa: N815
    package = ma.fields.String()
    signType = ma.fields.String()  # noqa: N815
    paySign = ma.fields.String()  # noqa: N815


class PrepayAnswerSchema(ma.Schema):
    order = ma.fields.Nested(OrderSchema)
    payment = ma.fields.Nested(PaymentParamsSchema, metadata={"description": "pass to wx.requestPayment as is"})


# -- staff ------------------------------------------------------------------------------------------------------
class AccountSearchSchema(ma.Schema):
    number = ma.fields.String(validate=validate.Length(max=20))
    name = ma.fields.String(validate=validate.Length(max=64))
    phone_suffix = ma.fields.String(validate=validate.Regexp(r"^\d{4}$"))
    address = ma.fields.String(validate=validate.Length(min=2, max=100), metadata={"description": "part of it"})


class UnbindSchema(ma.Schema):
    user_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class BindingSchema(ma.Schema):
    user_id = ma.fields.Integer()
    bound_at = LocalDateTime()


class StaffAccountDetailSchema(StaffAccountSchema):
    bindings = ma.fields.List(ma.fields.Nested(BindingSchema))
    bills = ma.fields.List(ma.fields.Nested(BillSchema))


class FeeStandardSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    item_code = ma.fields.String(required=True, validate=validate.Length(min=1, max=16))
    basis = ma.fields.String(required=True, validate=validate.OneOf(BASES))
    amount_fen = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=MAX_FEN))
    effective_from = ma.fields.Date(required=True)
    source = ma.fields.String(required=True, validate=validate.Length(min=2, max=200),
                              metadata={"description": "the notice or decision the standard comes from"})


class FeeItemSchema(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    receipt_kind = ma.fields.String()
    enabled = ma.fields.Boolean()
    standards = ma.fields.List(ma.fields.Nested(FeeStandardSchema))


class ItemPatchSchema(ma.Schema):
    enabled = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class ExemptionRequestSchema(ma.Schema):
    account_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    kind = ma.fields.String(required=True, validate=validate.OneOf(EXEMPTION_KINDS))
    reduction_pct = ma.fields.Integer(load_default=100, strict=True, validate=validate.Range(min=1, max=100))
    evidence = ma.fields.String(required=True, validate=validate.Length(min=2, max=200),
                                metadata={"description": "certificate kind and number (低保证 / 低收入困难家庭证 …)"})
    valid_from = ma.fields.Date(required=True)
    valid_to = ma.fields.Date(required=True)


class ExemptionSchema(ExemptionRequestSchema):
    id = ma.fields.Integer()
    status = ma.fields.String()
    requested_by = ma.fields.Integer()
    requested_by_name = ma.fields.String(metadata={"description": "who asked (the staff member's name)"})
    requested_at = LocalDateTime()
    decided_by = ma.fields.Integer(allow_none=True)
    decided_by_name = ma.fields.String(allow_none=True, metadata={"description": "who decided (a billing head)"})
    decided_at = LocalDateTime(allow_none=True)
    decision_reason = ma.fields.String(allow_none=True)


class DecisionSchema(ma.Schema):
    approve = ma.fields.Boolean(required=True)
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class StatusArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.Length(max=20))


class RefundArgsSchema(StatusArgsSchema):
    kind = ma.fields.String(validate=validate.OneOf(REFUND_KINDS))


class BillRunRequestSchema(ma.Schema):
    period = Period(required=True, metadata={"description": "YYYY-MM"})


class BillRunSchema(ma.Schema):
    id = ma.fields.Integer()
    period = Period()
    status = ma.fields.String()
    cursor = ma.fields.Integer()
    bills_created = ma.fields.Integer()
    started_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)


class ReminderRequestSchema(ma.Schema):
    stage = ma.fields.String(required=True, validate=validate.OneOf(("due", "overdue")))
    street_code = ma.fields.String(validate=validate.Regexp(r"^\d{12}$"),
                                   metadata={"description": "default: the caller's street"})


class CountSchema(ma.Schema):
    count = ma.fields.Integer()


REFUND_KIND_HELP = ("overcharge (多收) or exemption (减免): the bill's amount due is lowered by the refund and it "
                    "stays paid, its receipt re-issued for the new amount; cancel (撤销缴费): the bill's whole "
                    "payment goes back, it is owed again and its payers are told")


class RefundRequestSchema(ma.Schema):
    bill_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**63 - 1))
    amount_fen = Fen(required=True)
    kind = ma.fields.String(required=True, validate=validate.OneOf(REFUND_KINDS),
                            metadata={"description": REFUND_KIND_HELP})
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))


class RefundSchema(ma.Schema):
    id = ma.fields.Integer()
    out_refund_no = ma.fields.String()
    order_id = ma.fields.Integer()
    bill_id = ma.fields.Integer(allow_none=True)
    amount_fen = ma.fields.Integer()
    kind = ma.fields.String(validate=validate.OneOf(REFUND_KINDS))
    reason = ma.fields.String()
    status = ma.fields.String(validate=validate.OneOf(REFUND_STATUSES))
    requested_by = ma.fields.Integer(allow_none=True, metadata={"description": "null: the system's own refund"})
    requested_by_name = ma.fields.String(allow_none=True, metadata={"description": "who asked (a staff member's name)"})
    requested_at = LocalDateTime(attribute="created_at", dump_only=True, metadata={"description": "as created_at"})
    approved_by = ma.fields.Integer(allow_none=True, metadata={"description": "who decided (approved or rejected)"})
    decided_by = ma.fields.Integer(attribute="approved_by", dump_only=True, allow_none=True,
                                   metadata={"description": "as approved_by"})
    decided_by_name = ma.fields.String(allow_none=True, metadata={"description": "who decided (a billing head)"})
    decided_at = LocalDateTime(allow_none=True)
    last_error = ma.fields.String(allow_none=True)
    created_at = LocalDateTime()
    settled_at = LocalDateTime(allow_none=True)


class StaffOrderSchema(OrderSchema):
    """An order as billing staff see it, with what WeChat reported and the flag for the billing head."""

    user_id = ma.fields.Integer()
    openid = ma.fields.String(metadata={"description": "the payer the order was made for"})
    transaction_id = ma.fields.String(allow_none=True)
    paid_openid = ma.fields.String(allow_none=True, metadata={"description": "the payer WeChat reported"})
    flag = ma.fields.String(allow_none=True, validate=validate.OneOf(ORDER_FLAGS),
                            metadata={"description": "payer_differs: settled, but another WeChat user paid"})
    flagged_at = LocalDateTime(allow_none=True)


class PayNotifySchema(ma.Schema):
    id = ma.fields.Integer()
    notification_id = ma.fields.String(allow_none=True)
    event_type = ma.fields.String(allow_none=True)
    verdict = ma.fields.String()
    detail = ma.fields.String()
    out_trade_no = ma.fields.String(allow_none=True)
    out_refund_no = ma.fields.String(allow_none=True)
    received_at = LocalDateTime()


class VerdictArgsSchema(ma.Schema):
    verdict = ma.fields.String(validate=validate.OneOf(("probe", "forged", "stale", "malformed", "duplicate",
                                                        "mismatch")))


class ReconArgsSchema(ma.Schema):
    date = ma.fields.Date(required=True, metadata={"description": "the day (Beijing time) reconciled"})


class MismatchSchema(ma.Schema):
    id = ma.fields.Integer()
    key = ma.fields.String()
    kind = ma.fields.String()
    ours_fen = ma.fields.Integer(allow_none=True)
    theirs_fen = ma.fields.Integer(allow_none=True)
    our_status = ma.fields.String(allow_none=True)
    their_status = ma.fields.String(allow_none=True)
    state = ma.fields.String(validate=validate.OneOf(MISMATCH_STATES))
    note = ma.fields.String(allow_none=True)


class MismatchPatchSchema(ma.Schema):
    state = ma.fields.String(required=True, validate=validate.OneOf(MISMATCH_STATES))
    note = ma.fields.String(required=True, validate=validate.Length(min=2, max=500))


class ReconSchema(ma.Schema):
    bill_date = ma.fields.Date()
    wechat_in_fen = ma.fields.Integer()
    wechat_out_fen = ma.fields.Integer()
    ours_in_fen = ma.fields.Integer()
    ours_out_fen = ma.fields.Integer()
    rows = ma.fields.Integer()
    mismatches = ma.fields.Integer()
    ran_at = LocalDateTime()
    bill_problem = ma.fields.String(allow_none=True, metadata={
        "description": "set when WeChat's bill never matched its hash: the day is flagged, nothing was read from it"})
    items = ma.fields.List(ma.fields.Nested(MismatchSchema))


class ReceiptSchema(ma.Schema):
    id = ma.fields.Integer()
    order_id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "fiscal (财政电子票据) | vat (数电票)"})
    status = ma.fields.String(metadata={"description": "awaiting_issue | issued | reversed (红冲: see reversal_*)"})
    amount_fen = ma.fields.Integer()
    payer_name = ma.fields.String()
    items = ma.fields.List(ma.fields.Dict())
    doc_code = ma.fields.String(allow_none=True)
    doc_number = ma.fields.String(allow_none=True)
    check_code = ma.fields.String(allow_none=True)
    issued_at = LocalDateTime(allow_none=True)
    download_url = ma.fields.String(allow_none=True, metadata={"description": "signed, expires after "
                                                                              "RECEIPT_URL_TTL_S"})
    reversal_code = ma.fields.String(allow_none=True)
    reversal_number = ma.fields.String(allow_none=True)
    reversed_at = LocalDateTime(allow_none=True)
    reversal_download_url = ma.fields.String(allow_none=True, metadata={"description": "the reversal document "
                                                                                       "(红字票据), signed"})


class DownloadArgsSchema(ma.Schema):
    exp = ma.fields.Integer(required=True, validate=validate.Range(min=0, max=2**40))
    sig = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))


class VerifyArgsSchema(ma.Schema):
    p = ma.fields.String(required=True, validate=validate.Length(min=1, max=600),
                         metadata={"description": "the payload the receipt's QR carries; one that is damaged or "
                                                  "forged is answered not genuine (a phone gets the page saying so)"})


class ReceiptVerificationSchema(ma.Schema):
    genuine = ma.fields.Boolean()
    code = ma.fields.String(allow_none=True)
    number = ma.fields.String(allow_none=True)
    payer = ma.fields.String(allow_none=True, metadata={"description": "masked: 张*"})
    amount_fen = ma.fields.Integer(allow_none=True)
    amount_yuan = ma.fields.String(allow_none=True)
    status = ma.fields.String(allow_none=True, metadata={"description": "valid | reversed | reversal"})
    issued_at = LocalDateTime(allow_none=True)


class ReissueSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))
