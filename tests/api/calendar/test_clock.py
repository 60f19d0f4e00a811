"""Deadline arithmetic: holidays, 调休, clock types, provisional years (times written in Asia/Shanghai)."""

from datetime import date, datetime, timedelta

import pytest

from api.calendar.clock import SHANGHAI, ClockType, WorkingCalendar


def cst(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


@pytest.fixture
def cal():
    # 2026 National Day: 10/1–10/7 off, 9/20 (Sunday) and 10/10 (Saturday) are 调休 workdays; 中秋 9/25–9/27 off.
    holidays = {date(2026, 10, d) for d in range(1, 8)} | {date(2026, 9, d) for d in (25, 26, 27)}
    return WorkingCalendar(holidays=holidays, workdays={date(2026, 9, 20), date(2026, 10, 10)}, years={2026})


def test_working_hours_skip_lunch_and_nights(cal):
    # Tue 2026-11-24 11:00 + 4 working hours → 11–12 (1 h) + 14–17 (3 h) = 17:00
    assert cal.deadline(cst(2026, 11, 24, 11), 4, "working_hours").at == cst(2026, 11, 24, 17)
    # Tue 17:00 + 2 h → 17–18 (1 h) then Wed 08–09
    assert cal.deadline(cst(2026, 11, 24, 17), 2, "working_hours").at == cst(2026, 11, 25, 9)


def test_a_report_at_night_starts_counting_at_eight(cal):
    assert cal.deadline(cst(2026, 11, 24, 22, 30), 1, "working_hours").at == cst(2026, 11, 25, 9)


def test_weekends_do_not_count(cal):
    # Fri 2026-11-27 17:00 + 2 h → Fri 17–18, Mon 08–09
    assert cal.deadline(cst(2026, 11, 27, 17), 2, "working_hours").at == cst(2026, 11, 30, 9)


def test_national_day_is_skipped_and_the_make_up_saturday_counts(cal):
    # Wed 2026-09-30 17:00 + 1 working day (8 h): 17–18 on 9/30, then holidays 10/1–10/7,
    # Thu 10/8 08–12, 14–17 → 10/8 17:00
    assert cal.deadline(cst(2026, 9, 30, 17), 1, "working_days").at == cst(2026, 10, 8, 17)
    # Fri 10/9 18:00 + 2 h → Saturday 10/10 is a 调休 workday: 10/10 10:00
    assert cal.deadline(cst(2026, 10, 9, 18), 2, "working_hours").at == cst(2026, 10, 10, 10)
    assert cal.is_working_day(date(2026, 9, 20)) and not cal.is_working_day(date(2026, 9, 25))


def test_continuous_clocks_ignore_the_calendar(cal):
    start = cst(2026, 10, 1, 23)
    assert cal.deadline(start, 6, ClockType.EMERGENCY_HOURS).at == cst(2026, 10, 2, 5)
    assert cal.deadline(start, 2, ClockType.NATURAL_DAYS).at == cst(2026, 10, 3, 23)
    assert not cal.deadline(cst(2027, 6, 1), 2, "natural_days").provisional


def test_a_year_without_data_is_weekends_only_and_provisional(cal):
    result = cal.deadline(cst(2026, 12, 31, 17), 2, "working_hours")  # runs into 2027
    assert result.provisional
    assert result.at == cst(2027, 1, 1, 9)  # New Year's Day unknown for 2027: treated as a working Friday
    assert not cal.deadline(cst(2026, 12, 1, 9), 2, "working_hours").provisional


def test_remaining_time_is_counted_on_the_case_clock(cal):
    deadline = cst(2026, 11, 25, 9)
    assert cal.remaining(cst(2026, 11, 24, 17), deadline, "working_hours") == timedelta(hours=2)
    assert cal.remaining(cst(2026, 11, 25, 10), deadline, "working_hours") == timedelta(hours=-1)
    assert cal.remaining(cst(2026, 11, 24, 17), deadline, "emergency_hours") == timedelta(hours=16)


def test_results_are_utc_and_negative_limits_refused(cal):
    at = cal.deadline(cst(2026, 11, 24, 11), 1, "working_hours").at
    assert at.utcoffset() == timedelta(0) and at == cst(2026, 11, 24, 12)
    with pytest.raises(ValueError):
        cal.deadline(cst(2026, 11, 24, 11), -1, "working_hours")
    with pytest.raises(ValueError):
        cal.deadline(cst(2026, 11, 24, 11), 1, "fortnights")
