"""Erlang B, C and A: exact cases against independent computations, and invariants with Hypothesis.

The independent computations here are deliberately slow and simple: Erlang B and C from their definitions in
exact rational arithmetic (``fractions.Fraction``), Erlang C's wait distribution from the stationary queue
length, and Erlang A from the birth–death chain of the number in system (truncated where the tail is below
1e−22) and, for the service level, from the tagged customer's own absorbing chain solved by uniformisation.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.core.queueing import (
    Load,
    Performance,
    QueueingError,
    Targets,
    TargetUnreachableError,
    UnstableError,
    erlang_b,
    erlang_c,
    performance,
    performance_many,
    staffing,
    staffing_many,
)

# --- independent reference computations ------------------------------------------------------------------


def exact_erlang_b(n: int, load: Fraction) -> Fraction:
    terms = [load**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(n: int, load: Fraction) -> Fraction:
    top = load**n / math.factorial(n) * n / (n - load)
    return top / (sum(load**k / math.factorial(k) for k in range(n)) + top)


def birth_death(lam: float, service: float, n: int, patience: float | None) -> list[float]:
    """Stationary P(k in system) of M/M/n(+M), truncated where the tail is negligible."""
    mu = 1.0 / service
    theta = 0.0 if patience is None else 1.0 / patience
    probs = [1.0]
    k = 0
    while True:
        k += 1
        probs.append(probs[-1] * lam / (min(k, n) * mu + max(k - n, 0) * theta))
        if k > n and probs[-1] < 1e-22 * sum(probs):
            break
    total = sum(probs)
    return [p / total for p in probs]


def chain_figures(lam: float, service: float, n: int, patience: float) -> tuple[float, float, float]:
    """(P(wait), abandonment, mean wait) of M/M/n+M from the chain: abandonment = θ·Lq/λ, wait = Lq/λ."""
    probs = birth_death(lam, service, n, patience)
    queue = sum((k - n) * p for k, p in enumerate(probs) if k > n)
    return sum(probs[n:]), queue / (patience * lam), queue / lam


def chain_service_level(lam: float, service: float, n: int, patience: float, target: float) -> float:
    """P(served within target): an arrival that finds j ahead is served once j+1 places free up (rate
    nμ + kθ with k ahead) before its own patience runs out (rate θ); solved by uniformisation."""
    mu, theta = 1.0 / service, 1.0 / patience
    probs = birth_death(lam, service, n, patience)
    ahead = probs[n:]
    fast = n * mu + len(ahead) * theta + theta
    state = list(ahead)
    served_after = 0.0
    weight = math.exp(-fast * target)  # Poisson(fast·t) probability of `steps` uniformised jumps
    level = 0.0
    steps = 0
    while steps < fast * target or weight > 1e-18:
        level += weight * served_after
        moved = [0.0] * len(state)
        for j, p in enumerate(state):
            down = (n * mu + j * theta) / fast
            moved[j] += p * (1.0 - down - theta / fast)
            if j == 0:
                served_after += p * down
            else:
                moved[j - 1] += p * down
        state = moved
        steps += 1
        weight *= fast * target / steps
    return sum(probs[:n]) + level + weight * served_after


# --- Erlang B and C: exact cases -------------------------------------------------------------------------


def test_erlang_b_by_hand() -> None:
    """B(1, 1) = 1/2, B(2, 1) = (1/2)/(1 + 1 + 1/2) = 1/5, B(0, A) = 1, and no load blocks nobody."""
    assert erlang_b(1, 1.0) == pytest.approx(0.5, rel=1e-15)
    assert erlang_b(2, 1.0) == pytest.approx(0.2, rel=1e-15)
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(4, 0.0) == 0.0


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 21, 34])
@pytest.mark.parametrize("load", [Fraction(1, 10), Fraction(1), Fraction(5, 2), Fraction(7), Fraction(30)])
def test_erlang_b_matches_exact_fractions(n: int, load: Fraction) -> None:
    """The recurrence agrees with A^n/n! / Σ A^k/k! computed in exact fractions to 1e−13."""
    assert erlang_b(n, float(load)) == pytest.approx(float(exact_erlang_b(n, load)), rel=1e-13, abs=1e-300)


def test_erlang_c_by_hand() -> None:
    """M/M/2 with 1 erlang: C = 0.2 / (1 − 0.5·0.8) = 1/3; M/M/1: C = ρ and mean wait ρ/(μ − λ)."""
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-15)
    mm1 = performance(Load(arrival_rate=0.6, service_time=1.0), 1)
    assert mm1.p_wait == pytest.approx(0.6, rel=1e-15)
    assert mm1.mean_wait == pytest.approx(0.6 / 0.4, rel=1e-15)
    assert mm1.occupancy == pytest.approx(0.6, rel=1e-15)
    assert mm1.abandonment == 0.0 and mm1.service_level is None


@pytest.mark.parametrize(
    ("n", "load"), [(1, Fraction(1, 2)), (3, Fraction(5, 2)), (10, Fraction(8)), (30, Fraction(29))]
)
def test_erlang_c_matches_exact_fractions(n: int, load: Fraction) -> None:
    """Erlang C agrees with its definition in exact fractions, and mean wait = C/(nμ − λ)."""
    exact = float(exact_erlang_c(n, load))
    assert erlang_c(n, float(load)) == pytest.approx(exact, rel=1e-13)
    perf = performance(Load(arrival_rate=float(load) / 2, service_time=2.0), n)
    assert perf.p_wait == pytest.approx(exact, rel=1e-13)
    assert perf.mean_wait == pytest.approx(exact / (n / 2 - float(load) / 2), rel=1e-13)


@pytest.mark.parametrize(("lam", "n", "target"), [(0.5, 1, 1.0), (2.5, 3, 0.4), (9.0, 10, 0.25), (45.0, 50, 0.1)])
def test_erlang_c_service_level_from_queue_lengths(lam: float, n: int, target: float) -> None:
    """P(wait ≤ t) = 1 − Σ_j π(n+j)·P(Erlang(j+1, nμ) > t), summed from the stationary queue lengths."""
    probs = birth_death(lam, 1.0, n, None)
    rate_t = n * target
    late = 0.0
    term = math.exp(-rate_t)  # Poisson(nμt) probability of i completions, i = j
    within_j = term  # P(at most j completions by t)
    for j, p in enumerate(probs[n:]):
        if j > 0:
            term *= rate_t / j
            within_j += term
        late += p * within_j
    level = performance(Load(lam, 1.0), n, target).service_level
    assert level == pytest.approx(1.0 - late, rel=1e-11)


def test_unstable_erlang_c_is_an_error_naming_servers() -> None:
    """Occupancy ≥ 1 without patience raises UnstableError (a ValueError) for the field 'servers'."""
    with pytest.raises(UnstableError) as caught:
        performance(Load(arrival_rate=10.0, service_time=1.0), 10)
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "servers"
    assert "unstable" in str(caught.value)
    with pytest.raises(UnstableError):
        erlang_c(3, 3.5)


# --- Erlang A: exact cases -------------------------------------------------------------------------------

ERLANG_A_CASES = [
    # (arrival rate, service time, servers, patience)
    (1.0, 1.0, 1, 1.0),
    (2.0, 1.0, 3, 0.5),
    (9.0, 1.0, 10, 3.0),
    (50.0, 0.2, 8, 0.1),
    (100.0, 1.0, 90, 2.0),
    (10.0, 1.0, 12, 100.0),
    (30.0, 1.0, 20, 0.7),
    (0.5, 1.0, 1, 1000.0),
]


@pytest.mark.parametrize(("lam", "service", "n", "patience"), ERLANG_A_CASES)
def test_erlang_a_matches_birth_death_chain(lam: float, service: float, n: int, patience: float) -> None:
    """P(wait), abandonment and mean wait agree with the truncated birth–death chain to 1e−11."""
    p_wait, abandonment, mean_wait = chain_figures(lam, service, n, patience)
    perf = performance(Load(lam, service, patience), n)
    assert perf.p_wait == pytest.approx(p_wait, rel=1e-11)
    assert perf.abandonment == pytest.approx(abandonment, rel=1e-11)
    assert perf.mean_wait == pytest.approx(mean_wait, rel=1e-11)
    assert perf.occupancy == pytest.approx(lam * service * (1 - abandonment) / n, rel=1e-11)


@pytest.mark.parametrize(("lam", "service", "n", "patience"), ERLANG_A_CASES[:7])
@pytest.mark.parametrize("target", [0.0, 0.2, 1.0])
def test_erlang_a_service_level_matches_tagged_customer_chain(
    lam: float, service: float, n: int, patience: float, target: float
) -> None:
    """P(served and wait ≤ t) agrees with the tagged customer's chain solved by uniformisation to 1e−11."""
    expected = chain_service_level(lam, service, n, patience, target)
    assert performance(Load(lam, service, patience), n, target).service_level == pytest.approx(expected, rel=1e-11)


