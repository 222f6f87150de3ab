"""Transaction timing.

Service time is communication plus operation: from the customer's arrival at the
counter (or the call, when arrival was not marked) to completion.  Handling time is
from the call to completion.  All durations are in seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class TransactionTimes:
    called_at: datetime
    arrived_at: datetime | None = None
    communication_at: datetime | None = None
    operation_at: datetime | None = None
    done_at: datetime | None = None


def _seconds(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds()


def handling_seconds(t: TransactionTimes) -> float | None:
    """done - called, or None while not done."""
    if t.done_at is None:
        return None
    return _seconds(t.called_at, t.done_at)


def service_seconds(t: TransactionTimes, now: datetime | None = None) -> float | None:
    """(done, or ``now`` while in progress) - (arrived, or called); None if neither end is known."""
    end = t.done_at if t.done_at is not None else now
    if end is None:
        return None
    start = t.arrived_at if t.arrived_at is not None else t.called_at
    return _seconds(start, end)


def walk_seconds(t: TransactionTimes) -> float | None:
    """arrived - called (the customer's walk to the counter); None when arrival was not marked."""
    if t.arrived_at is None:
        return None
    return _seconds(t.called_at, t.arrived_at)


def communication_seconds(t: TransactionTimes) -> float | None:
    """(operation start, or done) - communication start; None when not measurable."""
    if t.communication_at is None:
        return None
    end = t.operation_at if t.operation_at is not None else t.done_at
    if end is None:
        return None
    return _seconds(t.communication_at, end)


def operation_seconds(t: TransactionTimes) -> float | None:
    """done - operation start; None when not measurable."""
    if t.operation_at is None or t.done_at is None:
        return None
    return _seconds(t.operation_at, t.done_at)


class Overrun(StrEnum):
    OK = "ok"
    NEAR = "near"
    OVER = "over"


def overrun_state(service_seconds: float, limit_seconds: float, *, near_ratio: float = 0.8) -> Overrun:
    """OVER when above the limit, NEAR at or above ``near_ratio`` of it, else OK."""
    if limit_seconds < 0:
        raise ValueError(f"limit_seconds must be >= 0, got {limit_seconds}")
    if not 0 < near_ratio <= 1:
        raise ValueError(f"near_ratio must be in (0, 1], got {near_ratio}")
    if service_seconds > limit_seconds:
        return Overrun.OVER
    if service_seconds >= near_ratio * limit_seconds:
        return Overrun.NEAR
    return Overrun.OK
