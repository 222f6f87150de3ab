"""Transaction timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hallops.core.timing import (
    Overrun,
    TransactionTimes,
    communication_seconds,
    handling_seconds,
    operation_seconds,
    overrun_state,
    service_seconds,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


FULL = TransactionTimes(
    called_at=at(0), arrived_at=at(30), communication_at=at(40), operation_at=at(160), done_at=at(400)
)


def test_handling_is_done_minus_called() -> None:
    """Handling time runs from the call to completion."""
    assert handling_seconds(FULL) == 400.0


def test_handling_none_while_open() -> None:
    """Handling time is unknown before completion."""
    assert handling_seconds(TransactionTimes(called_at=at(0))) is None


def test_service_is_done_minus_arrived() -> None:
    """Service time runs from arrival to completion."""
    assert service_seconds(FULL) == 370.0


def test_service_from_call_without_arrival() -> None:
    """Without a marked arrival service time starts at the call."""
    assert service_seconds(TransactionTimes(called_at=at(0), done_at=at(250))) == 250.0


def test_service_in_progress_uses_now() -> None:
    """While in progress, service time runs to the given now."""
    t = TransactionTimes(called_at=at(0), arrived_at=at(20))
    assert service_seconds(t, now=at(100)) == 80.0
    assert service_seconds(t) is None


def test_service_done_ignores_now() -> None:
    """Once done, now does not matter."""
    assert service_seconds(FULL, now=at(10_000)) == 370.0


def test_service_equals_communication_plus_operation() -> None:
    """When arrival coincides with communication start, service = communication + operation."""
    t = TransactionTimes(
        called_at=at(0), arrived_at=at(15), communication_at=at(15), operation_at=at(75), done_at=at(200)
    )
    assert communication_seconds(t) == 60.0
    assert operation_seconds(t) == 125.0
    assert service_seconds(t) == 185.0


def test_communication_ends_at_operation() -> None:
    """Communication runs from its start to the operation start."""
    assert communication_seconds(FULL) == 120.0


def test_communication_ends_at_done_without_operation() -> None:
    """Without an operation phase communication runs to completion."""
    t = TransactionTimes(called_at=at(0), communication_at=at(10), done_at=at(70))
    assert communication_seconds(t) == 60.0


def test_communication_not_measurable() -> None:
    """Communication is unknown without a start or without any end."""
    assert communication_seconds(TransactionTimes(called_at=at(0), done_at=at(9))) is None
    assert communication_seconds(TransactionTimes(called_at=at(0), communication_at=at(5))) is None


def test_operation_is_done_minus_start() -> None:
    """Operation runs from its start to completion."""
    assert operation_seconds(FULL) == 240.0


def test_operation_not_measurable() -> None:
    """Operation is unknown before completion or without a start."""
    assert operation_seconds(TransactionTimes(called_at=at(0), operation_at=at(5))) is None
    assert operation_seconds(TransactionTimes(called_at=at(0), done_at=at(5))) is None


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [(0, Overrun.OK), (479.9, Overrun.OK), (480, Overrun.NEAR), (600, Overrun.NEAR), (600.1, Overrun.OVER)],
)
def test_overrun_thresholds(seconds: float, expected: Overrun) -> None:
    """With a 600 s limit: below 480 ok, 480..600 near, above 600 over."""
    assert overrun_state(seconds, 600) is expected


def test_overrun_custom_ratio() -> None:
    """near_ratio moves the near threshold."""
    assert overrun_state(450, 600, near_ratio=0.75) is Overrun.NEAR
    assert overrun_state(449, 600, near_ratio=0.75) is Overrun.OK