@pytest.mark.parametrize(("load", "n"), [(1.0, 1), (7.0, 5), (20.0, 25), (3.0, 12)])
def test_erlang_a_with_patience_equal_to_service_is_poisson(load: float, n: int) -> None:
    """With θ = μ every customer leaves at rate μ whether served or not, so the number in system is
    Poisson(A): P(wait) = P(N ≥ n) and abandonment = E[(N − n)+]/A, in closed form."""
    pmf = [math.exp(-load) * load**k / math.factorial(k) for k in range(n)]
    tail = 1.0 - math.fsum(pmf)
    # E[(N − n)+] = E[N] − n + Σ_{k<n} (n − k) P(N = k)
    excess = load - n + math.fsum((n - k) * p for k, p in enumerate(pmf))
    perf = performance(Load(arrival_rate=load, service_time=1.0, patience=1.0), n)
    assert perf.p_wait == pytest.approx(tail, rel=1e-12)
    assert perf.abandonment == pytest.approx(excess / load, rel=1e-11)


def test_no_arrivals_no_wait() -> None:
    """Zero arrivals: nobody waits or abandons, the service level is 1 and staffing needs 0 servers."""
    for patience in (None, 2.0):
        perf = performance(Load(0.0, 3.0, patience), 2, 1.0)
        assert (perf.p_wait, perf.mean_wait, perf.abandonment, perf.occupancy, perf.service_level) == (
            0.0,
            0.0,
            0.0,
            0.0,
            1.0,
        )
        assert staffing(Load(0.0, 3.0, patience), Targets(target_wait=1.0, service_level=0.8)).servers == 0


