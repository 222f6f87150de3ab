"""The wait estimator."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.estimate import WaitInput, estimate_wait_seconds, mean_service_seconds

durations = st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), max_size=30)
busy = st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), max_size=5)


def test_no_open_server_gives_none() -> None:
    """With no open counter there is no estimate."""
    assert estimate_wait_seconds(WaitInput(ahead_service_seconds=[60.0], open_servers=0)) is None


def test_two_servers_three_ahead() -> None:
    """2 idle counters, 3 tickets of 300 s ahead: the third starts at 0, so a counter is free at 300."""
    assert estimate_wait_seconds(WaitInput([300.0, 300.0, 300.0], open_servers=2)) == 300


def test_one_busy_server() -> None:
    """1 counter busy for 120 s more, 2 tickets of 60 s ahead: 120 + 60 + 60 = 240."""
    assert estimate_wait_seconds(WaitInput([60.0, 60.0], 1, busy_remaining_seconds=[120.0])) == 240


def test_missing_busy_counters_are_free() -> None:
    """3 counters, one busy for 500 s, 2 tickets of 100 s: the two free counters take them, free at 100."""
    assert estimate_wait_seconds(WaitInput([100.0, 100.0], 3, busy_remaining_seconds=[500.0])) == 100


def test_greedy_assigns_to_earliest_free() -> None:
    """Busy 50 and 200; tickets 100, 100: both go to the first counter (50→150→250), answer 200."""
    assert estimate_wait_seconds(WaitInput([100.0, 100.0], 2, busy_remaining_seconds=[50.0, 200.0])) == 200


def test_rounds_up_to_whole_seconds() -> None:
    """Fractional results round up: 1 counter, 10.2 s ahead → 11."""
    assert estimate_wait_seconds(WaitInput([10.2], 1)) == 11


def test_float_noise_does_not_round_up() -> None:
    """Sums like 0.1 + 0.2 + 0.7 that are 1.0 up to float noise give 1, not 2."""
    assert estimate_wait_seconds(WaitInput([0.1, 0.2, 0.7], 1)) == 1


def test_overrunning_transaction_counts_as_free_now() -> None:
    """A negative remaining time (overrun) is treated as 0."""
    assert estimate_wait_seconds(WaitInput([30.0], 1, busy_remaining_seconds=[-20.0])) == 30


def test_more_busy_than_open_is_rejected() -> None:
    """Listing more busy counters than open ones is an error."""
    with pytest.raises(ValueError):
        estimate_wait_seconds(WaitInput([], 1, busy_remaining_seconds=[1.0, 2.0]))


def test_negative_service_time_is_rejected() -> None:
    """A negative expected service time is an error."""
    with pytest.raises(ValueError):
        estimate_wait_seconds(WaitInput([-1.0], 1))


@given(servers=st.integers(1, 6))
def test_zero_ahead_idle_is_zero(servers: int) -> None:
    """Nobody ahead and all counters idle: wait 0."""
    assert estimate_wait_seconds(WaitInput([], servers)) == 0


@given(ahead=durations, extra=st.floats(0, 3600), servers=st.integers(1, 6), busy=busy)
def test_monotone_in_number_ahead(ahead: list[float], extra: float, servers: int, busy: list[float]) -> None:
    """One more ticket ahead never shortens the wait."""
    busy = busy[:servers]
    before = estimate_wait_seconds(WaitInput(ahead, servers, busy))
    after = estimate_wait_seconds(WaitInput([*ahead, extra], servers, busy))
    assert before is not None and after is not None
    assert after >= before


@given(ahead=durations, servers=st.integers(1, 6), busy=busy)
def test_more_servers_never_increase_wait(ahead: list[float], servers: int, busy: list[float]) -> None:
    """Opening one more (idle) counter never lengthens the wait."""
    busy = busy[:servers]
    fewer = estimate_wait_seconds(WaitInput(ahead, servers, busy))
    more = estimate_wait_seconds(WaitInput(ahead, servers + 1, busy))
    assert fewer is not None and more is not None
    assert more <= fewer


@given(ahead=durations, servers=st.integers(1, 6))
def test_bounded_by_work_per_counter(ahead: list[float], servers: int) -> None:
    """With idle counters the wait is at most the work ahead shared evenly over the counters."""
    wait = estimate_wait_seconds(WaitInput(ahead, servers))
    assert wait is not None
    assert 0 <= wait <= math.ceil(round(sum(ahead) / servers, 6))


def test_mean_of_enough_samples() -> None:
    """With at least min_samples recent times the mean is used."""
    assert mean_service_seconds([100.0, 200.0, 300.0], 900.0) == 200.0


def test_too_few_samples_use_limit() -> None:
    """With fewer than min_samples the business type's limit is used."""
    assert mean_service_seconds([100.0, 200.0], 900.0) == 900.0
    assert mean_service_seconds([100.0], 900.0, min_samples=1) == 100.0
