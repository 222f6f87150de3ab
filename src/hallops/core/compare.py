"""Pilot comparison: two sets of transaction records (two halls, or one hall in two periods) on every KPI.

For each figure of :class:`hallops.core.kpi.Kpis` the comparison gives the value in A and in B (from
:func:`hallops.core.kpi.compute_kpis`, the one definition), the difference ``B - A`` and a percentile bootstrap
interval of that difference. The difference is *more than noise* when the interval excludes 0.

The bootstrap resamples **tickets**, not rows: all the rows of a ticket (a transfer's two transactions, its wait,
its no-show) stay together, because they are not independent. A and B are resampled independently, each with
replacement and with as many tickets as it has. Each replication recomputes every figure from per-ticket sums
(:class:`TicketSums`), which equal ``compute_kpis`` on the resampled rows up to float rounding (a property test
checks this on random histories). The random generator is passed in (``numpy.random.Generator``): a seeded
generator gives the same interval every time.

**Counts** (arrivals, served, ...) get a value and a difference but no interval: resampling a fixed number of
tickets says nothing about how many customers come, so a bootstrap interval of a count would be meaningless.
A figure whose denominator is empty in a replication (no rated transaction, say) is left out of that
replication; ``defined`` says in how many replications it was defined on both sides. Fewer than half: no
interval.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import tzinfo
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from hallops.core.kpi import (
    SATISFIED_MIN_RATING,
    WAIT_TARGET_SECONDS,
    Kpis,
    Outcome,
    TicketId,
    TransactionRecord,
    compute_kpis,
    percentile_linear,
    ticket_id,
)
from hallops.core.timing import (
    Overrun,
    communication_seconds,
    handling_seconds,
    operation_seconds,
    overrun_state,
    service_seconds,
    walk_seconds,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_REPLICATIONS = 1000
DEFAULT_CONFIDENCE = 0.95
MAX_REPLICATIONS = 100_000
#: resampled weights are drawn in blocks of at most this many cells (replications x tickets)
_BLOCK_CELLS = 2_000_000


class CompareError(ValueError):
    """Bad input; ``field`` names the argument at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class FigureKind(StrEnum):
    COUNT = "count"  # tickets, transactions or agents: no interval
    SHARE = "share"  # a fraction 0-1
    SECONDS = "seconds"
    RATIO = "ratio"  # the workload coefficient of variation


def _kind(name: str) -> FigureKind:
    if name.endswith("_seconds"):
        return FigureKind.SECONDS
    if name.endswith(("_rate", "_share", "_coverage")):
        return FigureKind.SHARE
    if name == "workload_cv":
        return FigureKind.RATIO
    return FigureKind.COUNT


#: every figure of Kpis that is a number, in the declaration order (the over-limit list is not a number)
FIGURES: tuple[str, ...] = tuple(f.name for f in fields(Kpis) if f.name != "over_limit")
FIGURE_KINDS: dict[str, FigureKind] = {name: _kind(name) for name in FIGURES}
#: the figures that get a bootstrap interval
INTERVAL_FIGURES: tuple[str, ...] = tuple(name for name in FIGURES if FIGURE_KINDS[name] is not FigureKind.COUNT)


@dataclass(frozen=True, slots=True)
class FigureComparison:
    """One figure in A and in B; ``difference`` is B - A; ``low``/``high`` the bootstrap interval of it."""

    name: str
    kind: FigureKind
    a: float | None
    b: float | None
    difference: float | None
    low: float | None
    high: float | None
    #: replications in which the figure was defined on both sides (0 for counts)
    defined: int

    @property
    def more_than_noise(self) -> bool:
        """The interval excludes 0: the difference is unlikely to come from the chance mix of tickets alone."""
        return self.low is not None and self.high is not None and (self.low > 0 or self.high < 0)


@dataclass(frozen=True, slots=True)
class Comparison:
    tickets_a: int
    tickets_b: int
    replications: int
    confidence: float
    figures: tuple[FigureComparison, ...]

    def figure(self, name: str) -> FigureComparison:
        for f in self.figures:
            if f.name == name:
                return f
        raise KeyError(name)


