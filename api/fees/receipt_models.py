"""Receipts (the receipt part of the fee models, kept apart from models.py, which re-exports them): what a paid
order owes each payer a document for, and every (票据代码, 号码) held by a receipt or its red reversal."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, BigId, UTCDateTime, utcnow

RECEIPT_KINDS = ("fiscal", "vat")  # 财政电子票据 (non-tax revenue) | 数电票 (VAT e-invoice)
NUMBER_ROLES = ("receipt", "reversal")  # who holds an issued (票据代码, 号码): a receipt or its 红字 document


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Receipt(Base):
    """What a paid order owes each payer: one document per account and receipt kind, awaiting the issuing
    platform (the receipts issue issues and renders them)."""

    __tablename__ = "fee_receipts"
    __table_args__ = (sa.UniqueConstraint("order_id", "account_id", "kind", "generation",
                                          name="uq_fee_receipts_order_kind"),
                      sa.UniqueConstraint("doc_code", "doc_number", name="uq_fee_receipts_document"),
                      sa.Index("ix_fee_receipts_waiting", "created_at",
                               postgresql_where=sa.text("status = 'awaiting_issue'"),
                               sqlite_where=sa.text("status = 'awaiting_issue'")),
                      sa.CheckConstraint(_in("kind", RECEIPT_KINDS), name="kind"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_orders.id"))
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_accounts.id"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    amount_fen: Mapped[int] = mapped_column(sa.Integer)
    payer_name: Mapped[str] = mapped_column(sa.String(64))
    items: Mapped[list] = mapped_column(sa.JSON)  # [{item, name, account, period, amount_fen}]
    status: Mapped[str] = mapped_column(sa.String(16), default="awaiting_issue")  # → issued
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # what the issuing platform answered (票据代码, 号码, 校验码), and the rendered PDF in storage
    doc_code: Mapped[str | None] = mapped_column(sa.String(12))
    doc_number: Mapped[str | None] = mapped_column(sa.String(20))
    check_code: Mapped[str | None] = mapped_column(sa.String(12))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pdf_key: Mapped[str | None] = mapped_column(sa.String(120))
    font: Mapped[str | None] = mapped_column(sa.String(32))  # the font it was rendered with
    issue_round: Mapped[int] = mapped_column(sa.SmallInteger, default=0)  # a new request id after a bad answer
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # after a refund: this receipt reversed (红冲, its red document) and a new one for what is left
    generation: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    replaces_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    reversal_code: Mapped[str | None] = mapped_column(sa.String(12))
    reversal_number: Mapped[str | None] = mapped_column(sa.String(20))
    reversal_pdf_key: Mapped[str | None] = mapped_column(sa.String(120))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class IssuedNumber(Base):
    """Every (票据代码, 号码) held here, by a receipt or by a receipt's red reversal: the primary key is what makes
    a number the platform hands out twice impossible to keep twice (receipts.issue asks the platform again)."""

    __tablename__ = "fee_receipt_numbers"
    __table_args__ = (sa.UniqueConstraint("receipt_id", "role", name="uq_fee_receipt_numbers_receipt_role"),
                      sa.CheckConstraint(_in("role", NUMBER_ROLES), name="role"))

    doc_code: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    doc_number: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    receipt_id: Mapped[int] = mapped_column(sa.ForeignKey("fee_receipts.id"))
    role: Mapped[str] = mapped_column(sa.String(8))  # receipt | reversal (its 红字 document)
    held_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
