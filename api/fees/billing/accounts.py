"""Fee accounts (户号): the CSV import, a citizen's bindings, staff unbinding, scope by street."""

from __future__ import annotations

import sqlalchemy as sa

from api import imports
from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.fees import errors
from api.fees.models import BASES, PAYER_KINDS, AccountBinding, FeeAccount
from api.i18n import N_
from api.identity import ratelimit
from api.identity.models import User
from api.imports import ImportRejected
from api.premises import service as premises
from api.premises.models import Premises

COLUMNS = ("number", "premises_code", "payer_kind", "payer_name", "phone", "basis", "units", "status")
REQUIRED = ("number", "premises_code", "payer_kind", "payer_name", "basis")
BIND_WINDOW_S = 3600


def in_scope(user: User, street_code: str) -> bool:
    return user.scope_division_code in (None, street_code)


def scoped(query, user: User, column=FeeAccount.street_code):
    """Limit a query to the caller's street (district-wide staff see every street)."""
    return query if user.scope_division_code is None else query.where(column == user.scope_division_code)


def account_for_staff(user: User, account_id: int) -> FeeAccount:
    account = Session.get(FeeAccount, account_id)
    if account is None or not in_scope(user, account.street_code):
        raise errors.AccountNotFound()
    return account


def import_accounts(text: str, actor: Actor) -> int:
    """Create or update accounts by number; each names a premises of the register (all or nothing)."""
    rows = imports.read_csv(text, COLUMNS, REQUIRED)
    known = premises.by_codes({row.get("premises_code", "") for row in rows})
    out, problems = imports.validated(rows, "number", lambda row: _account_row(row, known))
    if problems or not out:
        raise ImportRejected(details={"errors": problems or ["no rows"]})
    stmt = insert_for(FeeAccount)
    for start in range(0, len(out), 2000):
        Session.execute(stmt.on_conflict_do_update(index_elements=["number"], set_={
            c: stmt.excluded[c] for c in ("premises_id", "street_code", "payer_kind", "payer_name", "phone", "basis",
                                          "units", "status")}), out[start:start + 2000])
    record("fee_register", 0, "accounts_imported", actor, payload={"rows": len(out)})
    Session.flush()
    return len(out)


def _account_row(row: dict[str, str], known: dict) -> tuple[str | None, dict]:
    number = row.get("number", "")
    if not number.isalnum() or len(number) > 20:
        return N_("number must be letters and digits, at most 20"), {}
    place = known.get(row.get("premises_code", ""))
    if place is None:
        return N_("premises_code names no premises of the register (import premises first)"), {}
    if row.get("payer_kind") not in PAYER_KINDS:
        return imports.one_of("payer_kind", PAYER_KINDS), {}
    if row.get("basis") not in BASES:
        return imports.one_of("basis", BASES), {}
    if not row.get("payer_name") or len(row["payer_name"]) > 64:
        return N_("payer_name is required (at most 64 characters)"), {}
    phone = row.get("phone", "")
    if phone and (not phone.isdigit() or not 7 <= len(phone) <= 20):
        return N_("phone must be 7 to 20 digits"), {}
    try:
        units = int(row.get("units") or 1)
    except ValueError:
        return N_("units must be an integer"), {}
    if not 1 <= units <= 10_000:
        return N_("units must be between 1 and 10000"), {}
    status = row.get("status") or "active"
    if status not in ("active", "suspended", "closed"):
        return N_("status must be active, suspended or closed"), {}
    return None, {"number": number, "premises_id": place.id, "street_code": place.street_code,
                  "payer_kind": row["payer_kind"], "payer_name": row["payer_name"], "phone": phone,
                  "basis": row["basis"], "units": units, "status": status}


# -- citizens ----------------------------------------------------------------------------------------------
def check_matches(account: FeeAccount, check: str) -> bool:
    """The payer's full name, or the last four digits of the phone on the account."""
    return premises.holder_matches(check, account.payer_name, account.phone)


def bind(user: User, number: str, check: str) -> FeeAccount:
    """Bind an account to the citizen. Attempts are counted per user and per account number (guessing either a
    number or a name is slowed down), successful or not; a wrong pair answers as an unknown number does."""
    limit = get_config().BIND_MAX_PER_HOUR
    for key in (f"bind:user:{user.id}", f"bind:number:{number}"):
        if ratelimit.hit(key, BIND_WINDOW_S) > limit:
            raise errors.TooManyBindingAttempts(retry_after=ratelimit.ttl(key))
    account = Session.scalar(sa.select(FeeAccount).where(FeeAccount.number == number))
    if account is None or account.status == "closed" or not check_matches(account, check):
        raise errors.BindingCheckFailed()
    stmt = insert_for(AccountBinding).values(account_id=account.id, user_id=user.id, bound_at=utcnow())
    inserted = Session.execute(stmt.on_conflict_do_nothing(
        index_elements=["account_id", "user_id"], index_where=AccountBinding.unbound_at.is_(None))).rowcount
    if inserted:
        record("fee_account", account.id, "account_bound", Actor("citizen", user.id))
    Session.flush()
    return account


def accounts_of(user_id: int) -> list[FeeAccount]:
    return list(Session.scalars(sa.select(FeeAccount).join(AccountBinding, AccountBinding.account_id == FeeAccount.id)
                                .where(AccountBinding.user_id == user_id, AccountBinding.unbound_at.is_(None))
                                .order_by(FeeAccount.number)))


def bound_account_ids(user_id: int) -> set[int]:
    return set(Session.scalars(sa.select(AccountBinding.account_id).where(
        AccountBinding.user_id == user_id, AccountBinding.unbound_at.is_(None))))


def unbind(account_id: int, user_id: int, actor: Actor, reason: str | None = None) -> None:
    binding = Session.scalar(sa.select(AccountBinding).where(
        AccountBinding.account_id == account_id, AccountBinding.user_id == user_id,
        AccountBinding.unbound_at.is_(None)).with_for_update())
    if binding is None:
        raise errors.BindingNotFound()
    binding.unbound_at, binding.unbound_by = utcnow(), actor.id
    record("fee_account", account_id, "account_unbound", actor, reason=reason, payload={"user_id": user_id})
    Session.flush()


def bindings_of(account_id: int) -> list[AccountBinding]:
    return list(Session.scalars(sa.select(AccountBinding).where(
        AccountBinding.account_id == account_id, AccountBinding.unbound_at.is_(None)).order_by(AccountBinding.id)))


def search(user: User, *, number: str | None, name: str | None, phone_suffix: str | None,
           address: str | None = None, limit: int = 50) -> list[FeeAccount]:
    query = scoped(sa.select(FeeAccount), user)
    if address:
        query = query.join(Premises, Premises.id == FeeAccount.premises_id).where(
            Premises.address.contains(address, autoescape=True))
    if number:
        query = query.where(FeeAccount.number == number)
    if name:
        query = query.where(FeeAccount.payer_name == name)
    if phone_suffix:
        query = query.where(FeeAccount.phone.endswith(phone_suffix, autoescape=True))
    return list(Session.scalars(query.order_by(FeeAccount.number).limit(limit)))
