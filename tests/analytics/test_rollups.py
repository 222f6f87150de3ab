"""The roll-ups give back the core's figures: counts, means and shares exactly; percentiles within a bucket."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hallops.analytics.demo import demo_hall, generate_history
from hallops.analytics.figures import WAIT_BUCKET_EDGES, quantile_from_histogram, wait_bucket
from hallops.analytics.models import AgentDayFigures, HourlyFigures, Source, VisitRecord
from hallops.analytics.selectors import GROUPS, kpi_summary, records_for
from hallops.analytics.services import records_clear, records_load
from hallops.core.kpi import GroupBy, Outcome, TransactionRecord, compute_kpis, kpis_as_dict, ticket_id
from tests.factories import Setup

pytestmark = pytest.mark.django_db

END = dt.date(2026, 10, 9)  # a fortnight around the National Day holidays and the make-up working day 10-10
DAYS = 14
ESTIMATED = {"wait_median_seconds", "wait_p90_seconds"}


def load_demo(setup: Setup) -> list[TransactionRecord]:
    records = generate_history(demo_hall(setup.hall), end=END, days=DAYS, seed=7)
    records_load(hall=setup.hall, records=records, source=Source.DEMO)
    return records


def assert_same_figures(rolled: dict[str, Any], exact: dict[str, Any]) -> None:
    assert rolled.keys() == exact.keys()
    for name, value in exact.items():
        if name not in ESTIMATED:
            assert rolled[name] == value, name


def assert_estimate_within_a_bucket(estimate: float | None, waits: list[float], q: float) -> None:
    """The histogram's quantile lies within the buckets of the two waits the exact quantile interpolates."""
    if not waits:
        assert estimate is None
        return
    waits = sorted(waits)
    h = (len(waits) - 1) * q
    neighbours = {waits[int(h)], waits[min(int(h) + 1, len(waits) - 1)]}
    edges = (0, *WAIT_BUCKET_EDGES, float("inf"))
    buckets = [wait_bucket(w) for w in neighbours]
    low, high = edges[min(buckets)], edges[max(buckets) + 1]
    assert estimate is not None
    assert low <= estimate <= max(high, low) if high != float("inf") else estimate >= low


def test_the_generated_history_is_varied(setup: Setup) -> None:
    """The fixture below means something: every outcome, transfers, ratings, pre-orders and overruns occur."""
    records = load_demo(setup)
    outcomes = {r.outcome for r in records}
    assert outcomes == set(Outcome)
    tickets: dict[object, int] = {}
    for r in records:
        tickets[ticket_id(r)] = tickets.get(ticket_id(r), 0) + 1
    assert max(tickets.values()) >= 2
    report = compute_kpis(records).total
    assert report.rated > 0 and report.over_limit and 0 < report.pre_order_share < 1  # type: ignore[operator]
    assert report.wait_p90_seconds is not None and report.wait_p90_seconds > 60


@pytest.mark.parametrize("by", [None, *GROUPS])
def test_rollups_match_the_core_for_every_grouping(setup: Setup, by: str | None) -> None:
    """kpi_summary from the roll-ups equals compute_kpis over the raw records, group by group, for every
    figure but the percentiles (estimated within a bucket) — the history has whole-second times."""
    load_demo(setup)
    start = END - dt.timedelta(days=DAYS - 1)
    rolled = kpi_summary(halls=[setup.hall], start=start, end=END, by=by, exact=False)
    exact = kpi_summary(halls=[setup.hall], start=start, end=END, by=by, exact=True)
    assert_same_figures(rolled["total"], exact["total"])
    assert rolled.get("groups", {}).keys() == exact.get("groups", {}).keys()
    assert list(rolled.get("groups", {})) == list(exact.get("groups", {}))  # the same order too
    for key, figures in exact.get("groups", {}).items():
        assert_same_figures(rolled["groups"][key], figures)


def test_the_exact_path_is_the_core_itself(setup: Setup) -> None:
    """Up to a hall-month, kpi_summary is compute_kpis over records_for (percentiles included)."""
    records = load_demo(setup)
    start = END - dt.timedelta(days=DAYS - 1)
    stored = records_for(halls=[setup.hall], start=start, end=END)
    assert sorted(map(repr, stored)) == sorted(repr(r.__class__(**{**_fields(r), **_local(r)})) for r in records)
    report = compute_kpis(records, by=GroupBy.SERVICE, tz=setup.hall.tz, complex_services=frozenset({"new_subscriber"}))
    summary = kpi_summary(halls=[setup.hall], start=start, end=END, by="service")
    assert summary["total"] == kpis_as_dict(report.total)
    assert summary["groups"] == {key: kpis_as_dict(k) for key, k in report.groups.items()}


