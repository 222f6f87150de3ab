"""Selectors: drill-down returns exactly the tickets behind a figure; heat map, daily series, halls, errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hallops.analytics.demo import demo_hall, generate_history
from hallops.analytics.models import Source
from hallops.analytics.selectors import daily_series, kpi_summary, records_behind, records_for, wait_heatmap
from hallops.analytics.services import records_load
from hallops.core.kpi import Outcome, TransactionRecord, compute_kpis, ticket_id
from hallops.errors import Invalid
from tests.factories import Setup

pytestmark = pytest.mark.django_db

END = dt.date(2026, 11, 8)
START = END - dt.timedelta(days=6)


@pytest.fixture
def history(setup: Setup) -> list[TransactionRecord]:
    records = generate_history(demo_hall(setup.hall), end=END, days=7, seed=11)
    records_load(hall=setup.hall, records=records, source=Source.DEMO)
    return records


def by_ticket(records: list[TransactionRecord]) -> dict[Any, list[TransactionRecord]]:
    out: dict[Any, list[TransactionRecord]] = {}
    for r in records:
        out.setdefault(ticket_id(r), []).append(r)
    return out


def first(rows: list[TransactionRecord]) -> TransactionRecord:
    """The ticket's first transaction as docs/kpis.md defines it (ties do not occur in this history)."""
    called = [r for r in rows if r.called_at is not None]
    return min(called, key=lambda r: r.called_at) if called else rows[0]  # type: ignore[arg-type, return-value]


def keys(qs: Any) -> set[tuple[str, dt.date, int]]:
    return {(v.ticket, v.local_day, v.row_key) for v in qs}


def ticket_keys(qs: Any) -> set[tuple[str, dt.date]]:
    return {(v.ticket, v.local_day) for v in qs}


def test_drill_down_by_service_returns_exactly_the_tickets_behind_each_figure(
    setup: Setup, history: list[TransactionRecord]
) -> None:
    """For each business type: arrivals, no-shows, cancellations, diversions and long waits are the tickets
    whose first transaction is of that type; served and over-limit are its done transactions."""
    summary = kpi_summary(halls=[setup.hall], start=START, end=END, by="service")
    tickets = by_ticket(history)
    for service, figures in summary["groups"].items():
        mine = {k: rows for k, rows in tickets.items() if first(rows).service == service}

        def behind(service: str = service, **filters: Any) -> Any:
            return records_behind(halls=[setup.hall], start=START, end=END, service=service, **filters)

        assert ticket_keys(behind(tickets=True)) == set(mine)
        assert behind(tickets=True).count() == figures["arrivals"]
        for outcome, figure in (("no_show", "no_shows"), ("cancelled", "cancelled"), ("diverted", "diverted")):
            want = {k for k, rows in mine.items() if any(r.outcome == outcome for r in rows)}
            assert ticket_keys(behind(outcome=outcome)) == want
            assert len(want) == figures[figure]
        long_waits = {
            k
            for k, rows in mine.items()
            if first(rows).called_at is not None and (first(rows).called_at - rows[0].issued_at).total_seconds() > 600  # type: ignore[operator]
        }
        assert ticket_keys(behind(wait_over_target=True)) == long_waits
        if figures["called"]:
            assert len(long_waits) == figures["called"] - round(figures["wait_within_10min_share"] * figures["called"])
        done = [r for r in history if r.service == service and r.outcome is Outcome.DONE]
        assert behind(outcome="done").count() == figures["served"] == len(done)
        over = {(o["ticket"], dt.datetime.fromisoformat(o["called_at"])) for o in figures["over_limit"]}
        assert {(v.ticket, v.called_at) for v in behind(over_limit=True)} == over
        assert len(over) == round((figures["over_limit_share"] or 0) * figures["served"])


@pytest.mark.parametrize("by", ["agent", "counter", "hour", "day", "weekday", "channel"])
def test_drill_down_counts_match_every_grouping(setup: Setup, history: list[TransactionRecord], by: str) -> None:
    """records_behind with a group's key finds as many tickets, served and over-limit rows as the group has."""
    summary = kpi_summary(halls=[setup.hall], start=START, end=END, by=by)
    assert summary["groups"]
    for key, figures in summary["groups"].items():
        group = {by: dt.date.fromisoformat(key) if by == "day" else key}
        qs = records_behind(halls=[setup.hall], start=START, end=END, **group)
        assert qs.filter(first=True).count() == figures["arrivals"]
        assert qs.filter(outcome="done").count() == figures["served"]
        assert qs.filter(over_limit=True).count() == len(figures["over_limit"])


