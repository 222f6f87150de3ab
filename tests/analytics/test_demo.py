"""The demo's generated history: reproducible, shaped by the calendar, loaded into the demo halls."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.analytics.demo import WEEKS, demo_hall, generate_day, generate_history, is_campaign_day
from hallops.analytics.models import Source, VisitRecord
from hallops.core.calendar import DayKind, WorkingCalendar
from hallops.core.kpi import compute_kpis, record_errors
from hallops.organisation.demo import demo_load
from hallops.organisation.models import Hall
from tests.factories import Setup

pytestmark = pytest.mark.django_db


def arrivals(records: list) -> int:  # type: ignore[type-arg]
    return compute_kpis(records).total.arrivals


def test_a_day_depends_only_on_the_seed_the_hall_and_the_date(setup: Setup) -> None:
    """The same day is generated the same whether it ends an eight-week period or a one-day one; another seed
    gives another day."""
    hall = demo_hall(setup.hall)
    day = dt.date(2026, 11, 3)
    long = generate_history(hall, end=day + dt.timedelta(days=10), days=20)
    one = generate_history(hall, end=day, days=1)
    assert one == [r for r in long if r.issued_at.date() == day]
    assert one != generate_history(hall, end=day, days=1, seed=99)
    assert record_errors(long, tz=setup.hall.tz) == []


def test_holidays_are_quieter_and_make_up_days_and_campaigns_busier(setup: Setup) -> None:
    """Over many seeds, the mean arrivals follow the day level: holiday < workday < make-up day, and a
    campaign day beats the same day without the campaign."""
    hall = demo_hall(setup.hall)
    national_day, wednesday, makeup = dt.date(2026, 10, 2), dt.date(2026, 10, 14), dt.date(2026, 10, 10)
    calendar = WorkingCalendar(country="CN")
    assert [calendar.day_kind(d) for d in (national_day, wednesday, makeup)] == [
        DayKind.HOLIDAY,
        DayKind.WORKDAY,
        DayKind.MAKEUP_WORKDAY,
    ]

    def mean(day: dt.date, kind: DayKind, campaign: bool = False) -> float:
        return sum(arrivals(generate_day(hall, day, kind, campaign=campaign, seed=s)) for s in range(8)) / 8

    assert mean(national_day, DayKind.HOLIDAY) < mean(wednesday, DayKind.WORKDAY) < mean(makeup, DayKind.MAKEUP_WORKDAY)
    assert mean(wednesday, DayKind.WORKDAY, campaign=True) > 1.3 * mean(wednesday, DayKind.WORKDAY)


def test_campaign_days_are_a_few_per_eight_weeks() -> None:
    """At most one a week, about one in three weeks: over a year, between 10 and 30, none in two weeks alike."""
    start = dt.date(2026, 1, 5)  # a Monday
    days = [start + dt.timedelta(days=i) for i in range(52 * 7)]
    campaigns = [d for d in days if is_campaign_day(d)]
    assert 10 <= len(campaigns) <= 30
    assert len({d.isocalendar()[:2] for d in campaigns}) == len(campaigns)


def test_hallops_demo_loads_eight_weeks_ending_yesterday_for_each_demo_hall(db: None) -> None:
    """demo_load fills both demo halls with history ending yesterday (hall-local), agents linked to the
    hall's demo agents where they are theirs, the others external ids; a reload gives the same rows."""
    demo_load(traffic=False)
    first = sorted(VisitRecord.objects.values_list("hall__code", "ticket", "local_day", "row_key", "outcome"))
    for hall in Hall.objects.filter(code__in=["ty01", "ty02"]):
        rows = VisitRecord.objects.filter(hall=hall)
        yesterday = dt.datetime.now(hall.tz).date() - dt.timedelta(days=1)
        days = sorted(set(rows.values_list("local_day", flat=True)))
        assert days[-1] == yesterday and days[0] >= yesterday - dt.timedelta(days=WEEKS * 7 - 1)
        assert set(rows.values_list("source", flat=True)) == {Source.DEMO}
        linked = set(rows.filter(agent__isnull=False).values_list("agent__username", flat=True))
        external = set(rows.filter(agent__isnull=True).exclude(agent_ext="").values_list("agent_ext", flat=True))
        assert linked and all(name.startswith("agent") for name in linked)
        assert external and all(name.startswith(f"{hall.code}-s") for name in external)
    demo_load(traffic=False)
    again = sorted(VisitRecord.objects.values_list("hall__code", "ticket", "local_day", "row_key", "outcome"))
    assert again == first
