"""Do the books balance? Two checks, in SQL over every row (`flask billing check`):

1. every bill: paid = Σ its items in paid orders − Σ its succeeded refunds of every kind (and never more than it
   owes); adjusted = Σ its succeeded overcharge and exemption refunds (what they took off the amount due); its
   lines add up to amount + adjusted, and every line has its bill and a known item;
2. the arrears rollup (PostgreSQL) with its unfolded deltas equals a full recount of the open bills;
3. the ledger: money in − money out = what WeChat's trade bills say we hold, for every reconciled day, and the
   ledger agrees with the orders and refunds it records (each paid order one payment entry of its amount, each
   succeeded refund one negative entry of its amount).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from api.db import Session
from api.fees.billing import rollup
from api.fees.models import (
    ADJUSTING_REFUNDS,
    Bill,
    BillLine,
    FeeItem,
    LedgerEntry,
    OrderItem,
    PayOrder,
    ReconRun,
    Refund,
)


@dataclass
class Books:
    bills_checked: int = 0
    bill_problems: list[dict] = field(default_factory=list)
    ledger_in_fen: int = 0
    ledger_out_fen: int = 0
    reconciled_days: int = 0
    ledger_net_reconciled_fen: int = 0
    wechat_net_fen: int = 0
    ledger_problems: list[str] = field(default_factory=list)
    rollup_checked: bool = False
    rollup_problems: list[dict] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return not self.bill_problems and not self.ledger_problems and not self.rollup_problems


def check(limit: int = 50) -> Books:
    books = Books()
    paid = (sa.select(OrderItem.bill_id, sa.func.sum(OrderItem.amount_fen).label("fen"))
            .join(PayOrder, PayOrder.id == OrderItem.order_id).where(PayOrder.status == "paid")
            .group_by(OrderItem.bill_id).subquery())
    adjusting = sa.case((Refund.kind.in_(ADJUSTING_REFUNDS), Refund.amount_fen), else_=0)
    refunded = (sa.select(Refund.bill_id, sa.func.sum(Refund.amount_fen).label("fen"),
                          sa.func.sum(adjusting).label("adjusted"))
                .where(Refund.status == "succeeded", Refund.bill_id.is_not(None)).group_by(Refund.bill_id).subquery())
    expected = sa.func.coalesce(paid.c.fen, 0) - sa.func.coalesce(refunded.c.fen, 0)
    adjusted = sa.func.coalesce(refunded.c.adjusted, 0)
    books.bills_checked = Session.scalar(sa.select(sa.func.count()).select_from(Bill))
    rows = Session.execute(sa.select(Bill.id, Bill.paid_fen, expected.label("expected"), Bill.amount_fen,
                                     Bill.adjusted_fen, adjusted.label("expected_adjusted"))
                           .outerjoin(paid, paid.c.bill_id == Bill.id)
                           .outerjoin(refunded, refunded.c.bill_id == Bill.id)
                           .where(sa.or_(Bill.paid_fen != expected, Bill.paid_fen > Bill.amount_fen,
                                         Bill.adjusted_fen != adjusted)).limit(limit))
    books.bill_problems = [{"bill_id": r.id, "paid_fen": r.paid_fen, "expected_fen": int(r.expected),
                            "amount_fen": r.amount_fen, "adjusted_fen": r.adjusted_fen,
                            "expected_adjusted_fen": int(r.expected_adjusted)} for r in rows]
    _lines_add_up(books, limit)
    if rollup.in_use():
        books.rollup_checked, books.rollup_problems = True, rollup.differences(limit)
    books.ledger_in_fen = int(Session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
                                             .where(LedgerEntry.kind == "payment")))
    books.ledger_out_fen = -int(Session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
                                               .where(LedgerEntry.kind == "refund")))
    _ledger_matches_orders(books, limit)
    _ledger_matches_wechat(books)
    return books


def _lines_add_up(books: Books, limit: int) -> None:
    """Every bill's lines add up to it with what adjusting refunds took off; every line belongs to a bill and
    names a known item."""
    lines = (sa.select(BillLine.bill_id, sa.func.sum(BillLine.amount_fen).label("fen"))
             .group_by(BillLine.bill_id).subquery())
    rows = Session.execute(sa.select(Bill.id, Bill.amount_fen, Bill.adjusted_fen, lines.c.fen)
                           .outerjoin(lines, lines.c.bill_id == Bill.id)
                           .where(sa.func.coalesce(lines.c.fen, -1) != Bill.amount_fen + Bill.adjusted_fen)
                           .limit(limit))
    books.bill_problems += [{"bill_id": r.id, "amount_fen": r.amount_fen, "adjusted_fen": r.adjusted_fen,
                             "lines_fen": r.fen} for r in rows]
    orphans = Session.execute(sa.select(BillLine.bill_id, BillLine.item_code)
                              .outerjoin(Bill, Bill.id == BillLine.bill_id)
                              .outerjoin(FeeItem, FeeItem.code == BillLine.item_code)
                              .where(sa.or_(Bill.id.is_(None), FeeItem.code.is_(None))).limit(limit))
    books.bill_problems += [{"line": f"{bill_id}/{item}", "problem": "no such bill or item"}
                            for bill_id, item in orphans]


def _ledger_matches_orders(books: Books, limit: int) -> None:
    entry = sa.orm.aliased(LedgerEntry)
    orders = Session.execute(sa.select(PayOrder.out_trade_no, PayOrder.amount_fen, entry.amount_fen)
                             .outerjoin(entry, entry.key == sa.literal("pay:") + PayOrder.out_trade_no)
                             .where(sa.or_(sa.and_(PayOrder.status.in_(("paid", "paid_after_close")),
                                                   sa.or_(entry.id.is_(None), entry.amount_fen != PayOrder.amount_fen)),
                                           sa.and_(PayOrder.status.not_in(("paid", "paid_after_close")),
                                                   entry.id.is_not(None))))
                             .limit(limit))
    books.ledger_problems += [f"order {no}: amount {amount}, ledger {entry_fen}" for no, amount, entry_fen in orders]
    refunds = Session.execute(sa.select(Refund.out_refund_no, Refund.amount_fen, entry.amount_fen)
                              .outerjoin(entry, entry.key == sa.literal("refund:") + Refund.out_refund_no)
                              .where(sa.or_(sa.and_(Refund.status == "succeeded",
                                                    sa.or_(entry.id.is_(None), entry.amount_fen != -Refund.amount_fen)),
                                            sa.and_(Refund.status != "succeeded", entry.id.is_not(None))))
                              .limit(limit))
    books.ledger_problems += [f"refund {no}: amount {amount}, ledger {entry_fen}" for no, amount, entry_fen in refunds]


def _ledger_matches_wechat(books: Books) -> None:
    from api.fees.payments.reconcile import day_bounds

    for recon in Session.scalars(sa.select(ReconRun).where(ReconRun.bill_problem.is_(None))  # flagged: no bill read
                                 .order_by(ReconRun.bill_date)):
        start, end = day_bounds(recon.bill_date)
        net = int(Session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
                                 .where(LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end)))
        wechat = recon.wechat_in_fen - recon.wechat_out_fen
        books.reconciled_days += 1
        books.ledger_net_reconciled_fen += net
        books.wechat_net_fen += wechat
        if net != wechat:
            books.ledger_problems.append(f"{recon.bill_date}: ledger net {net} fen, WeChat's bill {wechat} fen")
