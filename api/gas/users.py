"""Gas users: the CSV import (validated whole, all or nothing), inspection cycles and when each user is due.

A user is due `months` (its type's cycle) after its last inspection; never inspected = due at once. Cycles are
configuration (`gas_cycles`, seeded 12 / 6 / 1 months for residential / non-residential / catering: the reference's
suggested defaults, since Guangzhou's own clause is unconfirmed); changing one moves every such user's due date.
"""

from __future__ import annotations

import calendar
import re
from datetime import date

import sqlalchemy as sa

from api.config import get_config
from api.db import Session, insert_for, utcnow
from api.events.service import Actor, record
from api.gas import errors
from api.gas.models import SUPPLIES, USER_TYPES, GasAppliance, GasCycle, GasUser
from api.i18n import N_
from api.identity.models import User
from api.imports import one_of, read_csv, validated
from api.premises.models import Premises
from api.premises.service import by_codes, read_point

COLUMNS = ("number", "meter_no", "premises_code", "user_type", "supply", "supplier", "contact_name", "phone",
           "last_inspected_on", "appliances", "lat", "lon", "coord_system")
REQUIRED = ("number", "premises_code", "user_type", "supply", "supplier", "contact_name", "phone")
APPLIANCE_KINDS = ("stove", "water_heater", "wall_boiler", "oven", "other")
_PHONE = re.compile(r"^\+?[0-9-]{7,20}$")


def add_months(day: date, months: int) -> date:
    """`day` plus whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb), as PostgreSQL's
    interval arithmetic does."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# Suggested defaults, not law (shared/reference/gas-and-fees.md §A); migration 0018 seeds the same rows, and a type
# with no row (a fresh test database, say) falls back to these.
DEFAULT_CYCLES = {
    "residential": (12, "建议默认：居民用户每年至少1次（多地条例；CJJ 51-2016 常被引为每2年1次，待核实）"),
    "non_residential": (6, "建议默认：非居民用户每半年至少1次（福建办法；CJJ 51-2016 3.5.1 每年不少于1次）"),
    "catering": (1, "建议默认：用气餐饮场所每月至少1次（福建《城镇燃气安全管理办法》2025）"),
}


def all_cycles() -> list[dict]:
    rows = {c.user_type: {"user_type": c.user_type, "months": c.months, "source": c.source,
                          "updated_at": c.updated_at} for c in Session.scalars(sa.select(GasCycle))}
    for user_type, (months, source) in DEFAULT_CYCLES.items():
        rows.setdefault(user_type, {"user_type": user_type, "months": months, "source": source, "updated_at": None})
    return [rows[k] for k in sorted(rows)]


def cycles() -> dict[str, int]:
    return {**{k: months for k, (months, _) in DEFAULT_CYCLES.items()},
            **dict(Session.execute(sa.select(GasCycle.user_type, GasCycle.months)).all())}


def due_on(last: date | None, months: int, today: date) -> date:
    return add_months(last, months) if last else today


def point(user: GasUser, place: Premises) -> tuple[float, float] | None:
    """Where the gas user is (WGS-84): the gas company's point when its import gave one, else the premises'."""
    if user.lat is not None:
        return user.lat, user.lon
    return (place.lat, place.lon) if place.lat is not None else None


def import_users(text: str, actor: Actor, today: date) -> int:
    """Create or update gas users by number; their appliances are replaced by the file's. Each row names a
    premises of the register (its street and grid come with it). `appliances`: `kind:YYYY-MM-DD:yes|no` separated
    by `;` (install date and flame-failure protection may be left empty). `lat`,`lon` (optional, in the row's
    `coord_system`: wgs84 by default, gcj02 or bd09) are the gas company's point of the user, stored in WGS-84."""
    rows = read_csv(text, COLUMNS, REQUIRED)
    places = by_codes({row.get("premises_code", "") for row in rows})
    months, config = cycles(), get_config()
    checked, problems = validated(rows, "number", lambda row: _row(row, places, months, today, config))
    if problems or not checked:
        raise errors.ImportRejected(details={"errors": problems or ["no rows"]})
    out = [values for values, _ in checked]
    appliances = {values["number"]: kit for values, kit in checked}
    stmt = insert_for(GasUser)
    Session.execute(stmt.on_conflict_do_update(index_elements=["number"], set_={
        c: stmt.excluded[c] for c in ("meter_no", "premises_id", "street_code", "grid_code", "user_type", "supply",
                                      "supplier", "contact_name", "phone", "lat", "lon", "last_inspected_on",
                                      "next_due_on")}), out)
    ids = dict(Session.execute(sa.select(GasUser.number, GasUser.id).where(GasUser.number.in_(list(appliances)))).all())
    Session.execute(sa.delete(GasAppliance).where(GasAppliance.gas_user_id.in_(list(ids.values()))))
    kit_rows = [{"gas_user_id": ids[number], **item} for number, kit in appliances.items() for item in kit]
    if kit_rows:
        Session.execute(sa.insert(GasAppliance), kit_rows)
    record("gas_register", 0, "gas_users_imported", actor, payload={"rows": len(out), "appliances": len(kit_rows)})
    Session.flush()
    return len(out)


