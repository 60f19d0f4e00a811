"""Seed the national classes, read current versions, edit (a new version), add extension classes."""

from __future__ import annotations

import csv
import functools
from importlib import resources

import sqlalchemy as sa

from api.db import Session
from api.events.service import Actor, record
from api.taxonomy.errors import CategoryExists, CategoryNotFound, CategoryVersionConflict, NothingChanged
from api.taxonomy.models import Category

EDITABLE = ("name", "filing_condition", "closing_condition", "time_limit", "clock_type", "needs_verification",
            "requires_after_photo", "is_safety")


def code_of(kind: str, major: str, minor: str) -> str:
    return f"{kind}:{major}-{minor}"


# the national classes, then the office's 扩展 classes that ship with the code (燃气安全: one per checklist item)
SHIPPED = ("data/gbt30428_categories.csv", "data/gas_safety_categories.csv")


def load_national() -> int:
    """Insert the shipped classes that are missing (idempotent; never overwrites an office's edits)."""
    files = resources.files("api.taxonomy")
    rows = [row for name in SHIPPED for row in csv.DictReader(files.joinpath(name).read_text("utf-8").splitlines())]
    existing = set(Session.scalars(sa.select(Category.code)))
    added = 0
    for row in rows:
        code = code_of(row["kind"], row["major_code"], row["minor_code"])
        if code in existing:
            continue
        Session.add(Category(code=code, kind=row["kind"], major_code=row["major_code"], major_name=row["major_name"],
                             minor_code=row["minor_code"], name=row["name"], time_limit=float(row["time_limit"]),
                             clock_type=row["clock_type"], needs_verification=row["needs_verification"] == "1",
                             requires_after_photo=row["requires_after_photo"] == "1",
                             is_safety=row["is_safety"] == "1", filing_condition=row["filing_condition"],
                             closing_condition=row["closing_condition"]))
        added += 1
    return added


@functools.lru_cache(maxsize=4096)
def time_limit_of(category_id: int) -> tuple[float, str]:
    """(处置时限, clock type) of one category version. Safe to cache: an edit writes a new version, and a
    version's limit never changes."""
    limit, clock = Session.execute(sa.select(Category.time_limit, Category.clock_type)
                                   .where(Category.id == category_id)).one()
    return limit, clock


def current(code: str) -> Category:
    category = Session.scalar(sa.select(Category).where(Category.code == code, Category.is_current))
    if category is None:
        raise CategoryNotFound(details={"code": code})
    return category


def list_current(kind: str | None = None, major_code: str | None = None) -> list[Category]:
    query = sa.select(Category).where(Category.is_current)
    if kind:
        query = query.where(Category.kind == kind)
    if major_code:
        query = query.where(Category.major_code == major_code)
    return list(Session.scalars(query.order_by(Category.kind.desc(), Category.major_code, Category.minor_code)))


def history(code: str) -> list[Category]:
    rows = list(Session.scalars(sa.select(Category).where(Category.code == code).order_by(Category.version)))
    if not rows:
        raise CategoryNotFound(details={"code": code})
    return rows


def edit(code: str, expected_version: int, changes: dict, actor: Actor) -> Category:
    """Write a new version with `changes`; the previous version stays for the cases filed under it."""
    old = Session.scalar(sa.select(Category).where(Category.code == code, Category.is_current).with_for_update())
    if old is None:
        raise CategoryNotFound(details={"code": code})
    if old.version != expected_version:
        raise CategoryVersionConflict(details={"current_version": old.version})
    changed = {k: v for k, v in changes.items() if k in EDITABLE and getattr(old, k) != v}
    if not changed:
        raise NothingChanged()
    old.is_current = False
    Session.flush()  # the partial unique index allows one current version per code
    new = Category(**{c: getattr(old, c) for c in ("code", "kind", "major_code", "major_name", "minor_code",
                                                   *EDITABLE)}, version=old.version + 1, is_current=True,
                   created_by=actor.id)
    for key, value in changed.items():
        setattr(new, key, value)
    Session.add(new)
    Session.flush()
    record("category", new.id, "category_edited", actor, payload={"code": code, "version": new.version,
                                                                  "changes": changed})
    return new


def add_extension(fields: dict, actor: Actor) -> Category:
    """An 扩展 class of the office's own (major codes 06+ for events, 07+ for components by convention)."""
    code = code_of(fields["kind"], fields["major_code"], fields["minor_code"])
    if Session.scalar(sa.select(Category.id).where(Category.code == code)):
        raise CategoryExists(details={"code": code})
    category = Category(code=code, created_by=actor.id, **fields)
    Session.add(category)
    Session.flush()
    record("category", category.id, "category_added", actor, payload={"code": code})
    return category
