from datetime import date

import pytest

from api.calendar import service


def test_shipped_years_load_once_and_build_the_calendar(db_session):
    assert service.load_shipped() == [2025, 2026]
    assert service.load_shipped() == []
    cal = service.working_calendar()
    assert cal.years == {2025, 2026}
    assert not cal.is_working_day(date(2026, 2, 17))  # 春节
    assert cal.is_working_day(date(2026, 2, 14))  # Saturday, 调休 workday
    assert not cal.is_working_day(date(2025, 10, 8))


def test_a_new_year_can_be_imported_and_replaces_its_own_rows(db_session):
    text = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-06,workday,春节\n"
    assert service.import_years(text, "test notice") == [2027]
    assert service.import_years("date,kind,name\n2027-01-01,holiday,元旦\n", "corrected") == [2027]
    cal = service.working_calendar()
    assert 2027 in cal.years and not cal.is_working_day(date(2027, 1, 1))
    assert not cal.is_working_day(date(2027, 2, 6))  # the replaced import dropped that workday


@pytest.mark.parametrize("text, message", [
    ("date,kind,name\n2027-13-01,holiday,x\n", "bad date"),
    ("date,kind,name\n2027-01-01,vacation,x\n", "kind"),
    ("date,kind,name\n2027-01-01,holiday,x\n2027-01-01,holiday,y\n", "twice"),
    ("date,kind,name\n2027-01-04,workday,x\n", "weekday"),
    ("date,kind,name\n", "no rows"),
])
def test_bad_calendar_files_are_refused(db_session, text, message):
    with pytest.raises(service.CalendarDataError, match=message):
        service.import_years(text, "bad")
