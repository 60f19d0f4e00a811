"""Daily reconciliation: WeChat's trade bill for a day against our ledger for the same day (Asia/Shanghai).

Every payment and refund on either side is keyed (pay:<out_trade_no>, refund:<out_refund_no>); a key on one side
only, or with a different amount or status, is a mismatch that billing staff explain or fix. Running a day again
replaces its mismatches (keeping the state and note of one that is still there), never adds a second run.
Amounts in the bill are yuan strings; they become fen through Decimal, never a float. A bill whose file never
matches the hash WeChat gives for it (the client downloads it again, BILL_TRIES in all) is not read at all: the day's
run is flagged (`bill_problem`, an event) and the clock tries the day again while it is due.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa

from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.fees import errors, staff
from api.fees.models import LedgerEntry, PayOrder, ReconMismatch, ReconRun, Refund
from api.identity.models import User
from api.notifications import inbox
from api.timefmt import SHANGHAI
from api.wechatpay import errors as pay_errors
from api.wechatpay.client import get_pay_client


@dataclass(frozen=True)
class Row:
    key: str
    amount_fen: int  # positive: money in (a payment) or out (a refund)
    status: str


class BillFormatError(ValueError):
    pass


def fen(value: str) -> int:
    """'`12.34' → 1234, exactly."""
    try:
        amount = Decimal(value.strip().lstrip("`") or "0") * 100
    except InvalidOperation as exc:
        raise BillFormatError(f"not an amount: {value!r}") from exc
    if amount != amount.to_integral_value():
        raise BillFormatError(f"more than two decimals: {value!r}")
    return int(amount)


def parse_bill(text: str) -> tuple[list[Row], int, int]:
    """(rows, money in, money out) of a trade bill (bill_type ALL); the summary lines are checked against the rows."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("交易时间"):
        raise BillFormatError("not a WeChat trade bill")
    summary_at = next((n for n, line in enumerate(lines) if line.startswith("总交易单数")), None)
    if summary_at is None or summary_at + 1 >= len(lines):
        raise BillFormatError("the bill has no summary")
    header = lines[0].split(",")
    rows, money_in, money_out = [], 0, 0
    for values in csv.reader(io.StringIO("\n".join(lines[1:summary_at]))):
        record_ = dict(zip(header, (v.lstrip("`") for v in values), strict=False))
        status = record_.get("交易状态", "")
        if status == "REFUND":
            amount = fen(record_.get("退款金额", "0"))
            rows.append(Row(f"refund:{record_.get('商户退款单号')}", amount, record_.get("退款状态") or "SUCCESS"))
            money_out += amount
        else:
            amount = fen(record_.get("应结订单金额", "0"))
            rows.append(Row(f"pay:{record_.get('商户订单号')}", amount, status))
            money_in += amount
    summary = next(csv.reader([lines[summary_at + 1]]))
    if fen(summary[1]) != money_in or fen(summary[2]) != money_out:
        raise BillFormatError("the bill's summary does not add up to its rows")
    return rows, money_in, money_out


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), SHANGHAI)
    return start, start + timedelta(days=1)


def ours(day: date) -> dict[str, Row]:
    start, end = day_bounds(day)
    rows = Session.execute(sa.select(LedgerEntry.key, LedgerEntry.amount_fen)
                           .where(LedgerEntry.occurred_at >= start, LedgerEntry.occurred_at < end))
    return {key: Row(key, abs(amount), "SUCCESS") for key, amount in rows}


