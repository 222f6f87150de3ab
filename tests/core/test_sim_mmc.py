"""The M/M/c(+M) simulator: validation against Erlang C and A, seeded regression values, reproducibility.

Validation design (the issue's rule: within 3 standard errors by batch means). Each run simulates
1,000,000 customers: 100,000 warm-up customers from an empty system are dropped and the other 900,000 are cut
into 20 batches of 45,000. Waits are correlated over a few thousand customers at 0.95 occupancy, so batches
of 45,000 are long enough for their means to be nearly independent. The standard errors this leaves (measured
with this seed; upper bounds are asserted below so that the 3-SE check cannot become toothless): mean wait
0.4–6.4%, P(wait) 0.2–0.8%, service level 0.2–2.2%, abandonment 0.4–1.2% of the value. The 9 runs of 1,000,000
take about 3 s on this 2-core machine (about 3 million customers/s per core). One fixed seed; the largest
deviation it gives is 1.5 SE. Each of the 28 comparisons at 3 SE with 19 degrees of freedom would miss by
chance about 0.7% of the time for a random seed.
"""

from __future__ import annotations

import random

import pytest

from hallops.core.queueing import Load, QueueingError, performance
from hallops.core.sim.mmc import MMCModel, simulate_mmc

VALIDATION_CUSTOMERS = 1_000_000
SEED = 2026
TARGET = 0.25  # service level threshold, in mean service times

# (servers, occupancy = λ·h/c); mean service time 1
VALIDATION = [(2, 0.7), (5, 0.8), (10, 0.9), (20, 0.95)]


def within_3_se(simulated: float, se: float, theory: float) -> bool:
    return abs(simulated - theory) <= 3.0 * se


@pytest.mark.parametrize(("servers", "occupancy"), VALIDATION)
def test_mmc_matches_erlang_c(servers: int, occupancy: float) -> None:
    """M/M/c: simulated mean wait, P(wait) and P(wait ≤ 0.25 h) are each within 3 batch-means standard
    errors of Erlang C, and those standard errors are small (mean wait < 10%, the others < 3%)."""
    model = MMCModel(arrival_rate=occupancy * servers, mean_service=1.0, servers=servers)
    result = simulate_mmc(model, customers=VALIDATION_CUSTOMERS, seed=SEED, target_wait=TARGET)
    theory = performance(Load(model.arrival_rate, 1.0), servers, TARGET)
    assert result.service_level is not None and theory.service_level is not None
    checks = [
        ("mean wait", result.mean_wait.mean, result.mean_wait.se, theory.mean_wait, 0.10),
        ("P(wait)", result.p_wait.mean, result.p_wait.se, theory.p_wait, 0.03),
        ("service level", result.service_level.mean, result.service_level.se, theory.service_level, 0.03),
    ]
    for name, simulated, se, expected, max_relative_se in checks:
        assert 0.0 < se < max_relative_se * expected, (name, se)
        assert within_3_se(simulated, se, expected), (name, simulated, se, expected)
    assert result.abandoned == 0


@pytest.mark.parametrize(("servers", "occupancy"), VALIDATION)
def test_mmc_with_patience_matches_erlang_a(servers: int, occupancy: float) -> None:
    """M/M/c+M with mean patience 2 h: simulated abandonment, and also mean wait, P(wait) and service
    level, are each within 3 batch-means standard errors of Erlang A, with standard errors below 2%."""
    model = MMCModel(arrival_rate=occupancy * servers, mean_service=1.0, servers=servers, mean_patience=2.0)
    result = simulate_mmc(model, customers=VALIDATION_CUSTOMERS, seed=SEED, target_wait=TARGET)
    theory = performance(Load(model.arrival_rate, 1.0, 2.0), servers, TARGET)
    assert result.service_level is not None and theory.service_level is not None
    checks = [
        ("abandonment", result.abandonment.mean, result.abandonment.se, theory.abandonment),
        ("mean wait", result.mean_wait.mean, result.mean_wait.se, theory.mean_wait),
        ("P(wait)", result.p_wait.mean, result.p_wait.se, theory.p_wait),
        ("service level", result.service_level.mean, result.service_level.se, theory.service_level),
    ]
    for name, simulated, se, expected in checks:
        assert 0.0 < se < 0.02 * expected, (name, se)
        assert within_3_se(simulated, se, expected), (name, simulated, se, expected)


def test_the_3_se_check_detects_a_2_percent_load_error() -> None:
    """The tolerance is tight enough to matter: at 0.9 occupancy, Erlang C for a 2% higher arrival rate
    is more than 3 standard errors from the simulated P(wait) and service level."""
    model = MMCModel(arrival_rate=9.0, mean_service=1.0, servers=10)
    result = simulate_mmc(model, customers=VALIDATION_CUSTOMERS, seed=SEED, target_wait=TARGET)
    wrong = performance(Load(9.0 * 1.02, 1.0), 10, TARGET)
    assert result.service_level is not None and wrong.service_level is not None
    assert not within_3_se(result.p_wait.mean, result.p_wait.se, wrong.p_wait)
    assert not within_3_se(result.service_level.mean, result.service_level.se, wrong.service_level)


