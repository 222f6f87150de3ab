"""The hall model against queueing theory: configured as plain M/M/c (one business type, no triage, first come
first served, exponential service) it must agree with Erlang C, and with exponential patience with Erlang A.

This runs the full four-zone engine (:func:`hallops.core.sim.hall.simulate_day`: the live queue policy, the
event loop, the counters), not the specialised loop of ``simulate mmc``. One long period of constant load; the
first tenth of the customers (from an empty hall) is dropped and the rest cut into 20 batches in arrival order;
each figure must lie within 3 batch-means standard errors of theory, and the standard errors are bounded so
that the check keeps its teeth. Customers: 300,000 at occupancy 0.9 and 0.95 for Erlang C (the mean wait's
standard error there is about 5% and 8%), 100,000 elsewhere; about 1 to 3 s per case on this machine. With
seed 2026 the largest deviation is about 1.1 standard errors.
"""

from __future__ import annotations

from functools import cache

import pytest

from hallops.core.queueing import Load, performance
from hallops.core.sim.hall import batch_estimate, simulate_day, steady_scenario

SEED = 2026
TARGET_MINUTES = 0.25  # the service level's threshold, in mean service times

ERLANG_C = [(2, 0.7, 100_000), (5, 0.8, 150_000), (10, 0.9, 300_000), (20, 0.95, 300_000)]
ERLANG_A = [(2, 0.7), (5, 0.8), (10, 0.9), (20, 0.95)]


@cache
def _figures(servers: int, occupancy: float, customers: int, patience: float | None) -> dict[str, tuple[float, float]]:
    """(mean, batch-means SE) of the wait in minutes (to the call, or to abandoning), P(wait > 0), the service
    level (called within the target) and abandonment, per arriving customer after the warm-up."""
    sc = steady_scenario(
        arrival_rate_per_minute=occupancy * servers,
        mean_service_minutes=1.0,
        servers=servers,
        customers=customers,
        mean_patience_minutes=patience,
    )
    waits, abandoned = simulate_day(sc, seed=SEED).customer_waits()
    skip = len(waits) // 10
    waits, abandoned = waits[skip:], abandoned[skip:]
    series = {
        "mean_wait": [w / 60.0 for w in waits],
        "p_wait": [1.0 if w > 0 else 0.0 for w in waits],
        "service_level": [
            1.0 if w <= TARGET_MINUTES * 60 and not a else 0.0 for w, a in zip(waits, abandoned, strict=True)
        ],
        "abandonment": [1.0 if a else 0.0 for a in abandoned],
    }
    out = {}
    for name, values in series.items():
        est = batch_estimate(values, 20)
        out[name] = (est.mean, est.se)
    return out


@pytest.mark.parametrize(("servers", "occupancy", "customers"), ERLANG_C)
def test_hall_as_mmc_matches_erlang_c(servers: int, occupancy: float, customers: int) -> None:
    """M/M/c: the hall model's mean wait, P(wait) and P(wait ≤ 0.25 h) are each within 3 batch-means standard
    errors of Erlang C; the standard errors are below 10% (mean wait) and 5% (the others); nobody abandons."""
    figures = _figures(servers, occupancy, customers, None)
    theory = performance(Load(occupancy * servers, 1.0), servers, TARGET_MINUTES)
    assert theory.service_level is not None
    for name, expected, max_se in (
        ("mean_wait", theory.mean_wait, 0.10),
        ("p_wait", theory.p_wait, 0.05),
        ("service_level", theory.service_level, 0.05),
    ):
        mean, se = figures[name]
        assert 0.0 < se < max_se * expected, (name, se)
        assert abs(mean - expected) <= 3 * se, (name, mean, se, expected)
    assert figures["abandonment"][0] == 0.0


@pytest.mark.parametrize(("servers", "occupancy"), ERLANG_A)
def test_hall_with_exponential_patience_matches_erlang_a(servers: int, occupancy: float) -> None:
    """M/M/c+M with mean patience 2 h: abandonment, mean wait (over all arrivals, abandoners to the moment they
    leave), P(wait) and service level are each within 3 batch-means standard errors of Erlang A, with
    standard errors below 3%."""
    figures = _figures(servers, occupancy, 100_000, 2.0)
    theory = performance(Load(occupancy * servers, 1.0, 2.0), servers, TARGET_MINUTES)
    assert theory.service_level is not None
    for name, expected in (
        ("abandonment", theory.abandonment),
        ("mean_wait", theory.mean_wait),
        ("p_wait", theory.p_wait),
        ("service_level", theory.service_level),
    ):
        mean, se = figures[name]
        assert 0.0 < se < 0.03 * expected, (name, se)
        assert abs(mean - expected) <= 3 * se, (name, mean, se, expected)


def test_the_3_se_check_detects_a_3_percent_load_error() -> None:
    """The tolerance matters: at occupancy 0.9, Erlang C for a 3% higher arrival rate is more than 3 standard
    errors from the hall model's P(wait) and service level (the run is the Erlang C case's, cached)."""
    figures = _figures(10, 0.9, 300_000, None)
    wrong = performance(Load(9.0 * 1.03, 1.0), 10, TARGET_MINUTES)
    assert wrong.service_level is not None
    for name, expected in (("p_wait", wrong.p_wait), ("service_level", wrong.service_level)):
        mean, se = figures[name]
        assert abs(mean - expected) > 3 * se, name
