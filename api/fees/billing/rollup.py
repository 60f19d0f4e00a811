"""The arrears rollup (PostgreSQL): open bills and what they owe per street × period × due date.

Migration 0016's statement-level triggers on fee_bills append, in the same transaction as every bill change
(bill runs, settlements, refunds, exemption re-pricing, anything else), one delta row per group the statement
touched. `fold()` (the clock's `fold_arrears`, every minute) moves the deltas into the rollup in one statement.
`groups()` is what the report reads: rollup + unfolded deltas, which is always exact; `recount()` is the same
figures counted from the bills, which `flask billing check` and the tests compare with it.
On SQLite no trigger keeps the rollup and the report counts the bills (`in_use()` is False).
"""

from __future__ import annotations

import sqlalchemy as sa

from api.db import Session
from api.fees.models import ArrearsDelta, ArrearsRollup, Bill

OPEN = ("unpaid", "partly_paid")
_FOLD = sa.text("""
WITH moved AS (DELETE FROM fee_arrears_deltas RETURNING street_code, period, due_date, bills, outstanding_fen)
INSERT INTO fee_arrears_rollup AS r (street_code, period, due_date, bills, outstanding_fen)
SELECT street_code, period, due_date, sum(bills), sum(outstanding_fen) FROM moved GROUP BY 1, 2, 3
ON CONFLICT (street_code, period, due_date)
DO UPDATE SET bills = r.bills + EXCLUDED.bills, outstanding_fen = r.outstanding_fen + EXCLUDED.outstanding_fen
""")


def in_use() -> bool:
    return Session.get_bind().dialect.name == "postgresql"


def fold() -> int:
    """Move every delta into the rollup (caller commits); returns how many groups it touched. Rows left at zero
    open bills are dropped, so the rollup holds only groups that owe something."""
    touched = Session.execute(_FOLD).rowcount
    Session.execute(sa.delete(ArrearsRollup).where(ArrearsRollup.bills == 0, ArrearsRollup.outstanding_fen == 0))
    return touched


def groups():
    """(street_code, period, due_date, bills, outstanding_fen) of open bills, from the rollup and the deltas not
    folded yet: exact at any moment, since the deltas commit with the bills they describe."""
    parts = sa.union_all(*(sa.select(t.street_code, t.period, t.due_date, t.bills, t.outstanding_fen)
                           for t in (ArrearsRollup, ArrearsDelta))).subquery()
    return (sa.select(parts.c.street_code, parts.c.period, parts.c.due_date,
                      sa.func.sum(parts.c.bills).label("bills"),
                      sa.func.sum(parts.c.outstanding_fen).label("outstanding_fen"))
            .group_by(parts.c.street_code, parts.c.period, parts.c.due_date)
            .having(sa.func.sum(parts.c.bills) != 0).subquery())


def recount():
    """The same groups counted from every open bill."""
    return (sa.select(Bill.street_code, Bill.period, Bill.due_date, sa.func.count().label("bills"),
                      sa.func.sum(Bill.amount_fen - Bill.paid_fen).label("outstanding_fen"))
            .where(Bill.status.in_(OPEN))
            .group_by(Bill.street_code, Bill.period, Bill.due_date).subquery())


def differences(limit: int = 50) -> list[dict]:
    """Groups where the rollup (with its deltas) and a full recount disagree; empty when they agree."""
    kept, counted = groups(), recount()
    keys = ("street_code", "period", "due_date")
    joined = sa.and_(*(kept.c[k] == counted.c[k] for k in keys))
    query = (sa.select(*(sa.func.coalesce(kept.c[k], counted.c[k]).label(k) for k in keys),
                       kept.c.bills.label("rollup_bills"), counted.c.bills.label("bills"),
                       kept.c.outstanding_fen.label("rollup_fen"), counted.c.outstanding_fen.label("outstanding_fen"))
             .select_from(kept.join(counted, joined, full=True))
             .where(sa.or_(kept.c.bills.is_distinct_from(counted.c.bills),
                           kept.c.outstanding_fen.is_distinct_from(counted.c.outstanding_fen)))
             .limit(limit))
    return [_plain(row) for row in Session.execute(query)]


def _plain(row) -> dict:
    item = row._asdict()
    for key in ("rollup_bills", "bills", "rollup_fen", "outstanding_fen"):
        item[key] = None if item[key] is None else int(item[key])
    return item
