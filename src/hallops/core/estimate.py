"""The single wait estimator used by kiosks, displays, SMS and the counter UI.

Model: ``open_servers`` identical counters serve the tickets ahead in queue order.
Each counter becomes free when its transaction in progress is expected to end (at
once if idle); each ticket ahead goes to the earliest free counter.  The estimated
wait is the earliest moment a counter is free once every ticket ahead is assigned.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class WaitInput:
    #: expected service seconds of each ticket ahead (queue order) that these counters serve
    ahead_service_seconds: Sequence[float]
    #: open counters able to serve this ticket
    open_servers: int
    #: remaining expected seconds of the transactions in progress at those counters;
    #: counters not listed are free.  Overrunning transactions (negative) count as 0.
    busy_remaining_seconds: Sequence[float] = ()


def _check_finite(values: Sequence[float], name: str) -> None:
    for value in values:
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")


def estimate_wait_seconds(inp: WaitInput) -> int | None:
    """Estimated seconds until this ticket is called, or None if no counter is open.

    Greedy simulation with a heap: O(n log c) for n tickets ahead and c counters.
    The result is rounded up to whole seconds.
    """
    if inp.open_servers < 0:
        raise ValueError(f"open_servers must be >= 0, got {inp.open_servers}")
    if inp.open_servers == 0:
        return None
    if len(inp.busy_remaining_seconds) > inp.open_servers:
        raise ValueError("more busy counters than open counters")
    _check_finite(inp.ahead_service_seconds, "ahead_service_seconds")
    _check_finite(inp.busy_remaining_seconds, "busy_remaining_seconds")
    if any(s < 0 for s in inp.ahead_service_seconds):
        raise ValueError("ahead_service_seconds must be >= 0")
    free_at = [max(0.0, float(r)) for r in inp.busy_remaining_seconds]
    free_at.extend([0.0] * (inp.open_servers - len(free_at)))
    heapq.heapify(free_at)
    for service in inp.ahead_service_seconds:
        heapq.heapreplace(free_at, free_at[0] + float(service))
    # Round away float noise (e.g. 0.1 + 0.2) before ceiling to whole seconds.
    return math.ceil(round(free_at[0], 6))


def mean_service_seconds(recent: Sequence[float], limit_seconds: float, *, min_samples: int = 3) -> float:
    """Mean of the recent service times, or the business type's limit with too few samples."""
    if len(recent) >= max(1, min_samples):
        return math.fsum(recent) / len(recent)
    return float(limit_seconds)
