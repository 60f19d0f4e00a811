"""Sanitation fees: items, effective-dated standards, accounts and bindings, exemptions, bills, orders, refunds,
the ledger, notifies as received, reconciliation (receipts: receipt_models.py, re-exported here). Money is integer
fen everywhere."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow
from api.fees.receipt_models import RECEIPT_KINDS, IssuedNumber, Receipt  # noqa: F401 - the receipt part

BASES = ("household_month", "person_month", "bin")  # 户/月, 人/月, 桶 (0.3 m³)
PAYER_KINDS = ("resident", "temporary", "individual_business", "organisation")  # 居民户, 暂住人员, 个体户, 单位
EXEMPTION_KINDS = ("dibao", "low_income", "tekun")  # 低保, 低收入困难家庭, 特困供养
BILL_STATUSES = ("unpaid", "partly_paid", "paid", "nothing_due")
ORDER_STATUSES = ("pending", "paid", "closed", "paid_after_close")
ORDER_FLAGS = ("payer_differs",)  # settled, but for the billing head to look at: the payer was not the order's
REFUND_STATUSES = ("requested", "rejected", "approved", "processing", "succeeded", "closed", "abnormal")
# what a refund is for: overcharge (多收退费) and exemption (减免退费) lower the bill's amount due, which stays settled
# (an exemption's share also counts as exempted); cancel (撤销缴费) gives the payment back and the bill is owed again
REFUND_KINDS = ("overcharge", "exemption", "cancel")
ADJUSTING_REFUNDS = ("overcharge", "exemption")
MISMATCH_KINDS = ("missing_ours", "missing_theirs", "amount_differs", "status_differs")
MISMATCH_STATES = ("open", "explained", "fixed")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class FeeItem(Base):
    """处理费 / 清洁卫生费: charged together (两费一并收取), each with its own standard and receipt kind."""

    __tablename__ = "fee_items"
    __table_args__ = (sa.CheckConstraint(_in("receipt_kind", RECEIPT_KINDS), name="receipt_kind"),)

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(32))
    receipt_kind: Mapped[str] = mapped_column(sa.String(8))
    enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    sort: Mapped[int] = mapped_column(sa.SmallInteger, default=0)


class FeeStandard(Base):
    """fen per unit per month (per bin for `bin`) from `effective_from` until the next row of the same item+basis."""

    __tablename__ = "fee_standards"
    __table_args__ = (sa.UniqueConstraint("item_code", "basis", "effective_from", name="uq_fee_standards_period"),
                      sa.CheckConstraint(_in("basis", BASES), name="basis"),
                      sa.CheckConstraint("amount_fen >= 0", name="amount_non_negative"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_code: Mapped[str] = mapped_column(sa.ForeignKey("fee_items.code"))
    basis: Mapped[str] = mapped_column(sa.String(16))
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    source: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeeAccount(Base):
    """户号: who pays for one premises, on which basis, for how many units (households, persons or bins a month)."""

    __tablename__ = "fee_accounts"
    __table_args__ = (sa.CheckConstraint(_in("payer_kind", PAYER_KINDS), name="payer_kind"),
                      sa.CheckConstraint(_in("basis", BASES), name="basis"),
                      sa.CheckConstraint("status IN ('active', 'suspended', 'closed')", name="status"),
                      sa.CheckConstraint("units > 0", name="units_positive"),
                      sa.Index("ix_fee_accounts_street", "street_code", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    premises_id: Mapped[int] = mapped_column(sa.ForeignKey("premises.id"), index=True)
    street_code: Mapped[str] = mapped_column(sa.ForeignKey("divisions.code"))  # the premises' street: staff scope
    payer_kind: Mapped[str] = mapped_column(sa.String(24))
    payer_name: Mapped[str] = mapped_column(sa.String(64))
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    basis: Mapped[str] = mapped_column(sa.String(16))
    units: Mapped[int] = mapped_column(sa.Integer, default=1)
    status: Mapped[str] = mapped_column(sa.String(12), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AccountBinding(Base):
    __tablename__ = "fee_account_bindings"
    __table_args__ = (sa.Index("uq_fee_account_bindings_live", "account_id", "user_id", unique=True,
                               postgresql_where=sa.text("unbound_at IS NULL"),
                               sqlite_where=sa.text("unbound_at IS NULL")),
                      sa.Index("ix_fee_account_bindings_user", "user_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_accounts.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    unbound_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unbound_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class Exemption(Base):
    """An exemption (100 %) or reduction on one account for a validity period, approved by a billing head."""

    __tablename__ = "fee_exemptions"
    __table_args__ = (sa.CheckConstraint(_in("kind", EXEMPTION_KINDS), name="kind"),
                      sa.CheckConstraint("reduction_pct BETWEEN 1 AND 100", name="reduction_pct"),
                      sa.CheckConstraint("valid_to >= valid_from", name="valid_period"),
                      sa.CheckConstraint("status IN ('requested', 'approved', 'rejected')", name="status"),
                      sa.CheckConstraint("decided_by IS NULL OR decided_by <> requested_by", name="four_eyes"),
                      sa.Index("ix_fee_exemptions_account", "account_id", "status"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_accounts.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    reduction_pct: Mapped[int] = mapped_column(sa.SmallInteger, default=100)
    evidence: Mapped[str] = mapped_column(sa.String(200))  # certificate kind and number
    valid_from: Mapped[date] = mapped_column(sa.Date)
    valid_to: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(12), default="requested")
    requested_by: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_reason: Mapped[str | None] = mapped_column(sa.Text)


class BillRun(Base):
    """One period's bill run; `cursor` is the last account id billed, so a crashed run resumes after it."""

    __tablename__ = "fee_bill_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[date] = mapped_column(sa.Date, unique=True)  # the first day of the month billed
    status: Mapped[str] = mapped_column(sa.String(12), default="running")  # running | done
    cursor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bills_created: Mapped[int] = mapped_column(sa.Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Bill(Base):
    __tablename__ = "fee_bills"
    __table_args__ = (sa.UniqueConstraint("account_id", "period", name="uq_fee_bills_account_period"),
                      sa.CheckConstraint(_in("status", BILL_STATUSES), name="status"),
                      sa.CheckConstraint("paid_fen >= 0 AND paid_fen <= amount_fen", name="paid_within_amount"),
                      sa.Index("ix_fee_bills_street", "street_code", "status", "period"),
                      sa.Index("ix_fee_bills_unpaid_due", "due_date", "id",
                               postgresql_where=sa.text("status IN ('unpaid', 'partly_paid')"),
                               sqlite_where=sa.text("status IN ('unpaid', 'partly_paid')")))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_accounts.id"))
    period: Mapped[date] = mapped_column(sa.Date)
    street_code: Mapped[str] = mapped_column(sa.String(12))
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    paid_fen: Mapped[int] = mapped_column(sa.Integer, default=0)  # net of refunds
    exempted_fen: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")  # what exemptions took off
    # what overcharge / exemption refunds took off the amount due after payment: lines = amount + adjusted
    adjusted_fen: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(sa.String(12), default="unpaid")
    due_date: Mapped[date] = mapped_column(sa.Date)
    live_order_id: Mapped[int | None] = mapped_column(sa.BigInteger)  # the one order that may pay it now
    run_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    reminded_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reminded_overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.paid_fen


class BillLine(Base):
    """One fee item's line on a bill. No foreign keys (see migration 0014): written only with its bill by the bill
    run; `flask billing check` proves every line has its bill and a known item, and that the lines add up."""

    __tablename__ = "fee_bill_lines"
    __table_args__ = (sa.CheckConstraint("amount_fen >= 0", name="amount_non_negative"),)

    bill_id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    item_code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    detail: Mapped[dict] = mapped_column(sa.JSON)  # the segments: days, standard, units, reduction


class PayOrder(Base):
    __tablename__ = "fee_orders"
    __table_args__ = (sa.CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
                      sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
                      sa.CheckConstraint(f"flag IS NULL OR {_in('flag', ORDER_FLAGS)}", name="flag"),
                      sa.Index("ix_fee_orders_flagged", "flagged_at", postgresql_where=sa.text("flag IS NOT NULL"),
                               sqlite_where=sa.text("flag IS NOT NULL")),
                      sa.Index("ix_fee_orders_pending", "created_at",
                               postgresql_where=sa.text("status = 'pending'"),
                               sqlite_where=sa.text("status = 'pending'")),
                      sa.Index("ix_fee_orders_user", "user_id", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    out_trade_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    openid: Mapped[str] = mapped_column(sa.String(64))
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    description: Mapped[str] = mapped_column(sa.String(127))
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    prepay_id: Mapped[str | None] = mapped_column(sa.String(64))
    time_expire: Mapped[datetime] = mapped_column(UTCDateTime)
    transaction_id: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_openid: Mapped[str | None] = mapped_column(sa.String(64))  # the payer WeChat reported (payer.openid)
    flag: Mapped[str | None] = mapped_column(sa.String(20))  # ORDER_FLAGS: settled, for the billing head
    flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OrderItem(Base):
    """One bill's share of an order: the payment item that settles with the order."""

    __tablename__ = "fee_order_items"
    __table_args__ = (sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
                      sa.Index("ix_fee_order_items_bill", "bill_id"))

    order_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_orders.id"), primary_key=True)
    bill_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_bills.id"), primary_key=True)
    amount_fen: Mapped[int] = mapped_column(sa.Integer)


class Refund(Base):
    __tablename__ = "fee_refunds"
    __table_args__ = (sa.CheckConstraint(_in("status", REFUND_STATUSES), name="status"),
                      sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
                      sa.CheckConstraint("approved_by IS NULL OR requested_by IS NULL OR approved_by <> requested_by",
                                         name="four_eyes"),
                      sa.CheckConstraint(_in("kind", REFUND_KINDS), name="kind"),
                      sa.CheckConstraint("kind = 'cancel' OR bill_id IS NOT NULL", name="kind_needs_bill"),
                      sa.Index("ix_fee_refunds_order", "order_id"),
                      sa.Index("ix_fee_refunds_bill", "bill_id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    out_refund_no: Mapped[str] = mapped_column(sa.String(64), unique=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_orders.id"))
    bill_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_bills.id"))  # NULL: money no bill was credited
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    kind: Mapped[str] = mapped_column(sa.String(12))  # REFUND_KINDS; the system's refunds of unbilled money: cancel
    reason: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(12), default="requested")
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # NULL: the system (paid after close)
    approved_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refund_id: Mapped[str | None] = mapped_column(sa.String(64))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(Base):
    """Money in (+, a payment WeChat took) and out (−, a refund WeChat made); one row per movement, never edited."""

    __tablename__ = "fee_ledger"
    __table_args__ = (sa.CheckConstraint("kind IN ('payment', 'refund')", name="kind"),
                      sa.CheckConstraint("(kind = 'payment' AND amount_fen > 0) OR "
                                         "(kind = 'refund' AND amount_fen < 0)",
                                         name="sign"),
                      sa.Index("ix_fee_ledger_occurred", "occurred_at"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(80), unique=True)  # pay:<out_trade_no> | refund:<out_refund_no>
    kind: Mapped[str] = mapped_column(sa.String(8))
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_orders.id"))
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fee_refunds.id"))
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)  # WeChat's success time
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayNotification(Base):
    """Every notify as received and what was decided; refused ones are kept for billing staff."""

    __tablename__ = "fee_notifications"
    __table_args__ = (sa.Index("uq_fee_notifications_accepted", "notification_id", unique=True,
                               postgresql_where=sa.text("verdict = 'accepted'"),
                               sqlite_where=sa.text("verdict = 'accepted'")),
                      sa.Index("ix_fee_notifications_verdict", "verdict", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    notification_id: Mapped[str | None] = mapped_column(sa.String(64))
    event_type: Mapped[str | None] = mapped_column(sa.String(32))
    verdict: Mapped[str] = mapped_column(sa.String(20))
    detail: Mapped[str] = mapped_column(sa.String(300), default="")
    out_trade_no: Mapped[str | None] = mapped_column(sa.String(32))
    out_refund_no: Mapped[str | None] = mapped_column(sa.String(64))
    serial: Mapped[str | None] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReconRun(Base):
    """One day's reconciliation (Asia/Shanghai date): WeChat's totals for the day and how many rows differed."""

    __tablename__ = "fee_recon_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bill_date: Mapped[date] = mapped_column(sa.Date, unique=True)
    wechat_in_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    wechat_out_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    ours_in_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    ours_out_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    rows: Mapped[int] = mapped_column(sa.Integer, default=0)
    mismatches: Mapped[int] = mapped_column(sa.Integer, default=0)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # set when WeChat's bill could not be had intact (its hash never matched): flagged, nothing read from it
    bill_problem: Mapped[str | None] = mapped_column(sa.String(300))


class ReconMismatch(Base):
    __tablename__ = "fee_recon_mismatches"
    __table_args__ = (sa.UniqueConstraint("run_id", "key", name="uq_fee_recon_mismatches_key"),
                      sa.CheckConstraint(_in("kind", MISMATCH_KINDS), name="kind"),
                      sa.CheckConstraint(_in("state", MISMATCH_STATES), name="state"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_recon_runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(80))  # pay:<out_trade_no> | refund:<out_refund_no>
    kind: Mapped[str] = mapped_column(sa.String(16))
    ours_fen: Mapped[int | None] = mapped_column(sa.Integer)
    theirs_fen: Mapped[int | None] = mapped_column(sa.Integer)
    our_status: Mapped[str | None] = mapped_column(sa.String(20))
    their_status: Mapped[str | None] = mapped_column(sa.String(20))
    state: Mapped[str] = mapped_column(sa.String(12), default="open")
    note: Mapped[str | None] = mapped_column(sa.Text)
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ArrearsRollup(Base):
    """Open bills and what they still owe per street × period × due date (PostgreSQL): the district-wide arrears
    report reads this plus the unfolded deltas instead of every bill. Written only by `rollup.fold()`."""

    __tablename__ = "fee_arrears_rollup"

    street_code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    period: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    due_date: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    bills: Mapped[int] = mapped_column(sa.BigInteger)
    outstanding_fen: Mapped[int] = mapped_column(sa.BigInteger)


class ArrearsDelta(Base):
    """What one statement on fee_bills changed in the rollup's groups, appended by the statement-level triggers
    of migration 0016 in that statement's transaction (no row is updated in place, so concurrent settlements
    never wait for each other here); `rollup.fold()` moves them into ArrearsRollup."""

    __tablename__ = "fee_arrears_deltas"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    street_code: Mapped[str] = mapped_column(sa.String(12))
    period: Mapped[date] = mapped_column(sa.Date)
    due_date: Mapped[date] = mapped_column(sa.Date)
    bills: Mapped[int] = mapped_column(sa.BigInteger)
    outstanding_fen: Mapped[int] = mapped_column(sa.BigInteger)
