"""A fast first-come-first-served simulator of M/M/c and M/M/c+M (exponential patience).

Method: with FCFS and identical servers a customer's wait depends only on the customers before it, so no
event list is needed. Customers are generated in arrival order; a heap holds the time at which each server
next becomes free (the Kiefer–Wolfowitz recursion). An arrival at time t whose earliest free server frees at
f waits V = max(0, f − t) and takes that server until t + V + service. With patience, a customer whose
patience τ is below V abandons after τ and leaves the servers untouched (the customers behind it are not
affected: FCFS). This is exact for the model, not an approximation. Cost O(log c) per customer.

Statistics: the first ``warmup`` customers (default a tenth) start the system from empty and are not
counted. The remaining customers are cut into ``batches`` consecutive batches of (nearly) equal size;
each figure's standard error is the standard deviation of its batch means over √batches (batch means, for
the autocorrelation between successive customers). A customer's recorded wait is min(V, τ), so mean wait
is over all arrivals including abandoners, as in ``hallops.core.queueing``; the service level counts
customers served within the target wait.

Randomness: one ``random.Random(seed)`` per run (Mersenne Twister; exponential variates as −ln(1 − U)·mean,
the same formula as ``Random.expovariate``). No global state; a seed gives the same result on every run.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from heapq import heapreplace
from itertools import repeat

from hallops.core.queueing import QueueingError

_DEFAULT_BATCHES = 20


@dataclass(frozen=True, slots=True)
class MMCModel:
    """M/M/c (``mean_patience`` None) or M/M/c+M; times in any unit, the same for all."""

    arrival_rate: float
    mean_service: float
    servers: int
    mean_patience: float | None = None

    def __post_init__(self) -> None:
        _positive("arrival_rate", self.arrival_rate)
        _positive("mean_service", self.mean_service)
        if isinstance(self.servers, bool) or not isinstance(self.servers, int) or self.servers < 1:
            raise QueueingError("servers", f"must be a whole number >= 1, got {self.servers!r}")
        if self.mean_patience is not None:
            _positive("mean_patience", self.mean_patience)

    @property
    def occupancy(self) -> float:
        """Offered load per server, λ·h/c (the busy share when nobody abandons)."""
        return self.arrival_rate * self.mean_service / self.servers


@dataclass(frozen=True, slots=True)
class Estimate:
    """A simulated mean and its batch-means standard error."""

    mean: float
    se: float


@dataclass(frozen=True, slots=True)
class MMCResult:
    #: customers simulated, warm-up included
    customers: int
    #: customers discarded at the start
    warmup: int
    #: customers counted (customers − warmup)
    measured: int
    batches: int
    #: counted customers who waited (V > 0), who abandoned, and who were served within the target wait
    waited: int
    abandoned: int
    within_target: int | None
    mean_wait: Estimate
    p_wait: Estimate
    service_level: Estimate | None
    abandonment: Estimate
    #: simulated time of the last arrival
    end_time: float


def _positive(field: str, value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise QueueingError(field, f"must be a finite number > 0, got {value!r}")


# The two loops below are the hot path; they are written out (local names, no helper calls) for speed.


def _run_plain(
    rand: random.Random, free: list[float], t: float, count: int, gap: float, service: float, target: float
) -> tuple[float, float, int, int]:
    """``count`` customers of M/M/c; returns (clock, sum of waits, waited, within target)."""
    uniform = rand.random
    log = math.log
    push = heapreplace
    total_wait = 0.0
    waited = 0
    within = 0
    for _ in repeat(None, count):
        t -= log(1.0 - uniform()) * gap
        first = free[0]
        if first > t:
            wait = first - t
            total_wait += wait
            waited += 1
            if wait <= target:
                within += 1
            push(free, first - log(1.0 - uniform()) * service)
        else:
            within += 1
            push(free, t - log(1.0 - uniform()) * service)
    return t, total_wait, waited, within


def _run_patience(
    rand: random.Random,
    free: list[float],
    t: float,
    count: int,
    gap: float,
    service: float,
    patience: float,
    target: float,
) -> tuple[float, float, int, int, int]:
    """``count`` customers of M/M/c+M; returns (clock, sum of waits, waited, within target, abandoned)."""
    uniform = rand.random
    log = math.log
    push = heapreplace
    total_wait = 0.0
    waited = 0
    within = 0
    abandoned = 0
    for _ in repeat(None, count):
        t -= log(1.0 - uniform()) * gap
        first = free[0]
        if first > t:
            wait = first - t
            waited += 1
            tau = -log(1.0 - uniform()) * patience
            if tau < wait:
                abandoned += 1
                total_wait += tau
                continue
            total_wait += wait
            if wait <= target:
                within += 1
            push(free, first - log(1.0 - uniform()) * service)
        else:
            within += 1
            push(free, t - log(1.0 - uniform()) * service)
    return t, total_wait, waited, within, abandoned


def _estimate(sums: list[float], sizes: list[int]) -> Estimate:
    means = [x / n for x, n in zip(sums, sizes, strict=True)]
    k = len(means)
    centre = math.fsum(means) / k
    variance = math.fsum((m - centre) ** 2 for m in means) / (k - 1)
    return Estimate(mean=math.fsum(sums) / sum(sizes), se=math.sqrt(variance / k))


def simulate_mmc(
    model: MMCModel,
    *,
    customers: int,
    seed: int,
    target_wait: float | None = None,
    warmup: int | None = None,
    batches: int = _DEFAULT_BATCHES,
) -> MMCResult:
    """Simulate ``customers`` arrivals (warm-up included) from an empty system; see the module docstring."""
    if isinstance(customers, bool) or not isinstance(customers, int) or customers < 1:
        raise QueueingError("customers", f"must be a whole number >= 1, got {customers!r}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise QueueingError("seed", f"must be a whole number, got {seed!r}")
    if isinstance(batches, bool) or not isinstance(batches, int) or batches < 2:
        raise QueueingError("batches", f"must be a whole number >= 2, got {batches!r}")
    skip = customers // 10 if warmup is None else warmup
    if isinstance(skip, bool) or not isinstance(skip, int) or skip < 0:
        raise QueueingError("warmup", f"must be a whole number >= 0, got {warmup!r}")
    measured = customers - skip
    if measured < batches:
        raise QueueingError("customers", f"must leave at least {batches} customers after a warm-up of {skip}")
    if target_wait is not None and (not math.isfinite(target_wait) or target_wait < 0):
        raise QueueingError("target_wait", f"must be a finite number >= 0, got {target_wait!r}")

    rng = random.Random(seed)
    free = [0.0] * model.servers
    gap = 1.0 / model.arrival_rate
    service = model.mean_service
    target = math.inf if target_wait is None else float(target_wait)
    patience = model.mean_patience
    sizes = [measured // batches + (1 if b < measured % batches else 0) for b in range(batches)]
    wait_sums: list[float] = []
    waited_counts: list[int] = []
    within_counts: list[int] = []
    abandoned_counts: list[int] = []
    t = 0.0
    for index, size in enumerate([skip, *sizes]):
        if patience is None:
            t, total_wait, waited, within = _run_plain(rng, free, t, size, gap, service, target)
            abandoned = 0
        else:
            t, total_wait, waited, within, abandoned = _run_patience(rng, free, t, size, gap, service, patience, target)
        if index == 0:
            continue
        wait_sums.append(total_wait)
        waited_counts.append(waited)
        within_counts.append(within)
        abandoned_counts.append(abandoned)

    level = None
    if target_wait is not None:
        level = _estimate([float(x) for x in within_counts], sizes)
    return MMCResult(
        customers=customers,
        warmup=skip,
        measured=measured,
        batches=batches,
        waited=sum(waited_counts),
        abandoned=sum(abandoned_counts),
        within_target=None if target_wait is None else sum(within_counts),
        mean_wait=_estimate(wait_sums, sizes),
        p_wait=_estimate([float(x) for x in waited_counts], sizes),
        service_level=level,
        abandonment=_estimate([float(x) for x in abandoned_counts], sizes),
        end_time=t,
    )
