"""The working calendar on real 2026 Chinese dates (holidays and 调休 make-up working days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.calendar import CalendarError, DayKind, WorkingCalendar

CN = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "kind"),
    [
        (date(2026, 2, 14), DayKind.MAKEUP_WORKDAY),  # Saturday before the Spring Festival
        (date(2026, 2, 28), DayKind.MAKEUP_WORKDAY),  # Saturday after it
        (date(2026, 2, 17), DayKind.HOLIDAY),  # Spring Festival
        (date(2026, 2, 20), DayKind.HOLIDAY),  # Friday off, substituted from 02-14
        (date(2026, 10, 10), DayKind.MAKEUP_WORKDAY),  # Saturday after National Day
        (date(2026, 10, 6), DayKind.HOLIDAY),  # Tuesday off, substituted
        (date(2026, 10, 3), DayKind.HOLIDAY),  # National Day on a Saturday
        (date(2026, 1, 4), DayKind.MAKEUP_WORKDAY),  # Sunday
        (date(2026, 3, 7), DayKind.WEEKEND),
        (date(2026, 3, 8), DayKind.WEEKEND),
        (date(2026, 3, 9), DayKind.WORKDAY),
    ],
)
def test_day_kind_2026(day: date, kind: DayKind) -> None:
    """Each 2026 date has the day kind of the official Chinese schedule."""
    assert CN.day_kind(day) is kind


def test_working_days_2026() -> None:
    """Make-up Saturdays are working days; substituted weekdays and holidays are not."""
    assert CN.is_working_day(date(2026, 2, 14))
    assert CN.is_working_day(date(2026, 10, 10))
    assert not CN.is_working_day(date(2026, 2, 17))
    assert not CN.is_working_day(date(2026, 10, 6))
    assert not CN.is_working_day(date(2026, 3, 7))
    assert CN.is_working_day(date(2026, 3, 9))


def test_day_kind_is_a_string_enum() -> None:
    """Day kinds serialise as their plain string values (used in the rules format)."""
    assert [k.value for k in DayKind] == ["workday", "weekend", "holiday", "makeup_workday"]
    assert DayKind("makeup_workday") is DayKind.MAKEUP_WORKDAY


def test_extra_holiday_closes_a_working_day() -> None:
    """A hall's own closed day is a holiday; other days are unchanged."""
    cal = WorkingCalendar(extra_holidays=[date(2026, 3, 9)])
    assert cal.day_kind(date(2026, 3, 9)) is DayKind.HOLIDAY
    assert cal.holiday_name(date(2026, 3, 9)) == ""
    assert cal.day_kind(date(2026, 3, 10)) is DayKind.WORKDAY


def test_extra_workday_wins() -> None:
    """A hall's extra working day on a weekend or holiday is a make-up working day; on a weekday a workday."""
    cal = WorkingCalendar(extra_workdays=[date(2026, 3, 7), date(2026, 10, 1), date(2026, 3, 9)])
    assert cal.day_kind(date(2026, 3, 7)) is DayKind.MAKEUP_WORKDAY
    assert cal.day_kind(date(2026, 10, 1)) is DayKind.MAKEUP_WORKDAY
    assert cal.day_kind(date(2026, 3, 9)) is DayKind.WORKDAY
    assert cal.holiday_name(date(2026, 10, 1)) is None


def test_holiday_name() -> None:
    """The library's holiday name is returned for public holidays, None for ordinary days."""
    assert CN.holiday_name(date(2026, 10, 1)) == "National Day"
    assert CN.holiday_name(date(2026, 3, 9)) is None


def test_same_date_extra_holiday_and_workday_is_an_error() -> None:
    """A date cannot be both an extra holiday and an extra working day."""
    with pytest.raises(CalendarError) as err:
        WorkingCalendar(extra_holidays=[date(2026, 3, 9)], extra_workdays=[date(2026, 3, 9)])
    assert err.value.field == "extra_workdays"


def test_unknown_country() -> None:
    """An unknown country code is refused, naming the field."""
    with pytest.raises(CalendarError) as err:
        WorkingCalendar(country="XX")
    assert err.value.field == "country"


def test_other_country_weekend() -> None:
    """Another country uses its own holidays (no make-up days): Germany's New Year is a holiday."""
    de = WorkingCalendar(country="DE")
    assert de.day_kind(date(2026, 1, 1)) is DayKind.HOLIDAY
    assert de.day_kind(date(2026, 1, 3)) is DayKind.WEEKEND
    assert de.day_kind(date(2026, 1, 5)) is DayKind.WORKDAY


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_weekdays_without_holiday_are_working_days(day: date) -> None:
    """Any Monday–Friday that is not a public holiday is a working day; weekends work only as 调休."""
    kind = CN.day_kind(day)
    if CN.holiday_name(day) is not None:
        assert kind is DayKind.HOLIDAY
    elif day.weekday() < 5:
        assert kind is DayKind.WORKDAY
    else:
        assert kind in {DayKind.WEEKEND, DayKind.MAKEUP_WORKDAY}
    assert CN.is_working_day(day) == (kind in {DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY})


def test_spring_festival_week_2026() -> None:
    """From 2026-02-14 to 2026-02-28 the working days are exactly the two make-up Saturdays and 02-24..27."""
    days = [date(2026, 2, 14) + timedelta(days=i) for i in range(15)]
    working = [d.day for d in days if CN.is_working_day(d)]
    assert working == [14, 24, 25, 26, 27, 28]