# --- staffing --------------------------------------------------------------------------------------------


def test_staffing_textbook_case() -> None:
    """100 calls/h, 5 min handling (8.33 erlangs), 80% within 30 s (Erlang C, checked with exact fractions):
    10 agents give 58.7%, 11 give 77.1%, 12 give 87.8%, so the answer is 12."""
    load = Load(arrival_rate=100 / 60, service_time=5.0)
    assert performance(load, 10, 0.5).service_level == pytest.approx(0.5872, abs=1e-4)
    assert performance(load, 11, 0.5).service_level == pytest.approx(0.7705, abs=1e-4)
    result = staffing(load, Targets(target_wait=0.5, service_level=0.8))
    assert result.servers == 12
    assert result.service_level == pytest.approx(0.8780, abs=1e-4)
    assert result.service_level is not None and result.service_level >= 0.8


def test_staffing_abandonment_target_binds() -> None:
    """With patience, a tight abandonment cap can need more agents than the service level alone."""
    load = Load(arrival_rate=100 / 60, service_time=5.0, patience=1.0)
    by_level = staffing(load, Targets(target_wait=0.5, service_level=0.8))
    both = staffing(load, Targets(target_wait=0.5, service_level=0.8, max_abandonment=0.001))
    assert both.servers > by_level.servers
    assert both.abandonment <= 0.001 < performance(load, both.servers - 1).abandonment


def test_staffing_unreachable_is_an_error() -> None:
    """Needing more servers than the search limit raises TargetUnreachableError naming 'servers'."""
    with pytest.raises(TargetUnreachableError) as caught:
        staffing(Load(1000.0, 1.0), Targets(max_mean_wait=0.01), max_servers=500)
    assert caught.value.field == "servers"
    with pytest.raises(TargetUnreachableError):
        staffing(Load(1000.0, 1.0, 1.0), Targets(max_abandonment=0.01), max_servers=500)


