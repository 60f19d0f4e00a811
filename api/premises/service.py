"""Import the premises register from CSV (validated whole, all or nothing) and look premises up.

The row checks every import shares (read_csv, validated, one_of) are in api/imports.py.
"""

from __future__ import annotations

import hmac
import unicodedata

import sqlalchemy as sa

from api import geo
from api.config import get_config
from api.db import Session, insert_for
from api.events.service import Actor, record
from api.i18n import N_
from api.imports import ImportRejected, one_of, read_csv, validated
from api.organisation import grids
from api.organisation.models import Division
from api.premises.models import KINDS, Premises

COLUMNS = ("code", "kind", "address", "community", "lat", "lon", "coord_system", "occupants", "street_code")
REQUIRED = ("code", "kind", "address")
def import_premises(text: str, actor: Actor) -> int:
    """Create or update premises by code. Street and grid come from the point when one is given (the grid
    index), else `street_code` must name a street or town of the district."""
    rows = read_csv(text, COLUMNS, REQUIRED)
    streets = set(Session.scalars(sa.select(Division.code).where(Division.kind.in_(("street", "town")))))
    config = get_config()
    out, errors = validated(rows, "code", lambda row: _premises_row(row, streets, config))
    if errors or not out:
        raise ImportRejected(details={"errors": errors or ["no rows"]})
    stmt = insert_for(Premises)
    Session.execute(stmt.on_conflict_do_update(index_elements=["code"], set_={
        c: stmt.excluded[c] for c in ("kind", "address", "community", "lat", "lon", "occupants", "street_code",
                                      "grid_code")}), out)
    record("premises_register", 0, "premises_imported", actor, payload={"rows": len(out)})
    Session.flush()
    return len(out)


def _premises_row(row: dict[str, str], streets: set[str], config) -> tuple[str | None, dict]:
    if not row.get("code") or len(row["code"]) > 32:
        return N_("code is required (at most 32 characters)"), {}
    if row.get("kind") not in KINDS:
        return one_of("kind", KINDS), {}
    if not row.get("address") or len(row["address"]) > 200:
        return N_("address is required (at most 200 characters)"), {}
    try:
        occupants = int(row.get("occupants") or 0)
    except ValueError:
        return N_("occupants must be an integer"), {}
    if occupants < 0 or occupants > 10_000:
        return N_("occupants must be between 0 and 10000"), {}
    problem, point = read_point(row, config)
    if problem:
        return problem, {}
    street, grid = row.get("street_code") or None, None
    lat, lon = point or (None, None)
    if point is not None:
        place = grids.codes_of(lat, lon)
        grid, street = place.grid_code, street or place.street_code
    if street not in streets:
        return N_("street_code must name a street or town of the district (or give a point inside a grid)"), {}
    return None, {"code": row["code"], "kind": row["kind"], "address": row["address"],
                  "community": row.get("community", "")[:64], "lat": lat, "lon": lon, "occupants": occupants,
                  "street_code": street, "grid_code": grid}


def read_point(row: dict[str, str], config) -> tuple[str | None, tuple[float, float] | None]:
    """An import row's optional point (`lat`, `lon` in the row's `coord_system`: wgs84 — the default —, gcj02 or
    bd09, as GIS exports here come) in WGS-84, 7 decimals; or the problem with it. It must lie in Baiyun."""
    if not row.get("lat") and not row.get("lon"):
        return None, None
    datum = row.get("coord_system") or "wgs84"
    if datum not in geo.COORD_SYSTEMS:
        return one_of("coord_system", geo.COORD_SYSTEMS), None
    try:
        lat, lon = float(row.get("lat") or "nan"), float(row.get("lon") or "nan")
    except ValueError:
        return N_("lat and lon must be numbers"), None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):  # NaN too: give both, or neither
        return N_("give both lat and lon (degrees), or neither"), None
    lat, lon = geo.to_wgs84(lat, lon, datum)
    if not geo.in_bbox(lat, lon, config.DISTRICT_BBOX, 0):
        return N_("the point is outside Baiyun"), None
    return None, (round(lat, 7), round(lon, 7))


def holder_matches(check: str, name: str, phone: str) -> bool:
    """Whether a citizen binding an account of these premises (a fee account, a gas user) named its holder: the
    full name, or the last four digits of the phone (NFKC, spaces and case ignored; constant-time compares)."""
    given = _normalise(check)
    by_name = hmac.compare_digest(given.encode(), _normalise(name).encode())
    by_phone = len(phone) >= 4 and hmac.compare_digest(given.encode(), phone[-4:].encode())
    return bool(given) and (by_name or by_phone)


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "").lower()


def by_codes(codes: set[str]) -> dict[str, Premises]:
    if not codes:
        return {}
    return {p.code: p for p in Session.scalars(sa.select(Premises).where(Premises.code.in_(codes)))}