def test_the_heat_map_has_each_weekday_and_hour_of_the_core(setup: Setup, history: list[TransactionRecord]) -> None:
    """Each cell's arrivals, mean wait and share within 10 minutes are the core's over the tickets issued in
    that weekday and hour."""
    cells = wait_heatmap(halls=[setup.hall], start=START, end=END)
    tz = setup.hall.tz
    assert sum(c["arrivals"] for c in cells) == len(by_ticket(history))
    for cell in cells:
        rows = [
            r
            for r in history
            if r.issued_at.astimezone(tz).weekday() == cell["weekday"]
            and r.issued_at.astimezone(tz).hour == cell["hour"]
        ]
        k = compute_kpis(rows).total
        assert (cell["arrivals"], cell["wait_mean_seconds"], cell["wait_within_10min_share"]) == (
            k.arrivals,
            k.wait_mean_seconds,
            k.wait_within_10min_share,
        )


def test_the_daily_series_lists_every_day_with_the_core_figures(setup: Setup, history: list[TransactionRecord]) -> None:
    """One item per day of the period (a day without tickets has zeros and None), figures as kpi_summary."""
    after = END + dt.timedelta(days=2)
    series = daily_series(halls=[setup.hall], start=START, end=after)
    assert [item["day"] for item in series] == [(START + dt.timedelta(days=i)).isoformat() for i in range(9)]
    groups = kpi_summary(halls=[setup.hall], start=START, end=END, by="day")["groups"]
    for item in series:
        figures = groups.get(item["day"])
        if figures is None:
            assert item["arrivals"] == 0 and item["wait_mean_seconds"] is None
            continue
        for name, value in item.items():
            if name != "day":
                assert value == figures[name], (item["day"], name)


def test_several_halls_side_by_side(setup: Setup, history: list[TransactionRecord]) -> None:
    """by=hall gives one group per hall code; tickets of two halls never merge (records_for qualifies them)."""
    other = generate_history(demo_hall(setup.other_hall), end=END, days=2, seed=12)
    records_load(hall=setup.other_hall, records=other, source=Source.DEMO)
    halls = [setup.hall, setup.other_hall]
    summary = kpi_summary(halls=halls, start=START, end=END, by="hall")
    assert list(summary["groups"]) == ["h1", "h2"]
    assert summary["groups"]["h2"]["arrivals"] == len(by_ticket(other))
    assert summary["total"]["arrivals"] == len(by_ticket(history)) + len(by_ticket(other))
    rolled = kpi_summary(halls=[h.pk for h in halls], start=START, end=END, by="hall", exact=False)
    assert rolled["groups"]["h2"]["served"] == summary["groups"]["h2"]["served"]
    assert {r.ticket.split("/")[0] for r in records_for(halls=halls, start=START, end=END)} == {"h1", "h2"}


def test_bad_arguments_are_domain_errors(setup: Setup) -> None:
    """A period ending before it starts, an unknown grouping or filter: Invalid naming the argument."""
    with pytest.raises(Invalid) as caught:
        kpi_summary(halls=[setup.hall], start=END, end=START)
    assert caught.value.field == "end"
    with pytest.raises(Invalid) as caught:
        kpi_summary(halls=[setup.hall], start=START, end=END, by="moon")
    assert caught.value.field == "by"
    with pytest.raises(Invalid) as caught:
        records_behind(halls=[setup.hall], start=START, end=END, colour="red")
    assert caught.value.field == "colour"


def test_summaries_take_a_fixed_number_of_queries(
    setup: Setup, history: list[TransactionRecord], django_assert_max_num_queries: Any
) -> None:
    """However many records, a roll-up summary, the heat map and the series each read a few queries."""
    with django_assert_max_num_queries(6):
        kpi_summary(halls=[setup.hall], start=START, end=END, by="agent", exact=False)
    with django_assert_max_num_queries(2):
        wait_heatmap(halls=[setup.hall], start=START, end=END)
    with django_assert_max_num_queries(2):
        daily_series(halls=[setup.hall], start=START, end=END)
    with django_assert_max_num_queries(4):
        list(records_behind(halls=[setup.hall], start=START, end=END, over_limit=True))
