"""Pilot comparison: values from the KPI definition, differences, seeded bootstrap intervals over tickets."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.core.compare import (
    FIGURES,
    INTERVAL_FIGURES,
    CompareError,
    FigureKind,
    TicketSums,
    compare_records,
    comparison_as_dict,
)
from hallops.core.kpi import Outcome, TransactionRecord, compute_kpis, kpis_as_dict
from tests.core.test_kpi_properties import histories

CST = timezone(timedelta(hours=8))
T0 = datetime(2024, 3, 11, 9, 0, tzinfo=CST)


def done(ticket: str, wait: float, service: float = 120.0, **kw: object) -> TransactionRecord:
    """A done transaction: issued at T0 (+ a minute per ticket number), called ``wait`` s later, done after
    ``service`` s; limit 3 minutes unless given."""
    issued = T0 + timedelta(minutes=int(ticket[1:]))
    called = issued + timedelta(seconds=wait)
    fields: dict[str, object] = {
        "ticket": ticket,
        "service": "sim",
        "channel": "greeter",
        "priority": "normal",
        "issued_at": issued,
        "called_at": called,
        "ended_at": called + timedelta(seconds=service),
        "outcome": Outcome.DONE,
        "agent": "a1",
        "counter": "1",
        "limit_minutes": 3.0,
    }
    fields.update(kw)
    return TransactionRecord(**fields)  # type: ignore[arg-type]


def diverted(ticket: str) -> TransactionRecord:
    return TransactionRecord(
        ticket=ticket,
        service="pay",
        channel="greeter",
        priority="normal",
        issued_at=T0 + timedelta(minutes=int(ticket[1:])),
        outcome=Outcome.DIVERTED,
    )


def rng(seed: int = 7) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_values_and_differences_come_from_the_kpi_definition() -> None:
    """A is 2 tickets waiting 60 and 120 s, B is 2 tickets waiting 600 and 700 s plus one diverted: each value is
    compute_kpis's, the difference is B - A, for every figure (counts included)."""
    a = [done("A001", 60), done("A002", 120, service=200, rating=3)]
    b = [done("A001", 600), done("A002", 700, rating=1), diverted("A003")]
    c = compare_records(a, b, rng=rng(), replications=200)
    ka, kb = kpis_as_dict(compute_kpis(a).total), kpis_as_dict(compute_kpis(b).total)
    assert [f.name for f in c.figures] == list(FIGURES)
    for f in c.figures:
        assert f.a == (None if ka[f.name] is None else float(ka[f.name]))  # type: ignore[arg-type]
        assert f.b == (None if kb[f.name] is None else float(kb[f.name]))  # type: ignore[arg-type]
        assert f.difference == (None if f.a is None or f.b is None else f.b - f.a)
    assert c.figure("wait_mean_seconds").difference == 650 - 90
    assert c.figure("arrivals").difference == 1
    assert c.figure("over_limit_share").a == 0.5  # 200 s > 180 s
    assert c.figure("satisfaction_share").difference == -1.0
    assert (c.tickets_a, c.tickets_b) == (2, 3)


def test_hand_computed_interval_excludes_zero() -> None:
    """Resampling 2 tickets: A's mean wait is 60, 90 or 120 (probabilities 1/4, 1/2, 1/4), B's is 600, 650 or 700.
    Every replicated difference lies in [480, 640]; 480 and 640 each have probability 1/16 > 2.5 %, so with 4000
    replications the 95 % interval is exactly [480, 640], and it excludes 0."""
    a = [done("A001", 60), done("A002", 120)]
    b = [done("A001", 600), done("A002", 700)]
    f = compare_records(a, b, rng=rng(1), replications=4000).figure("wait_mean_seconds")
    assert (f.low, f.high) == (480.0, 640.0)
    assert f.defined == 4000
    assert f.more_than_noise


