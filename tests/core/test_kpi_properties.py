"""Invariants of the KPI definition on random consistent histories (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.core.kpi import GroupBy, Outcome, TransactionRecord, compute_kpis, kpis_as_dict, record_errors

#: around the 2024 spring DST change in Berlin and across midnight in every offset used
BASE = datetime(2024, 3, 30, 18, 0, tzinfo=UTC)
OFFSETS = [UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5)), timezone(timedelta(hours=5, minutes=30))]
ZONES: list[tzinfo | None] = [None, ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")]
COUNTS = ("arrivals", "called", "served_tickets", "no_shows", "cancelled", "diverted", "served", "rated")

#: durations to the microsecond, so that float sums would depend on the order without math.fsum
seconds = st.integers(min_value=0, max_value=1800 * 10**6).map(lambda us: timedelta(microseconds=us))


@st.composite
def ticket_rows(draw: st.DrawFn, number: int) -> list[TransactionRecord]:
    """The rows of one ticket: diverted, never called, or 1-3 calls (done, no-show, cancelled, not served),
    sometimes followed by a row without a call; phases marked or not at random, always in order."""
    offset = draw(st.sampled_from(OFFSETS))
    issued = (BASE + timedelta(seconds=draw(st.integers(0, 2 * 86400)))).astimezone(offset)
    common = {
        "ticket": f"T{number:03d}",
        "channel": draw(st.sampled_from(["greeter", "kiosk", "remote"])),
        "priority": draw(st.sampled_from(["normal", "vip"])),
        "issued_at": issued,
        "quoted_wait_seconds": draw(st.none() | st.integers(0, 3600).map(float)),
    }
    services = st.sampled_from(["sim", "new", "bill"])
    agents = st.sampled_from(["", "a1", "a2", "a3"])
    kind = draw(st.sampled_from(["diverted", "waiting", "called", "called"]))
    if kind == "diverted":
        return [TransactionRecord(service=draw(services), outcome=Outcome.DIVERTED, **common)]  # type: ignore[arg-type]
    rows: list[TransactionRecord] = []
    t = issued
    for _ in range(draw(st.integers(1, 3)) if kind == "called" else 0):
        t += draw(seconds)
        called = t
        outcome = draw(
            st.sampled_from([Outcome.DONE, Outcome.DONE, Outcome.NO_SHOW, Outcome.CANCELLED, Outcome.NOT_SERVED])
        )
        phases: dict[str, datetime | None] = {}
        for name in ("arrived_at", "communication_at", "operation_at"):
            if outcome is not Outcome.NO_SHOW and draw(st.booleans()):
                t += draw(seconds)
                phases[name] = t
        ended = None
        if outcome is Outcome.DONE or draw(st.booleans()):
            t += draw(seconds)
            ended = t
        done = outcome is Outcome.DONE
        rows.append(
            TransactionRecord(
                service=draw(services),
                called_at=called,
                ended_at=ended,
                outcome=outcome,
                counter=draw(st.sampled_from(["", "1", "2"])),
                agent=draw(agents),
                rating=draw(st.none() | st.sampled_from([1, 2, 3])) if done else None,
                pre_order=draw(st.booleans()),
                limit_minutes=draw(st.sampled_from([0.5, 3.0, 8.0])) if done else None,
                **phases,  # type: ignore[arg-type]
                **common,  # type: ignore[arg-type]
            )
        )
    if kind == "waiting" or draw(st.booleans()):
        outcome = draw(st.sampled_from([Outcome.CANCELLED, Outcome.NOT_SERVED]))
        rows.append(TransactionRecord(service=draw(services), ended_at=t + draw(seconds), outcome=outcome, **common))  # type: ignore[arg-type]
    return rows


@st.composite
def histories(draw: st.DrawFn) -> list[TransactionRecord]:
    tickets = draw(st.integers(min_value=0, max_value=20))
    return [row for number in range(tickets) for row in draw(ticket_rows(number))]


groupings = st.sampled_from(list(GroupBy))
zones = st.sampled_from(ZONES)


@settings(deadline=None)
@given(histories(), groupings, zones)
def test_shares_are_fractions_and_times_are_not_negative(
    history: list[TransactionRecord], by: GroupBy, tz: tzinfo | None
) -> None:
    """Every rate, share and coverage is None or within [0, 1]; every time and the workload CV are >= 0."""
    assert record_errors(history, tz=tz) == []
    report = compute_kpis(history, by=by, tz=tz, complex_services=frozenset({"new"}))
    for k in [report.total, *report.groups.values()]:
        for name, value in kpis_as_dict(k).items():
            if name.endswith(("_rate", "_share", "_coverage")):
                assert value is None or 0.0 <= value <= 1.0, (name, value)  # type: ignore[operator]
            elif name.endswith("_seconds") or name == "workload_cv":
                assert value is None or value >= 0.0, (name, value)  # type: ignore[operator]


@settings(deadline=None)
@given(histories(), groupings, zones)
def test_group_counts_add_up_to_the_total(history: list[TransactionRecord], by: GroupBy, tz: tzinfo | None) -> None:
    """For every grouping, arrivals (and every other count) summed over the groups equal the total's, and the
    total does not depend on the grouping."""
    report = compute_kpis(history, by=by, tz=tz)
    for name in COUNTS:
        assert sum(getattr(k, name) for k in report.groups.values()) == getattr(report.total, name), name
    assert report.total == compute_kpis(history, tz=tz).total


@settings(deadline=None)
@given(histories().flatmap(lambda h: st.tuples(st.just(h), st.permutations(h))), st.none() | groupings, zones)
def test_row_order_does_not_change_any_figure(
    pair: tuple[list[TransactionRecord], list[TransactionRecord]], by: GroupBy | None, tz: tzinfo | None
) -> None:
    """Shuffling the rows gives exactly the same report, floats included, groups in the same order."""
    history, shuffled = pair
    first, second = compute_kpis(history, by=by, tz=tz), compute_kpis(shuffled, by=by, tz=tz)
    assert first == second
    assert list(first.groups) == list(second.groups)


@settings(deadline=None)
@given(histories(), zones)
def test_served_and_ticket_counts_are_consistent(history: list[TransactionRecord], tz: tzinfo | None) -> None:
    """called <= arrivals, served_tickets <= min(called, served), rated <= served, no-shows <= called."""
    k = compute_kpis(history, tz=tz).total
    assert k.called <= k.arrivals
    assert k.served_tickets <= min(k.called, k.served)
    assert k.rated <= k.served and k.no_shows <= k.called
    assert k.arrivals == len({(r.ticket, r.issued_at) for r in history})