# The per-ticket columns summed over a resample. Each ticket contributes its own figures and those of its done
# transactions (docs/kpis.md: per-ticket figures count once per ticket, per-transaction ones once per done row).
_COLUMNS = (
    "called",
    "served_tickets",
    "no_shows",
    "cancelled",
    "diverted",
    "wait_sum",
    "within_target",
    "quote_error_sum",
    "quoted",
    "served",
    "handling_sum",
    "service_sum",
    "walk_sum",
    "walks",
    "communication_sum",
    "communications",
    "operation_sum",
    "operations",
    "over",
    "pre_orders",
    "with_pre_sum",
    "without_pre_sum",
    "complex_done",
    "complex_pre",
    "rated",
    "satisfied",
)
_C = {name: i for i, name in enumerate(_COLUMNS)}


def _ticket_row(rows: Sequence[TransactionRecord], complex_services: frozenset[str] | None) -> list[float]:
    v = [0.0] * len(_COLUMNS)
    first = min(rows, key=lambda r: r.issued_at)  # every row of a ticket has the same issued_at
    calls = [r.called_at for r in rows if r.called_at is not None]
    outcomes = {r.outcome for r in rows}
    v[_C["served_tickets"]] = float(Outcome.DONE in outcomes)
    v[_C["no_shows"]] = float(Outcome.NO_SHOW in outcomes)
    v[_C["cancelled"]] = float(Outcome.CANCELLED in outcomes)
    v[_C["diverted"]] = float(Outcome.DIVERTED in outcomes)
    if calls:
        wait = (min(calls) - first.issued_at).total_seconds()
        v[_C["called"]] = 1.0
        v[_C["wait_sum"]] = wait
        v[_C["within_target"]] = float(wait <= WAIT_TARGET_SECONDS)
        if first.quoted_wait_seconds is not None:
            v[_C["quoted"]] = 1.0
            v[_C["quote_error_sum"]] = abs(first.quoted_wait_seconds - wait)
    for r in rows:
        if r.outcome is not Outcome.DONE:
            continue
        times = r.times()
        handling = handling_seconds(times)
        service = service_seconds(times)
        assert handling is not None and service is not None and r.limit_minutes is not None
        v[_C["served"]] += 1
        v[_C["handling_sum"]] += handling
        v[_C["service_sum"]] += service
        for name, value in (
            ("walk", walk_seconds(times)),
            ("communication", communication_seconds(times)),
            ("operation", operation_seconds(times)),
        ):
            if value is not None:
                v[_C[name + "_sum"]] += value
                v[_C[name + "s"]] += 1
        v[_C["over"]] += overrun_state(service, r.limit_minutes * 60) is Overrun.OVER
        if r.pre_order:
            v[_C["pre_orders"]] += 1
            v[_C["with_pre_sum"]] += handling
        else:
            v[_C["without_pre_sum"]] += handling
        if complex_services is not None and r.service in complex_services:
            v[_C["complex_done"]] += 1
            v[_C["complex_pre"]] += r.pre_order
        if r.rating is not None:
            v[_C["rated"]] += 1
            v[_C["satisfied"]] += r.rating >= SATISFIED_MIN_RATING
    return v


def _divide(numerator: FloatArray, denominator: FloatArray) -> FloatArray:
    """Element-wise numerator / denominator, NaN where the denominator is 0 (an empty denominator)."""
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