def run(day: date, actor: Actor) -> ReconRun:
    """Reconcile `day`; a re-run replaces that day's results. A bill that cannot be had intact flags the day."""
    try:
        text = get_pay_client().trade_bill(day)
    except pay_errors.BillUnverified as exc:
        return _flag(day, str(exc), actor)
    theirs_rows, money_in, money_out = parse_bill(text) if text else ([], 0, 0)
    theirs = {row.key: row for row in theirs_rows}
    mine = ours(day)
    found: dict[str, dict] = {}
    for key in sorted(set(theirs) | set(mine)):
        a, b = mine.get(key), theirs.get(key)
        kind = ("missing_ours" if a is None else "missing_theirs" if b is None
                else "amount_differs" if a.amount_fen != b.amount_fen
                else "status_differs" if b.status not in ("SUCCESS",) else None)
        if kind:
            found[key] = {"kind": kind, "ours_fen": a.amount_fen if a else None,
                          "theirs_fen": b.amount_fen if b else None, "our_status": _status_of(key) if a else None,
                          "their_status": b.status if b else None}
    ours_in = sum(r.amount_fen for k, r in mine.items() if k.startswith("pay:"))
    ours_out = sum(r.amount_fen for k, r in mine.items() if k.startswith("refund:"))
    stmt = insert_for(ReconRun).values(bill_date=day, ran_at=utcnow())
    Session.execute(stmt.on_conflict_do_nothing(index_elements=["bill_date"]))
    recon = Session.scalar(sa.select(ReconRun).where(ReconRun.bill_date == day).with_for_update())
    recon.wechat_in_fen, recon.wechat_out_fen, recon.ours_in_fen, recon.ours_out_fen = (money_in, money_out, ours_in,
                                                                                        ours_out)
    recon.rows, recon.mismatches, recon.ran_at, recon.bill_problem = len(theirs), len(found), utcnow(), None
    previous = {m.key: m for m in Session.scalars(sa.select(ReconMismatch).where(ReconMismatch.run_id == recon.id))}
    for key, mismatch in previous.items():
        if key not in found:
            Session.delete(mismatch)
    for key, values in found.items():
        row = previous.get(key) or ReconMismatch(run_id=recon.id, key=key)
        if row.kind is not None and row.kind != values["kind"]:
            row.state, row.note = "open", None  # a different problem now: it needs looking at again
        for name, value in values.items():
            setattr(row, name, value)
        Session.add(row)
    record("fee_reconciliation", recon.id, "reconciled", actor,
           payload={"date": day.isoformat(), "rows": len(theirs), "mismatches": len(found)})
    Session.flush()
    return recon


def _flag(day: date, problem: str, actor: Actor) -> ReconRun:
    """The day's run marked: WeChat's bill could not be verified. Its earlier results, if any, stay as they were."""
    stmt = insert_for(ReconRun).values(bill_date=day, ran_at=utcnow())
    Session.execute(stmt.on_conflict_do_nothing(index_elements=["bill_date"]))
    recon = Session.scalar(sa.select(ReconRun).where(ReconRun.bill_date == day).with_for_update())
    news = recon.bill_problem != problem[:300]  # the clock tries the day again every hour: tell people once
    recon.bill_problem, recon.ran_at = problem[:300], utcnow()
    if news:
        record("fee_reconciliation", recon.id, "reconciliation_flagged", actor, reason=problem[:200],
               payload={"date": day.isoformat()})
        inbox.notify(staff.billing_heads(), "fee_reconciliation_flagged", "fee_reconciliation", recon.id,
                     f"{day.isoformat()} 的微信交易账单校验不符（已重试），未予对账，请核查")
    Session.flush()
    return recon


def _status_of(key: str) -> str | None:
    kind, _, number = key.partition(":")
    if kind == "pay":
        return Session.scalar(sa.select(PayOrder.status).where(PayOrder.out_trade_no == number))
    return Session.scalar(sa.select(Refund.status).where(Refund.out_refund_no == number))


def due_day(now: datetime, after_hour: int) -> date | None:
    """Yesterday (Beijing), once WeChat's bill for it is ready; None if it already ran (a run flagged because the
    bill could not be verified is tried again)."""
    local = now.astimezone(SHANGHAI)
    if local.hour < after_hour:
        return None
    day = local.date() - timedelta(days=1)
    done = Session.scalar(sa.select(ReconRun.id).where(ReconRun.bill_date == day, ReconRun.bill_problem.is_(None)))
    return None if done else day


def results(day: date) -> tuple[ReconRun | None, list[ReconMismatch]]:
    recon = Session.scalar(sa.select(ReconRun).where(ReconRun.bill_date == day))
    if recon is None:
        return None, []
    return recon, list(Session.scalars(sa.select(ReconMismatch).where(ReconMismatch.run_id == recon.id)
                                       .order_by(ReconMismatch.id)))


def update_mismatch(actor: User, mismatch_id: int, state: str, note: str) -> ReconMismatch:
    row = Session.get(ReconMismatch, mismatch_id, with_for_update=True)
    if row is None:
        raise errors.MismatchNotFound()
    before, row.state, row.note, row.updated_by, row.updated_at = row.state, state, note, actor.id, utcnow()
    record("fee_recon_mismatch", row.id, "mismatch_updated", Actor("staff", actor.id), from_state=before,
           to_state=state, reason=note)
    Session.flush()
    return row
