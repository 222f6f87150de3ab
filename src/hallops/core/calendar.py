"""The working calendar: which dates are working days, with public holidays and make-up working days.

China moves working days around its public holidays (调休): a Saturday or Sunday next to a holiday becomes a
working day (a *make-up working day*), and a weekday in the bridge becomes a day off.  The installed
``holidays`` library knows both: ``holidays.country_holidays("CN", years=…)`` lists the holidays (the
substituted days off included, e.g. "Day off (substituted from 02/14/2026)") and its ``weekend_workdays``
set holds the make-up working days.

A hall can add its own closed days (``extra_holidays``) and its own extra working days
(``extra_workdays``); an extra working day wins over everything else, an extra holiday over the library.

Day kinds, in order of precedence:

1. a date in ``extra_workdays``: ``makeup_workday`` when it falls on a weekend or a public holiday, else
   ``workday``;
2. a date in ``extra_holidays`` or a public holiday of the country: ``holiday``;
3. a make-up working day of the country (调休): ``makeup_workday``;
4. a weekend day (the country's weekend, Saturday and Sunday for China): ``weekend``;
5. otherwise ``workday``.

``is_working_day`` is true for ``workday`` and ``makeup_workday``.

Pure: no clock is read; the calendar answers for the date it is given.  Years are loaded lazily and cached
per calendar.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Any

import holidays as _holidays

__all__ = ["CalendarError", "DayKind", "WorkingCalendar"]


class DayKind(StrEnum):
    WORKDAY = "workday"
    WEEKEND = "weekend"
    HOLIDAY = "holiday"
    MAKEUP_WORKDAY = "makeup_workday"


WORKING_KINDS = frozenset({DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY})


class CalendarError(ValueError):
    """A bad calendar argument; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class WorkingCalendar:
    """Working days of one country, with a hall's own extra holidays and working days."""

    def __init__(
        self,
        country: str = "CN",
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        self.country = country
        self.extra_holidays: frozenset[date] = frozenset(extra_holidays)
        self.extra_workdays: frozenset[date] = frozenset(extra_workdays)
        both = self.extra_holidays & self.extra_workdays
        if both:
            first = min(both).isoformat()
            raise CalendarError("extra_workdays", f"{first} is also in extra_holidays")
        try:
            probe: Any = _holidays.country_holidays(country, years=())
        except NotImplementedError as exc:
            raise CalendarError("country", f"unknown country {country!r}") from exc
        self._weekend: frozenset[int] = frozenset(int(d) for d in getattr(probe, "weekend", (5, 6)))
        self._years: dict[int, tuple[dict[date, str], frozenset[date]]] = {}

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(country={self.country!r}, extra_holidays={len(self.extra_holidays)}, "
            f"extra_workdays={len(self.extra_workdays)})"
        )

    def _year(self, year: int) -> tuple[dict[date, str], frozenset[date]]:
        cached = self._years.get(year)
        if cached is None:
            table: Any = _holidays.country_holidays(self.country, years=year)
            names = {d: str(n) for d, n in table.items() if d.year == year}
            makeup = frozenset(d for d in getattr(table, "weekend_workdays", ()) if d.year == year)
            cached = (names, makeup)
            self._years[year] = cached
        return cached

    def is_weekend(self, day: date) -> bool:
        """True on the country's weekend days (whatever the holidays)."""
        return day.weekday() in self._weekend

    def holiday_name(self, day: date) -> str | None:
        """The public holiday's name (library's, in English), "" for a hall's extra holiday, else None."""
        if day in self.extra_workdays:
            return None
        names, _ = self._year(day.year)
        if day in names:
            return names[day]
        if day in self.extra_holidays:
            return ""
        return None

    def day_kind(self, day: date) -> DayKind:
        names, makeup = self._year(day.year)
        if day in self.extra_workdays:
            if self.is_weekend(day) or day in names:
                return DayKind.MAKEUP_WORKDAY
            return DayKind.WORKDAY
        if day in self.extra_holidays or day in names:
            return DayKind.HOLIDAY
        if day in makeup:
            return DayKind.MAKEUP_WORKDAY
        if self.is_weekend(day):
            return DayKind.WEEKEND
        return DayKind.WORKDAY

    def is_working_day(self, day: date) -> bool:
        return self.day_kind(day) in WORKING_KINDS
