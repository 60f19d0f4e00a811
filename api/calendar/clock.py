"""Deadline arithmetic over a working calendar (pure: no database, no Flask).

Clock types (GB/T 30428 practice, shared/reference/urban-management-practice.md §4.5):
- `emergency_hours` (紧急工作时): a continuous clock — nights, weekends and holidays count;
- `working_hours` (工作时): only working hours of working days count (default 08:00–12:00, 14:00–18:00);
- `working_days` (工作日): N working days = N × the working hours of one day, on the working-hours clock;
- `natural_days` (自然日): N × 24 h, continuous.
A working day is a weekday that is not a holiday, or a weekend day listed as a 调休 workday. Work that
reaches a year without calendar data uses weekends only and is marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

from api.timefmt import SHANGHAI

DEFAULT_HOURS: tuple[tuple[time, time], ...] = ((time(8), time(12)), (time(14), time(18)))
MAX_DAYS_SCANNED = 3660


class ClockType(StrEnum):
    EMERGENCY_HOURS = "emergency_hours"
    WORKING_HOURS = "working_hours"
    WORKING_DAYS = "working_days"
    NATURAL_DAYS = "natural_days"


@dataclass(frozen=True)
class Deadline:
    at: datetime  # UTC
    provisional: bool  # the computation crossed a year with no holiday data


@dataclass
class WorkingCalendar:
    holidays: set[date] = field(default_factory=set)
    workdays: set[date] = field(default_factory=set)  # 调休 make-up working days
    years: set[int] = field(default_factory=set)  # years whose official data is loaded
    hours: tuple[tuple[time, time], ...] = DEFAULT_HOURS

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def hours_per_day(self) -> timedelta:
        return sum((_span(day_start, day_end) for day_start, day_end in self.hours), timedelta())

    def deadline(self, start: datetime, amount: float, clock: ClockType | str) -> Deadline:
        """When `amount` units of `clock` have elapsed from `start` (aware); returned in UTC."""
        clock = ClockType(clock)
        if amount < 0:
            raise ValueError("a time limit cannot be negative")
        if clock == ClockType.EMERGENCY_HOURS:
            return Deadline((start + timedelta(hours=amount)).astimezone(UTC), False)
        if clock == ClockType.NATURAL_DAYS:
            return Deadline((start + timedelta(days=amount)).astimezone(UTC), False)
        work = timedelta(hours=amount) if clock == ClockType.WORKING_HOURS else self.hours_per_day() * amount
        return self._add_working_time(start, work)

    def working_time_between(self, start: datetime, end: datetime) -> tuple[timedelta, bool]:
        """Working time from start to end (negative when end is earlier), and whether it is provisional."""
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        total, provisional = timedelta(), False
        local_start, local_end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
        day = local_start.date()
        while day <= local_end.date():
            provisional |= day.year not in self.years
            if self.is_working_day(day):
                for begin, finish in self._windows(day):
                    overlap = min(finish, local_end) - max(begin, local_start)
                    if overlap > timedelta():
                        total += overlap
            day += timedelta(days=1)
        return total * sign, provisional

    def remaining(self, now: datetime, deadline: datetime, clock: ClockType | str) -> timedelta:
        """Time left on the case's own clock (negative when overdue)."""
        clock = ClockType(clock)
        if clock in (ClockType.EMERGENCY_HOURS, ClockType.NATURAL_DAYS):
            return deadline - now
        return self.working_time_between(now, deadline)[0]

    def _add_working_time(self, start: datetime, work: timedelta) -> Deadline:
        local = start.astimezone(SHANGHAI)
        day, provisional, left = local.date(), False, work
        for _ in range(MAX_DAYS_SCANNED):
            provisional |= day.year not in self.years
            if self.is_working_day(day):
                for begin, finish in self._windows(day):
                    begin = max(begin, local)
                    if finish <= begin:
                        continue
                    if finish - begin >= left:
                        return Deadline((begin + left).astimezone(UTC), provisional)
                    left -= finish - begin
            day += timedelta(days=1)
        raise ValueError("time limit too long for the calendar")

    def _windows(self, day: date) -> list[tuple[datetime, datetime]]:
        return [(datetime.combine(day, a, SHANGHAI), datetime.combine(day, b, SHANGHAI)) for a, b in self.hours]


def _span(a: time, b: time) -> timedelta:
    return datetime.combine(date.min, b) - datetime.combine(date.min, a)
