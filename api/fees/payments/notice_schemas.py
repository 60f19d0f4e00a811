"""What WeChat Pay sends us — a notify's decrypted resource, a query's answer — checked before anything reads it:
only the fields we read, of the kind we read them as (WeChat adds fields; those pass)."""

from __future__ import annotations

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import validate


def _wechat_time(value: str) -> None:
    """An RFC 3339 time that exists in UTC between 1970 and 2199 (the API's rule for times from outside)."""
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None and 1970 <= moment.astimezone(UTC).year <= 2199:
            return
    except (ValueError, OverflowError):
        pass
    raise ma.ValidationError("not an RFC 3339 time between 1970 and 2199")


class _Notice(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE  # WeChat adds fields; only those we read are checked


class _TransactionAmount(_Notice):
    total = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**31 - 1))


class _Payer(_Notice):
    openid = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))


class TransactionNoticeSchema(_Notice):
    """A transaction as WeChat reports it (TRANSACTION.SUCCESS's resource, a query's answer)."""

    out_trade_no = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    appid = ma.fields.String(required=True)
    mchid = ma.fields.String(required=True)
    trade_state = ma.fields.String(required=True)
    transaction_id = ma.fields.String(validate=validate.Length(min=1, max=32))
    success_time = ma.fields.String(validate=_wechat_time)
    amount = ma.fields.Nested(_TransactionAmount, required=True)
    payer = ma.fields.Nested(_Payer)


class _RefundAmount(_Notice):
    refund = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**31 - 1))


class RefundNoticeSchema(_Notice):
    """A refund notify's resource (REFUND.SUCCESS / ABNORMAL / CLOSED)."""

    out_refund_no = ma.fields.String(required=True, validate=validate.Length(min=1, max=64))
    refund_status = ma.fields.String(required=True)
    success_time = ma.fields.String(validate=_wechat_time)
    amount = ma.fields.Nested(_RefundAmount, required=True)