def test_many_is_one_per_interval() -> None:
    """performance_many and staffing_many give, interval by interval, what the single calls give."""
    loads = [Load(0.0, 4.0), Load(1.5, 4.0), Load(3.0, 4.0, 6.0), Load(0.2, 4.0, 2.0)]
    targets = Targets(target_wait=1.0, service_level=0.8, max_abandonment=0.05)
    staffed = staffing_many(loads, targets)
    assert staffed == [staffing(load, targets) for load in loads]
    servers = [max(1, s.servers) for s in staffed]
    expected = [performance(lo, n, 1.0) for lo, n in zip(loads, servers, strict=True)]
    assert performance_many(loads, servers, 1.0) == expected
    with pytest.raises(QueueingError) as caught:
        performance_many(loads, servers[:2])
    assert caught.value.field == "servers"


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Load(-1.0, 1.0), "arrival_rate"),
        (lambda: Load(1.0, 0.0), "service_time"),
        (lambda: Load(1.0, 1.0, math.inf), "patience"),
        (lambda: performance(Load(1.0, 1.0), 0), "servers"),
        (lambda: performance(Load(1.0, 1.0), 2, -1.0), "target_wait"),
        (lambda: Targets(service_level=0.8), "target_wait"),
        (lambda: Targets(target_wait=1.0, service_level=1.0), "service_level"),
        (lambda: Targets(max_abandonment=0.0), "max_abandonment"),
        (lambda: Targets(target_wait=1.0), "service_level"),
        (lambda: erlang_b(-1, 1.0), "servers"),
        (lambda: erlang_b(2, float("nan")), "offered_load"),
    ],
)
def test_bad_input_names_the_field(make: object, field: str) -> None:
    """Each invalid argument raises a QueueingError (a ValueError) whose ``field`` names it."""
    assert callable(make)
    with pytest.raises(QueueingError) as caught:
        make()
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == field


# --- properties ------------------------------------------------------------------------------------------

servers_small = st.integers(1, 60)
occupancy = st.floats(0.01, 0.99)


@given(n=servers_small, load=st.floats(0.0, 200.0))
def test_erlang_b_is_a_probability_falling_in_servers(n: int, load: float) -> None:
    """0 ≤ B ≤ 1, and one more server never blocks more."""
    b = erlang_b(n, load)
    assert 0.0 <= b <= 1.0
    assert erlang_b(n + 1, load) <= b


@given(n=servers_small, load=st.floats(0.0, 100.0), extra=st.floats(0.0, 10.0))
def test_erlang_b_rises_with_load(n: int, load: float, extra: float) -> None:
    """More offered load never blocks less."""
    assert erlang_b(n, load + extra) >= erlang_b(n, load)


@given(n=servers_small, rho=occupancy, target=st.floats(0.0, 5.0))
def test_erlang_c_properties(n: int, rho: float, target: float) -> None:
    """B ≤ C ≤ 1; one more server lowers P(wait) and mean wait and raises the service level."""
    load = Load(arrival_rate=rho * n, service_time=1.0)
    here, more = performance(load, n, target), performance(load, n + 1, target)
    assert erlang_b(n, rho * n) <= here.p_wait <= 1.0
    assert more.p_wait <= here.p_wait and more.mean_wait <= here.mean_wait
    assert here.service_level is not None and more.service_level is not None
    assert 0.0 <= here.service_level <= more.service_level <= 1.0


@given(n=servers_small, rho=st.floats(0.01, 0.98), step=st.floats(0.001, 0.2))
def test_erlang_c_rises_with_load(n: int, rho: float, step: float) -> None:
    """More traffic on the same servers never lowers P(wait) (while stable)."""
    higher = min(rho + step, 0.99)
    assert erlang_c(n, higher * n) >= erlang_c(n, rho * n)


patience_factor = st.floats(0.02, 50.0)


@given(n=servers_small, rho=st.floats(0.01, 3.0), patience=patience_factor, target=st.floats(0.0, 5.0))
def test_erlang_a_figures_are_consistent(n: int, rho: float, patience: float, target: float) -> None:
    """All shares lie in [0, 1]; abandonment ≤ P(wait); service level ≤ 1 − abandonment; mean wait =
    abandonment × patience; at t = 0 the service level is 1 − P(wait)."""
    load = Load(arrival_rate=rho * n, service_time=1.0, patience=patience)
    perf = performance(load, n, target)
    assert perf.service_level is not None
    assert 0.0 <= perf.abandonment <= perf.p_wait <= 1.0
    assert 0.0 <= perf.service_level <= 1.0 - perf.abandonment + 1e-12
    assert perf.mean_wait == pytest.approx(perf.abandonment * patience, rel=1e-12)
    assert 0.0 <= perf.occupancy <= 1.0
    at_zero = performance(load, n, 0.0).service_level
    assert at_zero == pytest.approx(1.0 - perf.p_wait, abs=1e-12)


@given(n=servers_small, rho=st.floats(0.01, 3.0), patience=patience_factor, target=st.floats(0.0, 5.0))
def test_erlang_a_improves_with_each_server(n: int, rho: float, patience: float, target: float) -> None:
    """One more server never raises P(wait), abandonment or mean wait, nor lowers the service level (up to
    the documented absolute accuracy of the service level, 1e−11)."""
    load = Load(arrival_rate=rho * n, service_time=1.0, patience=patience)
    here, more = performance(load, n, target), performance(load, n + 1, target)
    assert here.service_level is not None and more.service_level is not None
    assert more.p_wait <= here.p_wait * (1 + 1e-12)
    assert more.abandonment <= here.abandonment * (1 + 1e-12)
    assert more.service_level >= here.service_level - 1e-11