class TicketSums:
    """One side of a comparison, reduced to per-ticket sums so that a resample is a weight vector.

    ``figures(weights)`` computes every figure with interval for each row of ``weights`` (replications x
    tickets; a ticket's weight is how many times the resample drew it). All-ones weights give the figures of
    the records themselves.
    """

    def __init__(
        self,
        records: Iterable[TransactionRecord],
        *,
        tz: tzinfo | None = None,
        complex_services: frozenset[str] | None = None,
    ) -> None:
        rows = list(records)
        report = compute_kpis(rows, tz=tz, complex_services=complex_services)  # validates the records too
        self.kpis: Kpis = report.total
        self.complex_known = complex_services is not None
        by_ticket: dict[TicketId, list[TransactionRecord]] = {}
        for r in rows:
            by_ticket.setdefault(ticket_id(r, tz), []).append(r)
        #: the tickets in weight order
        self.ticket_ids: list[TicketId] = list(by_ticket)
        tickets = list(by_ticket.values())
        self.n = len(tickets)
        self.sums: FloatArray = np.array([_ticket_row(t, complex_services) for t in tickets], dtype=np.float64).reshape(
            self.n, len(_COLUMNS)
        )
        agents = sorted({r.agent for r in rows if r.outcome is Outcome.DONE and r.agent})
        index = {a: i for i, a in enumerate(agents)}
        self.per_agent: FloatArray = np.zeros((self.n, len(agents)))
        waits: list[tuple[float, int]] = []
        for i, t in enumerate(tickets):
            for r in t:
                if r.outcome is Outcome.DONE and r.agent:
                    self.per_agent[i, index[r.agent]] += 1
            if self.sums[i, _C["called"]]:
                waits.append((self.sums[i, _C["wait_sum"]], i))
        waits.sort()
        self.sorted_waits: FloatArray = np.array([w for w, _ in waits], dtype=np.float64)
        self.wait_tickets: IntArray = np.array([i for _, i in waits], dtype=np.int64)

    def figures(self, weights: FloatArray) -> dict[str, FloatArray]:
        """Every figure of :data:`INTERVAL_FIGURES` per row of ``weights``; NaN where the denominator is empty."""
        s = weights @ self.sums
        col = {name: s[:, i] for name, i in _C.items()}
        arrivals = weights.sum(axis=1)
        called = col["called"]
        served = col["served"]
        out: dict[str, FloatArray] = {
            "no_show_rate": _divide(col["no_shows"], called),
            "cancel_rate": _divide(col["cancelled"], arrivals),
            "diversion_share": _divide(col["diverted"], arrivals),
            "wait_mean_seconds": _divide(col["wait_sum"], called),
            "wait_median_seconds": self._wait_quantile(weights, 0.5),
            "wait_p90_seconds": self._wait_quantile(weights, 0.9),
            "wait_within_10min_share": _divide(col["within_target"], called),
            "quoted_wait_mae_seconds": _divide(col["quote_error_sum"], col["quoted"]),
            "walk_mean_seconds": _divide(col["walk_sum"], col["walks"]),
            "communication_mean_seconds": _divide(col["communication_sum"], col["communications"]),
            "operation_mean_seconds": _divide(col["operation_sum"], col["operations"]),
            "handling_mean_seconds": _divide(col["handling_sum"], served),
            "service_mean_seconds": _divide(col["service_sum"], served),
            "over_limit_share": _divide(col["over"], served),
            "pre_order_share": _divide(col["pre_orders"], served),
            "handling_mean_with_pre_order_seconds": _divide(col["with_pre_sum"], col["pre_orders"]),
            "handling_mean_without_pre_order_seconds": _divide(col["without_pre_sum"], served - col["pre_orders"]),
            "pre_order_complex_coverage": (
                _divide(col["complex_pre"], col["complex_done"])
                if self.complex_known
                else np.full(arrivals.shape, np.nan)
            ),
            "rating_rate": _divide(col["rated"], served),
            "satisfaction_share": _divide(col["satisfied"], col["rated"]),
            "workload_cv": self._workload_cv(weights),
        }
        return out

    def _wait_quantile(self, weights: FloatArray, q: float) -> FloatArray:
        """numpy's linear quantile of the resampled waits: the sorted waits, each repeated by its weight."""
        reps = weights.shape[0]
        out = np.full(reps, np.nan)
        if not len(self.sorted_waits):
            return out
        cum = np.cumsum(weights[:, self.wait_tickets], axis=1)  # reps x called tickets
        m = cum[:, -1]
        ok = m > 0
        h = (m - 1) * q
        low = np.floor(h)
        t = h - low
        last = np.clip(m - 1, 0, None)

        def at(position: FloatArray) -> FloatArray:
            # the value at a 0-based position of the repeated sorted list: the first wait whose running count
            # passes the position
            idx = (cum <= position[:, None]).sum(axis=1)
            values: FloatArray = self.sorted_waits[np.clip(idx, 0, len(self.sorted_waits) - 1)]
            return values

        a = at(low)
        b = at(np.minimum(low + 1, last))
        diff = b - a
        value = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
        value = np.where(h >= last, at(last), value)
        out[ok] = value[ok]
        return out

    def _workload_cv(self, weights: FloatArray) -> FloatArray:
        reps = weights.shape[0]
        if not self.per_agent.shape[1]:
            return np.full(reps, np.nan)
        counts = weights @ self.per_agent  # reps x agents
        present = counts > 0
        k = present.sum(axis=1)
        total = counts.sum(axis=1)
        mean = _divide(total, k.astype(np.float64))
        sq = np.where(present, (counts - mean[:, None]) ** 2, 0.0).sum(axis=1)
        return _divide(np.sqrt(_divide(sq, k.astype(np.float64))), mean)

    def resample(self, rng: np.random.Generator, reps: int) -> FloatArray:
        """``reps`` bootstrap weight vectors: each draws ``n`` tickets with replacement."""
        if self.n == 0:
            return np.zeros((reps, 0))
        draws = rng.integers(0, self.n, size=(reps, self.n))
        flat = draws + (np.arange(reps) * self.n)[:, None]
        return np.bincount(flat.ravel(), minlength=reps * self.n).reshape(reps, self.n).astype(np.float64)


