"""Import a year of official holidays; build the WorkingCalendar the deadline code uses."""

from __future__ import annotations

import csv
import io
import time
from datetime import date
from importlib import resources

import sqlalchemy as sa

from api.calendar.clock import WorkingCalendar
from api.calendar.models import CalendarYear, SpecialDay
from api.db import Session
from api.events.service import Actor, record

SHIPPED_YEARS = (2025, 2026)


class CalendarDataError(ValueError):
    pass


def parse(text: str) -> dict[int, list[tuple[date, str, str]]]:
    """Rows `date,kind,name` grouped by year; refuses unknown kinds, bad dates and duplicates."""
    years: dict[int, list[tuple[date, str, str]]] = {}
    seen: set[date] = set()
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        try:
            day = date.fromisoformat(row["date"].strip())
        except (KeyError, ValueError, AttributeError) as exc:
            raise CalendarDataError(f"line {line}: bad date {row.get('date')!r}") from exc
        kind = (row.get("kind") or "").strip()
        if kind not in ("holiday", "workday"):
            raise CalendarDataError(f"line {line}: kind must be holiday or workday, not {kind!r}")
        if day in seen:
            raise CalendarDataError(f"line {line}: {day} listed twice")
        if kind == "workday" and day.weekday() < 5:
            raise CalendarDataError(f"line {line}: {day} is a weekday; a 调休 workday falls on a weekend")
        seen.add(day)
        years.setdefault(day.year, []).append((day, kind, (row.get("name") or "").strip()))
    if not years:
        raise CalendarDataError("no rows")
    return years


def import_years(text: str, source: str, actor: Actor | None = None) -> list[int]:
    """Replace the listed years' data (idempotent); returns the years imported."""
    years = parse(text)
    for year, rows in years.items():
        Session.execute(sa.delete(SpecialDay).where(SpecialDay.day.between(date(year, 1, 1), date(year, 12, 31))))
        Session.add_all(SpecialDay(day=d, kind=k, name=n) for d, k, n in rows)
        Session.merge(CalendarYear(year=year, source=source))
        record("calendar", year, "year_imported", actor or Actor.system(), payload={"days": len(rows),
                                                                                     "source": source})
    invalidate()
    return sorted(years)


def load_shipped() -> list[int]:
    """Import the years shipped in api/calendar/data that are not loaded yet."""
    loaded = set(Session.scalars(sa.select(CalendarYear.year)))
    imported = []
    for year in SHIPPED_YEARS:
        if year in loaded:
            continue
        text = resources.files("api.calendar").joinpath(f"data/china_holidays_{year}.csv").read_text("utf-8")
        imported += import_years(text, f"State Council notice via api/calendar/data (china_holidays_{year}.csv)")
    return imported


_cache: tuple[float, WorkingCalendar] | None = None
CACHE_TTL_S = 60.0  # other processes import years too: a worker sees a new year within a minute


def working_calendar() -> WorkingCalendar:
    """The calendar from the database, cached per process (it changes once a year)."""
    global _cache
    if _cache is not None and time.monotonic() - _cache[0] < CACHE_TTL_S:
        return _cache[1]
    days = Session.execute(sa.select(SpecialDay.day, SpecialDay.kind)).all()
    calendar = WorkingCalendar(holidays={d for d, k in days if k == "holiday"},
                               workdays={d for d, k in days if k == "workday"},
                               years=set(Session.scalars(sa.select(CalendarYear.year))))
    _cache = (time.monotonic(), calendar)
    return calendar


def invalidate() -> None:
    global _cache
    _cache = None
