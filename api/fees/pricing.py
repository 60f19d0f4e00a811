"""What one account owes for one fee item in one month: pure, integer fen, prorated by day.

The rule (docs/fees.md, "The proration rule"):
- each day of the month is charged at the standard in force that day (the row with the latest `effective_from`
  not after it; no row → that day is not charged), times the account's units (households, persons, bins a month);
- an approved exemption or reduction covering the day takes its percentage off that day (overlapping ones: the
  largest percentage, never more than 100 %);
- days with the same standard and reduction form a segment; the line is
  Σ standard × units × days × (100 − reduction) / (days in month × 100), rounded half up once, at the end —
  so a whole month at one standard is exactly standard × units, and the rounding never accumulates.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Segment:
    start: date
    end: date  # inclusive
    standard_fen: int
    reduction_pct: int

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_bounds(period: date) -> tuple[date, date]:
    first = period.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def segments(period: date, standards: list[tuple[date, int]], reductions: list[tuple[date, date, int]]
             ) -> list[Segment]:
    """The month's days grouped by (standard, reduction); `standards` as (effective_from, fen), any order."""
    first, last = month_bounds(period)
    timeline = sorted(standards)
    out: list[Segment] = []
    day = first
    while day <= last:
        standard = None
        for effective_from, fen in timeline:
            if effective_from <= day:
                standard = fen
        pct = min(100, max((p for start, end, p in reductions if start <= day <= end), default=0))
        if standard is not None:
            if out and out[-1].end == day - timedelta(days=1) and (out[-1].standard_fen, out[-1].reduction_pct) == (
                    standard, pct):
                out[-1] = Segment(out[-1].start, day, standard, pct)
            else:
                out.append(Segment(day, day, standard, pct))
        day += timedelta(days=1)
    return out


def line_amount(period: date, units: int, parts: list[Segment]) -> int:
    """Σ standard × units × days × (100 − pct) / (days_in_month × 100), half up, in integers only."""
    first, last = month_bounds(period)
    denominator = ((last - first).days + 1) * 100
    numerator = sum(s.standard_fen * units * s.days * (100 - s.reduction_pct) for s in parts)
    return (2 * numerator + denominator) // (2 * denominator)


def price(period: date, units: int, standards: list[tuple[date, int]], reductions: list[tuple[date, date, int]]
          ) -> tuple[int, list[dict]] | None:
    """(amount in fen, the segments as stored on the bill line), or None when no standard covers any day."""
    parts = segments(period, standards, reductions)
    if not parts:
        return None
    detail = [{"from": s.start.isoformat(), "to": s.end.isoformat(), "days": s.days, "standard_fen": s.standard_fen,
               "units": units, "reduction_pct": s.reduction_pct} for s in parts]
    return line_amount(period, units, parts), detail