def _fields(r: TransactionRecord) -> dict[str, Any]:
    return {name: getattr(r, name) for name in r.__dataclass_fields__}


def _local(r: TransactionRecord) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    names = ("issued_at", "called_at", "arrived_at", "communication_at", "operation_at", "ended_at")
    return {n: getattr(r, n).astimezone(tz) for n in names if getattr(r, n) is not None}


def test_percentile_estimates_stay_within_a_bucket(setup: Setup) -> None:
    """The histogram's median and p90 are within the buckets of the waits the exact ones lie between."""
    records = load_demo(setup)
    start = END - dt.timedelta(days=DAYS - 1)
    rolled = kpi_summary(halls=[setup.hall], start=start, end=END, by="day", exact=False)
    for day, figures in rolled["groups"].items():
        day_records = [r for r in records if r.issued_at.date().isoformat() == day]
        waits = []
        for rows in _tickets(day_records).values():
            calls = [r.called_at for r in rows if r.called_at is not None]
            if calls:
                waits.append((min(calls) - rows[0].issued_at).total_seconds())
        assert_estimate_within_a_bucket(figures["wait_median_seconds"], waits, 0.5)
        assert_estimate_within_a_bucket(figures["wait_p90_seconds"], waits, 0.9)


def _tickets(records: list[TransactionRecord]) -> dict[object, list[TransactionRecord]]:
    out: dict[object, list[TransactionRecord]] = {}
    for r in records:
        out.setdefault(ticket_id(r), []).append(r)
    return out


def test_quantile_from_histogram_by_hand() -> None:
    """Ten waits in [0, 60) and ten in [60, 120): the median sits between the two buckets, p90 high in the
    second; one wait in the open bucket is reported as its lower edge."""
    counts = [10, 10] + [0] * (len(WAIT_BUCKET_EDGES) - 1)
    # rank h = 9.5: between the last of bucket 0 (57 s) and the first of bucket 1 (63 s)
    assert quantile_from_histogram(counts, 0.5) == pytest.approx(60.0)
    # rank h = 17.1: the 8th of bucket 1 at 60 + 7.5·6 = 105, the 9th at 111 → 105.6
    assert quantile_from_histogram(counts, 0.9) == pytest.approx(105.6)
    assert quantile_from_histogram([0] * len(WAIT_BUCKET_EDGES) + [1], 0.9) == 7200.0
    assert quantile_from_histogram([0] * (len(WAIT_BUCKET_EDGES) + 1), 0.9) is None


def test_clearing_a_source_rebuilds_the_rollups_from_what_is_left(setup: Setup) -> None:
    """Deleting the demo rows of a hall leaves the imported ones, and the roll-ups count only those."""
    load_demo(setup)
    day = END
    imported = [r for r in generate_history(demo_hall(setup.hall), end=day + dt.timedelta(days=1), days=1, seed=8)]
    records_load(hall=setup.hall, records=imported, source=Source.IMPORT)
    records_clear(halls=[setup.hall], sources=[Source.DEMO])
    assert set(VisitRecord.objects.values_list("source", flat=True)) == {Source.IMPORT}
    rolled = kpi_summary(
        halls=[setup.hall], start=day - dt.timedelta(days=30), end=day + dt.timedelta(days=1), exact=False
    )
    assert_same_figures(
        rolled["total"], kpis_as_dict(compute_kpis(imported, complex_services=frozenset({"new_subscriber"})).total)
    )


# ---------------------------------------------------------------------------------------- a Hypothesis property

BASE = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
SERVICES = ("sim_replacement", "new_subscriber", "value_added")