def test_one_ticket_each_gives_a_point_interval() -> None:
    """A side with one ticket resamples to itself: the interval is the difference itself, for any seed."""
    a = [done("A001", 60, service=100)]
    b = [done("A001", 90, service=100)]
    for seed in range(3):
        c = compare_records(a, b, rng=rng(seed), replications=50)
        wait = c.figure("wait_mean_seconds")
        assert (wait.low, wait.high, wait.difference) == (30.0, 30.0, 30.0)
        assert wait.more_than_noise
        handling = c.figure("handling_mean_seconds")  # call to done: 100 s on both sides
        assert (handling.low, handling.high, handling.difference) == (0.0, 0.0, 0.0)
        assert not handling.more_than_noise


def test_same_mix_is_not_more_than_noise() -> None:
    """B is A's tickets twice over (the same mix of waits): every mean, share and ratio differs by 0 and none is
    flagged. (Percentiles are left out: interpolating between 5 or 10 sorted waits gives different values.)"""
    a = [done(f"A{i:03d}", w) for i, w in enumerate([30, 200, 650, 90, 400], start=1)]
    b = a + [dataclasses.replace(r, ticket=f"A{int(r.ticket[1:]) + 100:03d}") for r in a]
    c = compare_records(a, b, rng=rng(), replications=500)
    for f in c.figures:
        if (
            f.kind is not FigureKind.COUNT
            and f.difference is not None
            and "median" not in f.name
            and "p90" not in f.name
        ):
            assert f.difference == pytest.approx(0.0, abs=1e-9), f.name
            assert f.low is not None and f.high is not None and f.low <= 0 <= f.high, f.name
            assert not f.more_than_noise, f.name


def test_counts_get_no_interval() -> None:
    """Counts (arrivals, served, agents, ...) have a difference but never an interval."""
    a = [done("A001", 60), done("A002", 120)]
    b = [done("A001", 600), done("A002", 700), done("A003", 50)]
    c = compare_records(a, b, rng=rng(), replications=100)
    counts = [f for f in c.figures if f.kind is FigureKind.COUNT]
    assert {f.name for f in counts} >= {"arrivals", "served", "called", "no_shows", "rated", "agents"}
    for f in counts:
        assert f.low is None and f.high is None and not f.more_than_noise and f.defined == 0
    assert c.figure("served").difference == 1


def test_a_figure_undefined_on_one_side_has_no_interval() -> None:
    """No rating in A: satisfaction is None there, so no difference and no interval."""
    a = [done("A001", 60), done("A002", 120)]
    b = [done("A001", 60, rating=3), done("A002", 120, rating=1)]
    f = compare_records(a, b, rng=rng(), replications=100).figure("satisfaction_share")
    assert (f.a, f.b, f.difference, f.low, f.high) == (None, 0.5, None, None, None)


def test_rarely_defined_figure_has_no_interval() -> None:
    """Only one of 10 tickets in B is rated: a resample often has no rated transaction. The interval uses the
    replications where the figure is defined and says how many; satisfaction's is defined in about 65 % of them
    (1 - 0.9^10), rating rate always."""
    a = [done(f"A{i:03d}", 60, rating=3) for i in range(1, 11)]
    b = [done(f"A{i:03d}", 60, rating=(3 if i == 1 else None)) for i in range(1, 11)]
    c = compare_records(a, b, rng=rng(3), replications=1000)
    sat = c.figure("satisfaction_share")
    assert 550 < sat.defined < 750 and sat.low == sat.high == 0.0
    assert c.figure("rating_rate").defined == 1000


def test_seeded_generator_repeats_and_seed_matters() -> None:
    """The same seed gives the same comparison; another seed gives other intervals (same values)."""
    a = [done(f"A{i:03d}", w) for i, w in enumerate([30, 200, 650, 90, 400, 1000, 15], start=1)]
    b = [done(f"A{i:03d}", w) for i, w in enumerate([60, 20, 300, 900, 45, 120], start=1)]
    first = compare_records(a, b, rng=rng(11), replications=300)
    assert first == compare_records(a, b, rng=rng(11), replications=300)
    other = compare_records(a, b, rng=rng(12), replications=300)
    assert [f.difference for f in other.figures] == [f.difference for f in first.figures]
    assert other.figure("wait_mean_seconds").low != first.figure("wait_mean_seconds").low