# --- seeded regression values ------------------------------------------------------------------------------


def test_seeded_mmc_regression() -> None:
    """Seed 7, M/M/3 at 0.8 occupancy, 10,000 customers: these exact counts and means (recorded from this
    implementation; a change to the random stream or the loop changes them)."""
    result = simulate_mmc(
        MMCModel(arrival_rate=2.4, mean_service=1.0, servers=3), customers=10_000, seed=7, target_wait=0.5
    )
    assert (result.customers, result.warmup, result.measured, result.batches) == (10_000, 1_000, 9_000, 20)
    assert (result.waited, result.abandoned, result.within_target) == (5768, 0, 4890)
    assert result.mean_wait.mean == pytest.approx(0.9783937543891176, rel=1e-12)
    assert result.mean_wait.se == pytest.approx(0.09984691101151504, rel=1e-12)
    assert result.end_time == pytest.approx(4153.291963346578, rel=1e-12)


def test_seeded_mmc_with_patience_regression() -> None:
    """Seed 11, M/M/4+M at offered occupancy 1.1 (overloaded; patience keeps it stable), 10,000
    customers, warm-up 500, 10 batches: these exact counts and means."""
    model = MMCModel(arrival_rate=4.4, mean_service=1.0, servers=4, mean_patience=0.5)
    result = simulate_mmc(model, customers=10_000, seed=11, target_wait=0.1, warmup=500, batches=10)
    assert (result.measured, result.batches) == (9_500, 10)
    assert (result.waited, result.abandoned, result.within_target) == (5507, 2711, 4786)
    assert result.abandonment.mean == pytest.approx(2711 / 9500, rel=1e-15)
    assert result.mean_wait.mean == pytest.approx(0.13835835461393015, rel=1e-12)
    assert result.abandonment.se == pytest.approx(0.008958644425442974, rel=1e-12)


# --- behaviour ---------------------------------------------------------------------------------------------


def test_same_seed_same_result_other_seed_other_result() -> None:
    """A seed fixes the whole run; another seed gives another run."""
    model = MMCModel(arrival_rate=4.0, mean_service=1.0, servers=5, mean_patience=3.0)
    first = simulate_mmc(model, customers=5_000, seed=3, target_wait=1.0)
    assert simulate_mmc(model, customers=5_000, seed=3, target_wait=1.0) == first
    assert simulate_mmc(model, customers=5_000, seed=4, target_wait=1.0) != first


def test_no_global_random_state() -> None:
    """The simulator neither reads nor changes the module-level random generator."""
    model = MMCModel(arrival_rate=2.0, mean_service=1.0, servers=3)
    random.seed(1)
    state = random.getstate()
    first = simulate_mmc(model, customers=2_000, seed=5)
    assert random.getstate() == state
    random.seed(99)
    assert simulate_mmc(model, customers=2_000, seed=5) == first


def test_counts_add_up() -> None:
    """Warm-up defaults to a tenth; batches share the measured customers; means are the count ratios;
    nobody waits when servers far outnumber the load (and then every standard error is 0)."""
    result = simulate_mmc(
        MMCModel(arrival_rate=0.01, mean_service=1.0, servers=50), customers=1_234, seed=1, target_wait=0.0
    )
    assert (result.warmup, result.measured) == (123, 1_111)
    assert result.waited == 0 and result.p_wait.mean == 0.0 and result.p_wait.se == 0.0
    assert result.service_level is not None and result.service_level.mean == 1.0
    busy = simulate_mmc(MMCModel(arrival_rate=2.7, mean_service=1.0, servers=3), customers=3_000, seed=2)
    assert busy.p_wait.mean == pytest.approx(busy.waited / busy.measured, rel=1e-15)
    assert busy.service_level is None and busy.within_target is None


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: MMCModel(0.0, 1.0, 1), "arrival_rate"),
        (lambda: MMCModel(1.0, float("inf"), 1), "mean_service"),
        (lambda: MMCModel(1.0, 1.0, 0), "servers"),
        (lambda: MMCModel(1.0, 1.0, 1, -2.0), "mean_patience"),
        (lambda: simulate_mmc(MMCModel(1.0, 2.0, 3), customers=0, seed=1), "customers"),
        (lambda: simulate_mmc(MMCModel(1.0, 2.0, 3), customers=10, seed=1), "customers"),
        (lambda: simulate_mmc(MMCModel(1.0, 2.0, 3), customers=100, seed=1, batches=1), "batches"),
        (lambda: simulate_mmc(MMCModel(1.0, 2.0, 3), customers=100, seed=1, warmup=-1), "warmup"),
        (lambda: simulate_mmc(MMCModel(1.0, 2.0, 3), customers=100, seed=1, target_wait=-1.0), "target_wait"),
    ],
)
def test_bad_input_names_the_field(call: object, field: str) -> None:
    """Invalid models and run settings raise a QueueingError (a ValueError) naming the field."""
    assert callable(call)
    with pytest.raises(QueueingError) as caught:
        call()
    assert caught.value.field == field
