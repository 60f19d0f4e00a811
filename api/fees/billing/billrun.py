"""The monthly bill run: every active account's bill for a period, in bulk, idempotent, resumable.

Accounts are billed in id order, BATCH at a time; each batch is one unit of work that inserts its bills and their
lines and moves the run's cursor to the batch's last account. On PostgreSQL the batch is COPYed into two temporary
staging tables and moved by one statement (INSERT … SELECT … ON CONFLICT (account, period) DO NOTHING RETURNING,
the lines joined to what was inserted); elsewhere (the embedded SQLite of `make run`) by a multi-row INSERT. A
crash anywhere loses at most the batch in flight, which the next run (CLI or the clock's job) bills again from the
cursor; the unique key makes a repeated batch harmless. Accounts with no approved exemption in the month share one
priced line (and its JSON) per (item, basis, units): a million accounts cost a handful of pricing calls.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa

from api.config import get_config
from api.db import Session, insert_for, unit_of_work, utcnow
from api.events.service import Actor, record
from api.fees import pricing
from api.fees.billing import standards
from api.fees.models import Bill, BillLine, BillRun, FeeAccount

log = logging.getLogger(__name__)
BATCH = 10_000
STAGE_DDL = ("CREATE TEMP TABLE IF NOT EXISTS fee_bill_stage (account_id bigint, street_code varchar(12), "
             "amount_fen integer, exempted_fen integer, status varchar(12))",
             "CREATE TEMP TABLE IF NOT EXISTS fee_line_stage (account_id bigint, item_code varchar(16), "
             "amount_fen integer, detail json)")
MOVE_STAGED = """
WITH ins AS (
  INSERT INTO fee_bills (account_id, period, street_code, amount_fen, paid_fen, exempted_fen, status, due_date, run_id,
                         created_at)
  SELECT account_id, %(period)s, street_code, amount_fen, 0, exempted_fen, status, %(due)s, %(run)s, %(now)s
  FROM fee_bill_stage
  ON CONFLICT (account_id, period) DO NOTHING
  RETURNING id, account_id),
lines AS (
  INSERT INTO fee_bill_lines (bill_id, item_code, amount_fen, detail)
  SELECT ins.id, l.item_code, l.amount_fen, l.detail FROM ins JOIN fee_line_stage l ON l.account_id = ins.account_id
  RETURNING 1)
SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM lines)"""


def due_date(period: date) -> date:
    return pricing.month_bounds(period)[1] + timedelta(days=get_config().BILL_DUE_DAYS)


def run(period: date, actor: Actor, *, batch: int = BATCH, units: Callable = unit_of_work,
        stop_after: int | None = None) -> BillRun:
    """Bill `period` (its first day) to the end, committing batch by batch; returns the finished run.
    `stop_after` batches: stop early, as a crash would (tests)."""
    period = period.replace(day=1)
    with units():
        bill_run = _start(period, actor)
        run_id = bill_run.id
    first, last = pricing.month_bounds(period)
    prices = standards.timeline(last)
    shared: dict[tuple[str, str, int], tuple[int, list[dict]] | None] = {}
    batches = 0
    while stop_after is None or batches < stop_after:
        with units():
            bill_run = Session.get(BillRun, run_id, with_for_update=True)
            if bill_run.status == "done":
                break
            accounts = Session.execute(sa.select(FeeAccount.id, FeeAccount.basis, FeeAccount.units,
                                                 FeeAccount.street_code)
                                       .where(FeeAccount.status == "active", FeeAccount.id > bill_run.cursor)
                                       .order_by(FeeAccount.id).limit(batch)).all()
            if not accounts:
                bill_run.status, bill_run.finished_at = "done", utcnow()
                record("fee_bill_run", run_id, "bill_run_finished", actor, to_state="done",
                       payload={"period": period.strftime("%Y-%m"), "bills": bill_run.bills_created})
                break
            created = _bill_batch(bill_run, period, accounts, prices, shared, first, last)
            bill_run.cursor, bill_run.bills_created = accounts[-1].id, bill_run.bills_created + created
        batches += 1
    with units():
        return Session.get(BillRun, run_id)


def _start(period: date, actor: Actor) -> BillRun:
    stmt = insert_for(BillRun).values(period=period, status="running", cursor=0, bills_created=0,
                                      started_at=utcnow())
    inserted = Session.execute(stmt.on_conflict_do_nothing(index_elements=["period"])).rowcount
    bill_run = Session.scalar(sa.select(BillRun).where(BillRun.period == period))
    if inserted:
        record("fee_bill_run", bill_run.id, "bill_run_started", actor, to_state="running",
               payload={"period": period.strftime("%Y-%m")})
    return bill_run


def _bill_batch(bill_run: BillRun, period: date, accounts, prices, shared, first: date, last: date) -> int:
    reductions = standards.reductions_for([a.id for a in accounts], first, last)
    due, now = due_date(period), utcnow()
    bills, lines_by_account = [], {}
    for account in accounts:
        lines, exempted = [], 0
        for (item, basis), timeline in prices.items():
            if basis != account.basis:
                continue
            key = (item, basis, account.units)
            if key not in shared:  # priced once per run, its JSON written once too
                priced = pricing.price(period, account.units, timeline, [])
                shared[key] = None if priced is None else (
                    item, priced[0], priced[1], json.dumps({"segments": priced[1]}, ensure_ascii=False))
            line = shared[key]
            own = reductions.get(account.id)
            if own and line is not None:
                priced = pricing.price(period, account.units, timeline, own)
                exempted += line[1] - priced[0]
                line = (item, priced[0], priced[1], None)
            if line is not None:
                lines.append(line)
        if not lines:
            continue  # no standard covers any day of the month for this basis
        total = sum(line[1] for line in lines)
        bills.append({"account_id": account.id, "period": period, "street_code": account.street_code,
                      "amount_fen": total, "paid_fen": 0, "exempted_fen": exempted,
                      "status": "unpaid" if total else "nothing_due", "due_date": due, "run_id": bill_run.id,
                      "created_at": now})
        lines_by_account[account.id] = lines
    if not bills:
        return 0
    if Session.get_bind().dialect.name == "postgresql":
        return _move_staged(bills, lines_by_account, period, due, bill_run.id, now)
    inserted = Session.execute(insert_for(Bill).on_conflict_do_nothing(index_elements=["account_id", "period"])
                               .returning(Bill.id, Bill.account_id), bills).all()
    if not inserted:
        return 0
    Session.execute(sa.insert(BillLine), [
        {"bill_id": bill_id, "item_code": item, "amount_fen": amount, "detail": {"segments": detail}}
        for bill_id, account_id in inserted for item, amount, detail, _ in lines_by_account[account_id]])
    return len(inserted)


def _move_staged(bills: list[dict], lines_by_account: dict, period: date, due: date, run_id: int, now) -> int:
    """COPY the batch into the staging tables (temporary: this connection's own) and move it in one statement."""
    cursor = Session.connection().connection.driver_connection.cursor()
    with cursor:
        for ddl in STAGE_DDL:
            cursor.execute(ddl)
        with cursor.copy("COPY fee_bill_stage (account_id, street_code, amount_fen, exempted_fen, status) "
                         "FROM STDIN") as copy:
            for bill in bills:
                copy.write_row((bill["account_id"], bill["street_code"], bill["amount_fen"], bill["exempted_fen"],
                                bill["status"]))
        with cursor.copy("COPY fee_line_stage (account_id, item_code, amount_fen, detail) FROM STDIN") as copy:
            for account_id, lines in lines_by_account.items():
                for item, amount, detail, text in lines:
                    copy.write_row((account_id, item, amount,
                                    text or json.dumps({"segments": detail}, ensure_ascii=False)))
        cursor.execute(MOVE_STAGED, {"period": period, "due": due, "run": run_id, "now": now})
        created = cursor.fetchone()[0]
        cursor.execute("TRUNCATE fee_bill_stage, fee_line_stage")
    return created


def current_period(today: date) -> date:
    return today.replace(day=1)


def run_if_due(today: date) -> BillRun | None:
    """The clock's monthly run: bill the current month from BILL_RUN_DAY on (resuming one that was cut off)."""
    if today.day < get_config().BILL_RUN_DAY:
        return None
    period = current_period(today)
    with unit_of_work():
        existing = Session.scalar(sa.select(BillRun.status).where(BillRun.period == period))
    if existing == "done":
        return None
    return run(period, Actor.system())


def reprice_unpaid(account_id: int, first: date, last: date, actor: Actor) -> int:
    """After an exemption is approved: the account's bills for months it covers that nobody has started paying
    (nothing paid, in no live order, nothing taken off by a refund) are priced again with it. Returns how many
    changed."""
    account = Session.get(FeeAccount, account_id)
    bills = list(Session.scalars(sa.select(Bill).where(
        Bill.account_id == account_id, Bill.status == "unpaid", Bill.paid_fen == 0, Bill.live_order_id.is_(None),
        Bill.adjusted_fen == 0,
        Bill.period >= first.replace(day=1), Bill.period <= last).with_for_update()))
    changed = 0
    for bill in bills:
        month_first, month_last = pricing.month_bounds(bill.period)
        reductions = standards.reductions_for([account_id], month_first, month_last).get(account_id, [])
        lines = {line.item_code: line
                 for line in Session.scalars(sa.select(BillLine).where(BillLine.bill_id == bill.id))}
        before = bill.amount_fen
        for (item, basis), timeline in standards.timeline(month_last).items():
            line = lines.get(item)
            if basis != account.basis or line is None:
                continue
            priced = pricing.price(bill.period, account.units, timeline, reductions)
            line.amount_fen, line.detail = (priced[0], {"segments": priced[1]}) if priced else (0, {"segments": []})
        gross = 0
        for (item, basis), timeline in standards.timeline(month_last).items():
            if basis == account.basis and item in lines:
                whole = pricing.price(bill.period, account.units, timeline, [])
                gross += whole[0] if whole else 0
        bill.amount_fen = sum(line.amount_fen for line in lines.values())
        bill.exempted_fen = gross - bill.amount_fen
        if bill.amount_fen == 0:
            bill.status = "nothing_due"
        if bill.amount_fen != before:
            changed += 1
            record("fee_bill", bill.id, "bill_repriced", actor, reason="exemption approved",
                   payload={"before_fen": before, "after_fen": bill.amount_fen})
    Session.flush()
    return changed
