"""The alert state machine and the detectors' severity rule, without a database."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hallops.core.alerting import (
    ALERT_TRANSITIONS,
    UNRESOLVED,
    AlertAction,
    AlertKind,
    AlertSeverity,
    AlertState,
    alert_key,
    alert_next_state,
    severity_past,
    severity_rank,
)
from hallops.core.states import IllegalTransition

ALLOWED = {
    ("open", "acknowledge"): "acknowledged",
    ("open", "resolve"): "resolved",
    ("acknowledged", "resolve"): "resolved",
}


@pytest.mark.parametrize(("state", "action"), list(itertools.product(AlertState, AlertAction)))
def test_every_move_matches_the_hand_written_table(state: AlertState, action: AlertAction) -> None:
    """Allowed moves lead where the table says; every other move raises IllegalTransition."""
    expected = ALLOWED.get((state.value, action.value))
    if expected is None:
        with pytest.raises(IllegalTransition):
            alert_next_state(state, action)
    else:
        assert alert_next_state(state, action) == expected


def test_table_and_unresolved_states() -> None:
    """The table holds exactly the three moves; resolved is the only state nothing leaves."""
    assert {(s.value, a.value): t.value for (s, a), t in ALERT_TRANSITIONS.items()} == ALLOWED
    assert {s.value for s in UNRESOLVED} == {"open", "acknowledged"}
    assert not any(s == AlertState.RESOLVED for s, _ in ALERT_TRANSITIONS)


@pytest.mark.parametrize(("state", "action"), [("closed", "resolve"), ("open", "reopen"), ("", "")])
def test_unknown_states_and_actions_are_illegal(state: str, action: str) -> None:
    """Junk is refused, not mapped."""
    with pytest.raises(IllegalTransition):
        alert_next_state(state, action)


@pytest.mark.parametrize(
    ("elapsed", "allowed", "expected"),
    [
        (180, 180, None),  # at the limit: still within
        (181, 180, AlertSeverity.WARNING),
        (269, 180, AlertSeverity.WARNING),
        (270, 180, AlertSeverity.CRITICAL),  # 1.5 × the limit
        (0, 0, None),
        (1, 0, AlertSeverity.CRITICAL),
    ],
)
def test_severity_past(elapsed: float, allowed: float, expected: AlertSeverity | None) -> None:
    """None within the allowance, warning past it, critical from 1.5 times it."""
    assert severity_past(elapsed, allowed) == expected


def test_severity_past_with_another_ratio_and_bad_input() -> None:
    """A hall's own ratio moves the critical line; negative allowances and ratios below 1 are refused."""
    assert severity_past(599, 300, critical_ratio=2) == AlertSeverity.WARNING
    assert severity_past(600, 300, critical_ratio=2) == AlertSeverity.CRITICAL
    with pytest.raises(ValueError):
        severity_past(1, -1)
    with pytest.raises(ValueError):
        severity_past(1, 1, critical_ratio=0.9)


@given(
    allowed=st.floats(min_value=0, max_value=1e6),
    a=st.floats(min_value=0, max_value=1e7),
    b=st.floats(min_value=0, max_value=1e7),
    ratio=st.floats(min_value=1, max_value=10),
)
def test_severity_never_falls_as_time_passes(allowed: float, a: float, b: float, ratio: float) -> None:
    """Waiting longer never lowers the severity (None < info < warning < critical)."""
    lo, hi = sorted((a, b))

    def rank(s: AlertSeverity | None) -> int:
        return -1 if s is None else severity_rank(s)

    assert rank(severity_past(lo, allowed, critical_ratio=ratio)) <= rank(
        severity_past(hi, allowed, critical_ratio=ratio)
    )


def test_keys() -> None:
    """Keys start with the kind; an unknown kind is refused."""
    assert alert_key(AlertKind.OVER_LIMIT, "tx", 42) == "over_limit:tx:42"
    assert alert_key("idle_counter", "counter", 3) == "idle_counter:counter:3"
    with pytest.raises(ValueError):
        alert_key("fire", 1)