def _row(row: dict[str, str], places: dict, months: dict[str, int], today: date, config) -> tuple[str | None, tuple]:
    if not row.get("number") or len(row["number"]) > 32:
        return N_("number is required (at most 32 characters)"), ()
    place = places.get(row.get("premises_code", ""))
    if place is None:
        return N_("premises_code names no premises of the register"), ()
    if row.get("user_type") not in USER_TYPES:
        return one_of("user_type", USER_TYPES), ()
    if row.get("supply") not in SUPPLIES:
        return one_of("supply", SUPPLIES), ()
    for name, limit in (("supplier", 64), ("contact_name", 64), ("meter_no", 32)):
        if len(row.get(name) or "") > limit:
            return N_("{column} is longer than {limit} characters").format(column=name, limit=limit), ()
    if not row.get("supplier") or not row.get("contact_name"):
        return N_("supplier and contact_name are required"), ()
    if not _PHONE.match(row.get("phone", "")):
        return N_("phone must be 7–20 digits"), ()
    try:
        last = date.fromisoformat(row["last_inspected_on"]) if row.get("last_inspected_on") else None
    except ValueError:
        return N_("last_inspected_on must be a date (YYYY-MM-DD)"), ()
    if last and last > today:
        return N_("last_inspected_on is in the future"), ()
    problem, kit = _appliances(row.get("appliances", ""))
    if problem:
        return problem, ()
    problem, where = read_point(row, config)
    if problem:
        return problem, ()
    lat, lon = where or (None, None)
    values = {"number": row["number"], "meter_no": row.get("meter_no") or None, "premises_id": place.id,
              "street_code": place.street_code, "grid_code": place.grid_code, "user_type": row["user_type"],
              "supply": row["supply"], "supplier": row["supplier"], "contact_name": row["contact_name"],
              "phone": row["phone"], "lat": lat, "lon": lon, "last_inspected_on": last,
              "next_due_on": due_on(last, months[row["user_type"]], today), "active": True, "created_at": utcnow()}
    return None, (values, kit)


def _appliances(text: str) -> tuple[str | None, list[dict]]:
    kit = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        kind, _, rest = part.partition(":")
        installed, _, flame = rest.partition(":")
        if kind not in APPLIANCE_KINDS:
            return N_("appliance kind must be one of {choices}").format(choices=", ".join(APPLIANCE_KINDS)), []
        if flame not in ("", "yes", "no"):
            return N_("an appliance's flame-failure protection is yes, no or empty"), []
        try:
            installed_on = date.fromisoformat(installed) if installed else None
        except ValueError:
            return N_("an appliance's install date must be YYYY-MM-DD"), []
        kit.append({"kind": kind, "installed_on": installed_on,
                    "flame_failure": None if not flame else flame == "yes"})
    return None, kit


def set_cycle(user_type: str, months: int, source: str, actor: User) -> GasCycle:
    """A gas supervisor changes a cycle; every user of that type is due `months` after its last inspection."""
    cycle = Session.get(GasCycle, user_type, with_for_update=True)
    if cycle is None:
        if user_type not in DEFAULT_CYCLES:
            raise errors.CycleNotFound()
        cycle = GasCycle(user_type=user_type, months=DEFAULT_CYCLES[user_type][0], source=DEFAULT_CYCLES[user_type][1])
        Session.add(cycle)
    before = cycle.months
    cycle.months, cycle.source, cycle.updated_by, cycle.updated_at = months, source, actor.id, utcnow()
    if Session.get_bind().dialect.name == "postgresql":
        Session.execute(sa.text(
            "UPDATE gas_users SET next_due_on = (last_inspected_on + make_interval(months => :m))::date "
            "WHERE user_type = :t AND last_inspected_on IS NOT NULL"), {"m": months, "t": user_type})
    else:
        for user in Session.scalars(sa.select(GasUser).where(GasUser.user_type == user_type,
                                                             GasUser.last_inspected_on.is_not(None))):
            user.next_due_on = add_months(user.last_inspected_on, months)
    record("gas_cycle", 0, "gas_cycle_changed", Actor("staff", actor.id), reason=source,
           payload={"user_type": user_type, "from_months": before, "to_months": months})
    Session.flush()
    return cycle


def inspected(user: GasUser, day: date) -> None:
    """A completed inspection (passed or with hazards) restarts the user's cycle."""
    user.last_inspected_on = day
    user.next_due_on = add_months(day, cycles()[user.user_type])