@given(n=servers_small, rho=st.floats(0.01, 3.0), patience=patience_factor, step=st.floats(0.01, 1.0))
def test_erlang_a_worsens_with_load(n: int, rho: float, patience: float, step: float) -> None:
    """More arrivals on the same servers never lower P(wait) or abandonment."""
    low = performance(Load(rho * n, 1.0, patience), n)
    high = performance(Load((rho + step) * n, 1.0, patience), n)
    assert high.p_wait >= low.p_wait * (1 - 1e-12)
    assert high.abandonment >= low.abandonment * (1 - 1e-12)


@given(n=st.integers(1, 200), rho=st.floats(0.05, 0.95), target=st.floats(0.0, 3.0))
def test_erlang_a_tends_to_erlang_c(n: int, rho: float, target: float) -> None:
    """With patience a million times the service time, Erlang A's figures are Erlang C's within 1e−3
    (relative) and abandonment is below 1e−4."""
    c = performance(Load(rho * n, 1.0), n, target)
    a = performance(Load(rho * n, 1.0, 1e6), n, target)
    assert a.p_wait == pytest.approx(c.p_wait, rel=1e-3, abs=1e-300)
    assert a.mean_wait == pytest.approx(c.mean_wait, rel=1e-3, abs=1e-300)
    assert a.service_level == pytest.approx(c.service_level, rel=1e-3)
    assert a.abandonment < 1e-4


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 5000), rho=st.floats(0.001, 2.0), patience=st.one_of(st.none(), st.floats(0.01, 1000.0)))
def test_stable_from_1_to_5000_servers(n: int, rho: float, patience: float | None) -> None:
    """From 1 to 5,000 servers every figure is finite and every share lies in [0, 1] (no overflow)."""
    if patience is None and rho >= 1.0:
        rho = 0.999
    perf = performance(Load(rho * n, 1.0, patience), n, 0.1)
    assert perf.service_level is not None
    for share in (perf.p_wait, perf.service_level, perf.abandonment, perf.occupancy):
        assert 0.0 <= share <= 1.0
    assert math.isfinite(perf.mean_wait) and perf.mean_wait >= 0.0


def test_extremes_at_5000_servers() -> None:
    """5,000 servers: 1 erlang gives B = 0 (underflow, truly ~1e−16326) and no wait; 4,999 erlangs wait
    nearly always; Erlang A far over capacity abandons 1 − 5000/A of the arrivals (carried load = servers)."""
    assert erlang_b(5000, 1.0) == 0.0
    assert performance(Load(1.0, 1.0), 5000, 0.0).p_wait == 0.0
    assert 0.9 < performance(Load(4999.0, 1.0), 5000).p_wait < 1.0
    over = performance(Load(50_000.0, 1.0, 1.0), 5000)
    assert over.abandonment == pytest.approx(0.9, rel=1e-6)
    assert over.occupancy == pytest.approx(1.0, rel=1e-6)


target_sets = (
    st.tuples(
        st.one_of(st.none(), st.floats(0.05, 0.99)),
        st.one_of(st.none(), st.floats(0.01, 3.0)),
        st.one_of(st.none(), st.floats(0.001, 0.5)),
    )
    .filter(lambda values: any(v is not None for v in values))
    .map(lambda values: Targets(0.5, *values))
)


def feasible(load: Load, n: int, targets: Targets) -> bool:
    try:
        perf: Performance = performance(load, n, targets.target_wait)
    except UnstableError:
        return False
    return targets.met_by(perf)


@settings(deadline=None)
@given(
    arrivals=st.floats(0.05, 30.0),
    patience=st.one_of(st.none(), st.floats(0.05, 20.0)),
    targets=target_sets,
)
def test_staffing_is_the_smallest_feasible_count(arrivals: float, patience: float | None, targets: Targets) -> None:
    """The staffing answer meets every target, and no smaller count (checked one by one from 1) does."""
    load = Load(arrivals, 1.0, patience)
    result = staffing(load, targets)
    assert result == performance(load, result.servers, targets.target_wait)
    assert targets.met_by(result)
    assert not any(feasible(load, n, targets) for n in range(1, result.servers))