def _value(k: Kpis, name: str, complex_known: bool) -> float | None:
    if name == "pre_order_complex_coverage" and not complex_known:
        return None
    value: float | int | None = getattr(k, name)
    return None if value is None else float(value)


def compare_records(
    a: Iterable[TransactionRecord],
    b: Iterable[TransactionRecord],
    *,
    rng: np.random.Generator,
    replications: int = DEFAULT_REPLICATIONS,
    confidence: float = DEFAULT_CONFIDENCE,
    tz_a: tzinfo | None = None,
    tz_b: tzinfo | None = None,
    complex_services: frozenset[str] | None = None,
) -> Comparison:
    """Every figure of A and B with B - A and its ``confidence`` percentile bootstrap interval.

    ``tz_a``/``tz_b`` set the zone of each side's ticket identity (their halls' zones); ``complex_services``
    as in ``compute_kpis``. Raises :class:`CompareError` on bad arguments and ``RecordError`` on a bad record.
    """
    if isinstance(replications, bool) or not isinstance(replications, int) or not 1 <= replications <= MAX_REPLICATIONS:
        raise CompareError("replications", f"must be an integer from 1 to {MAX_REPLICATIONS}, got {replications!r}")
    if not (isinstance(confidence, float | int) and 0 < confidence < 1):
        raise CompareError("confidence", f"must be between 0 and 1, got {confidence!r}")
    side_a = TicketSums(a, tz=tz_a, complex_services=complex_services)
    side_b = TicketSums(b, tz=tz_b, complex_services=complex_services)
    known = complex_services is not None
    diffs: dict[str, list[FloatArray]] = {name: [] for name in INTERVAL_FIGURES}
    if side_a.n and side_b.n:
        block = max(1, _BLOCK_CELLS // max(side_a.n, side_b.n))
        done = 0
        while done < replications:
            reps = min(block, replications - done)
            fa = side_a.figures(side_a.resample(rng, reps))
            fb = side_b.figures(side_b.resample(rng, reps))
            for name in INTERVAL_FIGURES:
                diffs[name].append(fb[name] - fa[name])
            done += reps
    alpha = (1 - confidence) / 2
    out: list[FigureComparison] = []
    for name in FIGURES:
        va = _value(side_a.kpis, name, known)
        vb = _value(side_b.kpis, name, known)
        difference = None if va is None or vb is None else vb - va
        low = high = None
        defined = 0
        if name in diffs and diffs[name] and difference is not None:
            values = np.concatenate(diffs[name])
            values = np.sort(values[~np.isnan(values)])
            defined = len(values)
            if defined * 2 >= replications:
                ordered = values.tolist()
                low = percentile_linear(ordered, alpha)
                high = percentile_linear(ordered, 1 - alpha)
        out.append(FigureComparison(name, FIGURE_KINDS[name], va, vb, difference, low, high, defined))
    return Comparison(
        tickets_a=side_a.n,
        tickets_b=side_b.n,
        replications=replications,
        confidence=float(confidence),
        figures=tuple(out),
    )


def comparison_as_dict(c: Comparison) -> dict[str, object]:
    """JSON-ready: floats unrounded, None where a value or interval is not defined."""
    return {
        "tickets_a": c.tickets_a,
        "tickets_b": c.tickets_b,
        "replications": c.replications,
        "confidence": c.confidence,
        "figures": {
            f.name: {
                "kind": f.kind.value,
                "a": f.a,
                "b": f.b,
                "difference": f.difference,
                "low": f.low,
                "high": f.high,
                "defined": f.defined,
                "more_than_noise": f.more_than_noise,
            }
            for f in c.figures
        },
    }


__all__ = [
    "DEFAULT_CONFIDENCE",
    "DEFAULT_REPLICATIONS",
    "FIGURES",
    "FIGURE_KINDS",
    "INTERVAL_FIGURES",
    "CompareError",
    "Comparison",
    "FigureComparison",
    "FigureKind",
    "TicketSums",
    "compare_records",
    "comparison_as_dict",
]
