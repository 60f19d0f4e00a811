"""The arrears rollup (PostgreSQL triggers + fold) equals a full recount of the open bills after every kind of
bill change: bill runs, a settlement, a refund, exemption re-pricing, a fold in between — and the district-wide
report read from it is the report counted from the bills."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from api.db import utcnow
from api.events.service import Actor
from api.fees.billing import billrun, rollup
from api.fees.figures import service as reports
from api.fees.models import ArrearsDelta, ArrearsRollup, Bill, Exemption, FeeAccount, OrderItem, PayOrder, Refund
from api.fees.payments import books, orders, refunds
from api.timefmt import SHANGHAI
from tests.factories.identity import CitizenFactory, StaffFactory
from tests.fees_world import make_world

pytestmark = pytest.mark.usefixtures("db_session")
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


def _report(use_rollup: bool) -> list[dict]:
    head = StaffFactory(roles=("billing_head",))
    today = utcnow().astimezone(SHANGHAI).date()
    return reports.arrears(head, group_by="street", period_from=OCTOBER, period_to=NOVEMBER, today=today,
                           use_rollup=use_rollup)


def _agrees() -> list[dict]:
    assert rollup.differences() == []
    kept = _report(use_rollup=True)
    assert kept == _report(use_rollup=False)
    return kept


def _bill(session, number: str, period: date) -> Bill:
    return session.scalar(sa.select(Bill).join(FeeAccount).where(FeeAccount.number == number, Bill.period == period))


def _pay(session, bill: Bill, amount: int, n: int) -> PayOrder:
    citizen = CitizenFactory()
    order = PayOrder(out_trade_no=f"BT{n:030d}"[:32], user_id=citizen.id, openid=citizen.openid, amount_fen=amount,
                     description="生活垃圾处理费", time_expire=utcnow() + timedelta(minutes=30))
    session.add(order)
    session.flush()
    session.add(OrderItem(order_id=order.id, bill_id=bill.id, amount_fen=amount))
    bill.live_order_id = order.id
    session.flush()
    orders.settle({"out_trade_no": order.out_trade_no, "transaction_id": f"42{n:026d}"}, source="notify")
    return order


def test_the_rollup_equals_a_recount_after_every_kind_of_bill_change(db_session):
    make_world()
    billrun.run(OCTOBER, Actor.system())
    first = _agrees()
    assert first and db_session.scalar(sa.select(sa.func.count()).select_from(ArrearsDelta)) > 0

    assert rollup.fold() > 0  # the deltas move into the rollup; the report reads the same
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ArrearsDelta)) == 0
    assert _agrees() == first

    billrun.run(NOVEMBER, Actor.system())  # a second month, deltas on top of a folded rollup
    a1 = _bill(db_session, "A0001", OCTOBER)
    owed = a1.outstanding_fen
    order = _pay(db_session, a1, owed - 100, 1)  # partly paid: still open, 100 fen less outstanding
    assert a1.status == "partly_paid"
    _pay(db_session, _bill(db_session, "A0004", NOVEMBER), _bill(db_session, "A0004", NOVEMBER).amount_fen, 2)
    _agrees()

    refund = Refund(out_refund_no="RFROLLUP1", order_id=order.id, bill_id=a1.id, amount_fen=200, kind="cancel",
                    reason="退还",
                    status="processing", decided_at=utcnow())
    db_session.add(refund)
    db_session.flush()
    refunds._apply(refund, {"status": "SUCCESS"})  # money back: the bill owes 200 fen more
    assert a1.paid_fen == owed - 300
    rollup.fold()
    _agrees()

    account_id = db_session.scalar(sa.select(FeeAccount.id).where(FeeAccount.number == "A0002"))
    head, clerk = StaffFactory(roles=("billing_head",)), StaffFactory(roles=("billing_clerk",))
    db_session.add(Exemption(account_id=account_id, kind="dibao", reduction_pct=100, evidence="低保证",
                             valid_from=NOVEMBER, valid_to=date(2027, 10, 31), status="approved",
                             requested_by=clerk.id, requested_at=utcnow(), decided_by=head.id, decided_at=utcnow()))
    db_session.flush()
    assert billrun.reprice_unpaid(account_id, NOVEMBER, date(2026, 11, 30), Actor.system()) == 1
    assert _bill(db_session, "A0002", NOVEMBER).status == "nothing_due"  # exempted in full: no longer open
    report = _agrees()
    assert books.check().rollup_problems == []

    rollup.fold()
    assert _agrees() == report
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ArrearsRollup).where(ArrearsRollup.bills == 0)) == 0


def test_a_rollup_that_drifted_is_caught_by_the_books_check(db_session):
    """What `flask billing check` reports if anything ever wrote bills around the triggers (or the rollup)."""
    make_world()
    billrun.run(OCTOBER, Actor.system())
    rollup.fold()
    db_session.execute(sa.update(ArrearsRollup).where(ArrearsRollup.street_code == db_session.scalar(
        sa.select(ArrearsRollup.street_code).limit(1))).values(outstanding_fen=ArrearsRollup.outstanding_fen + 1))
    checked = books.check()
    assert not checked.balanced and len(checked.rollup_problems) == 1
    problem = checked.rollup_problems[0]
    assert problem["rollup_fen"] == problem["outstanding_fen"] + 1 and problem["rollup_bills"] == problem["bills"]