@st.composite
def visits(draw: st.DrawFn) -> list[TransactionRecord]:
    """One ticket's rows: diverted, cancelled while waiting, or 1–3 transactions (no-show, done, ...),
    with microsecond times, some phases unmarked."""
    us = st.integers(min_value=0, max_value=900_000_000)
    number = draw(st.integers(min_value=1, max_value=40))
    issued = BASE + dt.timedelta(microseconds=draw(st.integers(min_value=0, max_value=2 * 86_400_000_000)))
    common: dict[str, Any] = {
        "ticket": f"B{number:03d}",
        "channel": draw(st.sampled_from(["kiosk", "greeter"])),
        "priority": "normal",
        "issued_at": issued,
        "quoted_wait_seconds": draw(st.none() | st.integers(0, 1200).map(float)),
    }
    kind = draw(st.sampled_from(["diverted", "cancelled", "called", "called"]))
    if kind == "diverted":
        return [TransactionRecord(service="value_added", outcome=Outcome.DIVERTED, ended_at=issued, **common)]
    if kind == "cancelled":
        end = issued + dt.timedelta(microseconds=draw(us))
        return [
            TransactionRecord(
                service=draw(st.sampled_from(SERVICES)), outcome=Outcome.CANCELLED, ended_at=end, **common
            )
        ]
    rows = []
    at = issued
    for _ in range(draw(st.integers(1, 3))):
        at += dt.timedelta(microseconds=draw(us) + 1)
        called = at
        outcome = draw(st.sampled_from([Outcome.DONE, Outcome.DONE, Outcome.NO_SHOW, Outcome.NOT_SERVED]))
        phases: dict[str, dt.datetime | None] = {}
        for name in ("arrived_at", "communication_at", "operation_at"):
            if outcome is not Outcome.NO_SHOW and draw(st.booleans()):
                at += dt.timedelta(microseconds=draw(us))
                phases[name] = at
        at += dt.timedelta(microseconds=draw(us))
        rows.append(
            TransactionRecord(
                service=draw(st.sampled_from(SERVICES)),
                outcome=outcome,
                called_at=called,
                ended_at=at,
                counter=draw(st.sampled_from(["1", "2", ""])),
                agent=draw(st.sampled_from(["agent1", "agent2", "ext9", ""])),
                rating=draw(st.none() | st.integers(1, 3)) if outcome is Outcome.DONE else None,
                pre_order=draw(st.booleans()),
                limit_minutes=draw(st.sampled_from([3.0, 8.0, 2.5])),
                **phases,
                **common,
            )
        )
    return rows


def _histories() -> st.SearchStrategy[tuple[list[TransactionRecord], int]]:
    def unique(visits_: list[list[TransactionRecord]]) -> list[TransactionRecord]:
        seen: set[object] = set()
        out = []
        for rows in visits_:
            key = ticket_id(rows[0], BASE.tzinfo)
            if key not in seen:
                seen.add(key)
                out += rows
        return out

    return st.tuples(st.lists(visits(), min_size=1, max_size=25).map(unique), st.integers(0, 100))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(history=_histories(), by=st.sampled_from([None, "hour", "service", "agent", "counter", "channel"]))
def test_rollups_match_the_core_on_any_history_loaded_in_two_parts(
    setup: Setup, history: tuple[list[TransactionRecord], int], by: str | None
) -> None:
    """Loaded in two parts (rows of one ticket may come in the second), the roll-ups still give the core's
    counts exactly and its means and shares up to rounding (microsecond times)."""
    VisitRecord.objects.all().delete()
    HourlyFigures.objects.all().delete()
    AgentDayFigures.objects.all().delete()
    records, cut = history
    split = cut * len(records) // 100
    records_load(hall=setup.hall, records=records[:split], source=Source.IMPORT)
    records_load(hall=setup.hall, records=records[split:], source=Source.IMPORT)
    start, end = BASE.date() - dt.timedelta(days=1), BASE.date() + dt.timedelta(days=3)
    rolled = kpi_summary(halls=[setup.hall], start=start, end=end, by=by, exact=False)
    exact = kpi_summary(halls=[setup.hall], start=start, end=end, by=by, exact=True)
    pairs = [(rolled["total"], exact["total"])]
    assert rolled.get("groups", {}).keys() == exact.get("groups", {}).keys()
    pairs += [(rolled["groups"][k], v) for k, v in exact.get("groups", {}).items()]
    for got, want in pairs:
        for name, value in want.items():
            if name in ESTIMATED:
                continue
            if isinstance(value, float):
                assert got[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
            else:
                assert got[name] == value, name