def test_empty_side() -> None:
    """An empty A: its values are None (its counts 0) and nothing has an interval."""
    c = compare_records([], [done("A001", 60)], rng=rng(), replications=10)
    assert c.tickets_a == 0
    assert c.figure("arrivals").a == 0.0 and c.figure("arrivals").difference == 1.0
    assert all(f.low is None for f in c.figures)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"replications": 0}, "replications"),
        ({"replications": 2.5}, "replications"),
        ({"replications": True}, "replications"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0}, "confidence"),
    ],
)
def test_bad_arguments_name_the_field(kw: dict[str, object], field: str) -> None:
    with pytest.raises(CompareError) as exc:
        compare_records([], [], rng=rng(), **kw)  # type: ignore[arg-type]
    assert exc.value.field == field


def test_json_shape() -> None:
    c = compare_records([done("A001", 60)], [done("A001", 660)], rng=rng(), replications=10)
    d = comparison_as_dict(c)
    assert d["replications"] == 10
    wait = d["figures"]["wait_within_10min_share"]  # type: ignore[index]
    assert wait == {
        "kind": "share",
        "a": 1.0,
        "b": 0.0,
        "difference": -1.0,
        "low": -1.0,
        "high": -1.0,
        "defined": 10,
        "more_than_noise": True,
    }


# ------------------------------------------------------------------------------------------------ properties


def _resampled(history: list[TransactionRecord], sums: TicketSums, weights: list[int]) -> list[TransactionRecord]:
    """The rows of each ticket repeated ``weight`` times, each copy a ticket of its own (renamed)."""
    by_id: dict[object, list[TransactionRecord]] = {}
    for r in history:
        by_id.setdefault((r.ticket, r.issued_at.date()), []).append(r)
    out: list[TransactionRecord] = []
    for (ticket, day), w in zip(sums.ticket_ids, weights, strict=True):
        for copy in range(w):
            out += [dataclasses.replace(r, ticket=f"{ticket}#{copy}") for r in by_id[(ticket, day)]]
    return out


def _same(x: float, expected: object) -> bool:
    if expected is None:
        return math.isnan(x)
    return x == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(deadline=None, max_examples=60)
@given(histories(), st.data())
def test_ticket_sums_equal_compute_kpis_on_the_resampled_rows(
    history: list[TransactionRecord], data: st.DataObject
) -> None:
    """For any history and any resample (a weight per ticket), the bootstrap's figures equal compute_kpis on the
    rows of the resample, each drawn ticket a ticket of its own: the interval is of the KPIs' own definition.
    All-ones weights give the history's own figures."""
    complex_services = frozenset({"new"})
    sums = TicketSums(history, complex_services=complex_services)
    weights = data.draw(st.lists(st.integers(0, 3), min_size=sums.n, max_size=sums.n))
    for w in (weights, [1] * sums.n):
        got = sums.figures(np.array([w], dtype=np.float64))
        expected = kpis_as_dict(compute_kpis(_resampled(history, sums, w), complex_services=complex_services).total)
        for name in INTERVAL_FIGURES:
            assert _same(float(got[name][0]), expected[name]), (name, got[name][0], expected[name])


@settings(deadline=None, max_examples=40)
@given(histories(), histories(), st.integers(0, 2**32 - 1))
def test_interval_is_ordered_and_self_comparison_is_zero(
    a: list[TransactionRecord], b: list[TransactionRecord], seed: int
) -> None:
    """low <= high whenever there is an interval; flagged only when it excludes 0; comparing a set with itself
    gives a zero difference on every defined figure."""
    c = compare_records(a, b, rng=rng(seed), replications=50)
    for f in c.figures:
        if f.low is not None:
            assert f.high is not None and f.low <= f.high
            assert f.more_than_noise == (f.low > 0 or f.high < 0)
        else:
            assert not f.more_than_noise
    same = compare_records(a, a, rng=rng(seed), replications=20)
    assert all(f.difference in (None, 0.0) for f in same.figures)
