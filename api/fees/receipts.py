"""After settlement: what each payer is owed a document for (one per account and receipt kind), ready for the
receipts job of the receipts issue to ask the issuing platform for a number and render the PDF."""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.fees.models import Bill, BillLine, FeeAccount, FeeItem, OrderItem, PayOrder, Receipt


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
        stmt = insert_for(Receipt).values(order_id=order.id, account_id=account_id, kind=kind,
                                          amount_fen=sum(i["amount_fen"] for i in doc["items"]),
                                          payer_name=doc["payer"], items=doc["items"], status="awaiting_issue",
                                          created_at=utcnow())
        created += Session.execute(stmt.on_conflict_do_nothing(
            index_elements=["order_id", "account_id", "kind"])).rowcount
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
