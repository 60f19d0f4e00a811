"""Fee items and their effective-dated standards, and exemptions with four-eyes approval."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from api.db import Session, utcnow
from api.events.service import Actor, record
from api.fees import errors
from api.fees.billing.accounts import account_for_staff, scoped
from api.fees.models import BillRun, Exemption, FeeAccount, FeeItem, FeeStandard
from api.identity.models import User
from api.identity.names import staff_names

DATA = Path(__file__).parent / "data"


def seed_reference() -> int:
    """The fee items and the 2017 standards (data/*.csv, with their sources) where they are missing; staff edit
    them from there. Returns how many rows were added."""
    added = 0
    with open(DATA / "fee_items.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if Session.get(FeeItem, row["code"]) is None:
                Session.add(FeeItem(code=row["code"], name=row["name"], receipt_kind=row["receipt_kind"],
                                    enabled=row["enabled"] == "true", sort=int(row["sort"])))
                added += 1
    Session.flush()
    with open(DATA / "fee_standards.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            start = date.fromisoformat(row["effective_from"])
            if not Session.scalar(sa.select(FeeStandard.id).where(FeeStandard.item_code == row["item_code"],
                                                                  FeeStandard.basis == row["basis"])):
                Session.add(FeeStandard(item_code=row["item_code"], basis=row["basis"],
                                        amount_fen=int(row["amount_fen"]), effective_from=start,
                                        source=row["source"]))
                added += 1
    Session.flush()
    return added


def items() -> list[FeeItem]:
    return list(Session.scalars(sa.select(FeeItem).order_by(FeeItem.sort, FeeItem.code)))


def standards(item_code: str | None = None) -> list[FeeStandard]:
    query = sa.select(FeeStandard).order_by(FeeStandard.item_code, FeeStandard.basis, FeeStandard.effective_from)
    if item_code:
        query = query.where(FeeStandard.item_code == item_code)
    return list(Session.scalars(query))


def timeline(until: date) -> dict[tuple[str, str], list[tuple[date, int]]]:
    """(item, basis) → [(effective_from, fen)] for every enabled item, rows in force by `until`."""
    rows = Session.execute(sa.select(FeeStandard.item_code, FeeStandard.basis, FeeStandard.effective_from,
                                     FeeStandard.amount_fen)
                           .join(FeeItem, FeeItem.code == FeeStandard.item_code)
                           .where(FeeItem.enabled, FeeStandard.effective_from <= until)
                           .order_by(FeeStandard.effective_from))
    out: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for item, basis, start, fen in rows:
        out.setdefault((item, basis), []).append((start, fen))
    return out


def last_billed_period() -> date | None:
    return Session.scalar(sa.select(sa.func.max(BillRun.period)))


def set_standard(item_code: str, basis: str, amount_fen: int, effective_from: date, source: str, actor: User
                 ) -> FeeStandard:
    """A new standard from `effective_from`; billed months are never re-priced, so it must start after the last
    month a bill run has begun."""
    if Session.get(FeeItem, item_code) is None:
        raise errors.StandardNotFound()
    last = last_billed_period()
    if last is not None and effective_from <= _month_end(last):
        raise errors.StandardInThePast(details={"last_billed_period": last.strftime("%Y-%m")})
    row = Session.scalar(sa.select(FeeStandard).where(FeeStandard.item_code == item_code,
                                                      FeeStandard.basis == basis,
                                                      FeeStandard.effective_from == effective_from))
    before = row.amount_fen if row else None
    if row is None:
        row = FeeStandard(item_code=item_code, basis=basis, effective_from=effective_from)
        Session.add(row)
    row.amount_fen, row.source, row.created_by = amount_fen, source, actor.id
    Session.flush()
    record("fee_standard", row.id, "standard_set", Actor("staff", actor.id), reason=source,
           payload={"item": item_code, "basis": basis, "from": effective_from.isoformat(), "amount_fen": amount_fen,
                    "before_fen": before})
    return row


def set_item_enabled(item_code: str, enabled: bool, reason: str, actor: User) -> FeeItem:
    item = Session.get(FeeItem, item_code)
    if item is None:
        raise errors.StandardNotFound()
    item.enabled = enabled
    record("fee_item", 0, "item_enabled" if enabled else "item_disabled", Actor("staff", actor.id), reason=reason,
           payload={"item": item_code})
    Session.flush()
    return item


def _month_end(period: date) -> date:
    from api.fees.pricing import month_bounds

    return month_bounds(period)[1]


# -- exemptions --------------------------------------------------------------------------------------------
def request_exemption(actor: User, account_id: int, *, kind: str, reduction_pct: int, evidence: str,
                      valid_from: date, valid_to: date) -> Exemption:
    account = account_for_staff(actor, account_id)
    if valid_to < valid_from:
        raise errors.PeriodInvalid("valid_to is before valid_from.")
    row = Exemption(account_id=account.id, kind=kind, reduction_pct=reduction_pct, evidence=evidence,
                    valid_from=valid_from, valid_to=valid_to, requested_by=actor.id)
    Session.add(row)
    Session.flush()
    record("fee_exemption", row.id, "exemption_requested", Actor("staff", actor.id), to_state="requested",
           payload={"account_id": account.id, "kind": kind, "pct": reduction_pct})
    return named([row])[0]


def decide_exemption(actor: User, exemption_id: int, approve: bool, reason: str) -> Exemption:
    row = Session.get(Exemption, exemption_id, with_for_update=True)
    if row is None:
        raise errors.ExemptionNotFound()
    account_for_staff(actor, row.account_id)  # scope
    if row.status != "requested":
        raise errors.AlreadyDecided()
    if row.requested_by == actor.id:
        raise errors.OwnRequest()
    row.status = "approved" if approve else "rejected"
    row.decided_by, row.decided_at, row.decision_reason = actor.id, utcnow(), reason
    record("fee_exemption", row.id, "exemption_decided", Actor("staff", actor.id), from_state="requested",
           to_state=row.status, reason=reason)
    Session.flush()
    return named([row])[0]


def exemptions(actor: User, status: str | None) -> list[Exemption]:
    query = scoped(sa.select(Exemption).join(FeeAccount, FeeAccount.id == Exemption.account_id), actor)
    if status:
        query = query.where(Exemption.status == status)
    return named(list(Session.scalars(query.order_by(Exemption.id.desc()).limit(200))))


def named(rows: list[Exemption]) -> list[Exemption]:
    """The exemptions with who asked and who decided by name (`requested_by_name`, `decided_by_name`), looked up
    in one query."""
    names = staff_names([r.requested_by for r in rows] + [r.decided_by for r in rows])
    for row in rows:
        row.requested_by_name, row.decided_by_name = names.get(row.requested_by), names.get(row.decided_by)
    return rows


def reductions_for(account_ids: list[int], first: date, last: date) -> dict[int, list[tuple[date, date, int]]]:
    """Approved exemptions overlapping [first, last], by account (`account_ids` sorted: one range scan)."""
    out: dict[int, list[tuple[date, date, int]]] = {}
    if not account_ids:
        return out
    wanted = set(account_ids)
    rows = Session.execute(sa.select(Exemption.account_id, Exemption.valid_from, Exemption.valid_to,
                                     Exemption.reduction_pct)
                           .where(Exemption.account_id.between(account_ids[0], account_ids[-1]),
                                  Exemption.status == "approved", Exemption.valid_from <= last,
                                  Exemption.valid_to >= first))
    for account_id, start, end, pct in rows:
        if account_id in wanted:
            out.setdefault(account_id, []).append((start, end, pct))
    return out
