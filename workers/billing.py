"""Fee jobs: refunds to WeChat, receipts to prepare, bill runs, reminders, the payment sweep, reconciliation."""

from __future__ import annotations

import logging
from datetime import date

from api import timefmt
from api.config import get_config
from api.db import unit_of_work, utcnow
from api.events.service import Actor
from api.fees.billing import billrun, reminders, rollup
from api.fees.payments import orders, reconcile, refunds
from api.fees.receipts import issuer, reversals
from api.fees.receipts import service as receipts
from api.wechatpay import errors as pay_errors
from workers.jobs import job_session, job_unit, on_last_failure

log = logging.getLogger(__name__)


def submit_refund(refund_id: int) -> str:
    with job_unit():
        return refunds.submit(refund_id)  # PayUnavailable propagates: RQ retries at PAY_RETRY_INTERVALS


def prepare_receipts(order_id: int) -> int:
    with job_unit():
        return receipts.prepare(order_id)


def reverse_receipts(refund_id: int) -> int:
    with job_unit():
        return reversals.after_refund(refund_id)


# the refund is marked and the billing heads told (the money stays refunded; the receipt waits for a person)
on_reversal_failure = on_last_failure(lambda job, error: reversals.give_up(job.args[0], error))


def issue_receipt(receipt_id: int) -> str:
    with job_unit():
        return receipts.issue(receipt_id)  # IssuerUnavailable propagates: RQ retries, then the sweep


def bill_run(period: str) -> int:
    with job_session():
        return billrun.run(date.fromisoformat(period), Actor.system()).bills_created


def monthly_bill_run() -> int:
    with job_session():
        done = billrun.run_if_due(timefmt.today())
        return done.bills_created if done else 0


def bill_reminders() -> int:
    today = timefmt.today()
    with job_unit():
        return sum(reminders.remind(stage, today) for stage in reminders.STAGES)


def fold_arrears() -> int:
    """Move the arrears rollup's deltas into it (PostgreSQL; nothing to do on the embedded SQLite)."""
    with job_unit():
        return rollup.fold() if rollup.in_use() else 0


def pay_sweep() -> dict[str, int]:
    """Ask WeChat about orders whose notify has not come, follow up refunds it has not confirmed, and ask the
    issuing platform again for receipts still waiting — one unit each (one's trouble never holds up the others)."""
    outcomes: dict[str, int] = {}
    with job_session():
        with unit_of_work():
            pending, stale_refunds = orders.stale_pending(utcnow()), refunds.stale(utcnow())
            waiting = receipts.waiting(utcnow(), get_config().PAY_QUERY_AFTER_S)
        for step, key in ([(orders.reconcile_order, o) for o in pending] + [(refunds.follow_up, r)
                                                                           for r in stale_refunds]
                          + [(_issue, r) for r in waiting]):
            outcome = _one(step, key)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _issue(receipt_id: int) -> str:
    return "receipt " + receipts.issue(receipt_id)


def _one(step, key) -> str:
    try:
        with unit_of_work():
            return step(key)
    except (pay_errors.PayError, issuer.IssuerUnavailable) as exc:
        log.warning("WeChat Pay or the issuing platform not reachable in the sweep", extra={"key": key,
                                                                                             "error": str(exc)})
        return "unavailable"


def reconcile_yesterday() -> str:
    with job_unit():
        day = reconcile.due_day(utcnow(), get_config().RECONCILE_AFTER_HOUR)
        if day is None:
            return "nothing due"
        recon = reconcile.run(day, Actor.system())
        if recon.bill_problem:  # committed as flagged; the clock asks again while the day is due
            return f"{day}: flagged, {recon.bill_problem}"
        return f"{day}: {recon.mismatches} mismatches"
