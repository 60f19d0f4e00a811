"""The billing desk's report arguments and rows (api/fees/figures/routes.py)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from api.fees.models import EXEMPTION_KINDS, MISMATCH_STATES
from api.fees.schemas import Period
from api.timefmt import LocalDateTime

FORMATS = ("json", "csv", "xlsx")


class ReportArgsSchema(ma.Schema):
    period_from = Period(required=True, metadata={"description": "YYYY-MM"})
    period_to = Period(required=True, metadata={"description": "YYYY-MM"})
    group_by = ma.fields.String(load_default="street", validate=validate.OneOf(("street", "community")),
                                metadata={"description": "arrears only"})
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class LedgerArgsSchema(ma.Schema):
    day_from = ma.fields.Date(required=True, metadata={"description": "Beijing date"})
    day_to = ma.fields.Date(required=True)
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class ArrearsRowSchema(ma.Schema):
    street_code = ma.fields.String()
    street_name = ma.fields.String()
    community = ma.fields.String()
    period = Period()
    bills = ma.fields.Integer()
    outstanding_fen = ma.fields.Integer()
    not_due = ma.fields.Integer(metadata={"description": "fen not yet due"})
    d1_30 = ma.fields.Integer(metadata={"description": "fen 1–30 days past due"})
    d31_90 = ma.fields.Integer()
    d91_180 = ma.fields.Integer()
    d181 = ma.fields.Integer(metadata={"description": "fen more than 180 days past due"})


class CollectionRowSchema(ma.Schema):
    street_code = ma.fields.String()
    street_name = ma.fields.String()
    period = Period()
    bills = ma.fields.Integer()
    due_fen = ma.fields.Integer(metadata={"description": "应收"})
    paid_fen = ma.fields.Integer(metadata={"description": "实收, net of refunds"})
    rate = ma.fields.String(metadata={"description": "实收 / 应收, e.g. 87.50%"})
    exempted_fen = ma.fields.Integer(metadata={"description": "taken off by exemptions (not in 应收)"})
    adjusted_fen = ma.fields.Integer(metadata={"description": "taken off 应收 (and 实收) by overcharge and exemption "
                                                              "refunds"})


class LedgerRowSchema(ma.Schema):
    occurred_at = LocalDateTime()
    kind = ma.fields.String(metadata={"description": "payment | refund"})
    amount_fen = ma.fields.Integer(metadata={"description": "+ in, − out"})
    out_trade_no = ma.fields.String()
    transaction_id = ma.fields.String(allow_none=True)
    out_refund_no = ma.fields.String(allow_none=True)
    refund_kind = ma.fields.String(allow_none=True, metadata={"description": "overcharge | exemption | cancel"})
    reason = ma.fields.String(allow_none=True)
    requested_by_name = ma.fields.String(allow_none=True, metadata={
        "description": "a refund: who asked for it (the staff member's name; null: the system's own refund)"})
    decided_by_name = ma.fields.String(allow_none=True, metadata={"description": "a refund: who approved it"})


class MismatchReportArgsSchema(ma.Schema):
    day_from = ma.fields.Date(required=True, metadata={"description": "Beijing date reconciled"})
    day_to = ma.fields.Date(required=True)
    state = ma.fields.String(validate=validate.OneOf(MISMATCH_STATES))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class MismatchRowSchema(ma.Schema):
    bill_date = ma.fields.Date()
    id = ma.fields.Integer()
    key = ma.fields.String(metadata={"description": "pay:<out_trade_no> | refund:<out_refund_no>"})
    kind = ma.fields.String(metadata={"description": "missing_ours | missing_theirs | amount_differs | "
                                                     "status_differs"})
    ours_fen = ma.fields.Integer(allow_none=True)
    theirs_fen = ma.fields.Integer(allow_none=True)
    our_status = ma.fields.String(allow_none=True)
    their_status = ma.fields.String(allow_none=True)
    state = ma.fields.String(metadata={"description": "open | explained | fixed"})
    note = ma.fields.String(allow_none=True)
    updated_by = ma.fields.String(allow_none=True, metadata={"description": "who set the state (their name)"})
    updated_at = LocalDateTime(allow_none=True)


class ExemptionReportArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(("requested", "approved", "rejected")))
    kind = ma.fields.String(validate=validate.OneOf(EXEMPTION_KINDS))
    format = ma.fields.String(load_default="json", validate=validate.OneOf(FORMATS))


class ExemptionRowSchema(ma.Schema):
    id = ma.fields.Integer()
    account_number = ma.fields.String()
    payer_name = ma.fields.String()
    street_name = ma.fields.String()
    kind = ma.fields.String()
    reduction_pct = ma.fields.Integer()
    evidence = ma.fields.String()
    valid_from = ma.fields.Date()
    valid_to = ma.fields.Date()
    status = ma.fields.String()
    requested_by = ma.fields.String(metadata={"description": "the requester's login"})
    requested_by_name = ma.fields.String(metadata={"description": "the requester's name"})
    requested_at = LocalDateTime()
    decided_by = ma.fields.String(allow_none=True, metadata={"description": "the deciding billing head's login"})
    decided_by_name = ma.fields.String(allow_none=True, metadata={"description": "the deciding billing head's name"})
    decided_at = LocalDateTime(allow_none=True)
    decision_reason = ma.fields.String(allow_none=True)
