"""The additive figures behind the roll-ups, and the KPIs rebuilt from them (no database here).

A ticket's rows (``core.kpi.TransactionRecord``) give each roll-up cell counts and sums: ticket figures go to
the cell of the ticket's first transaction, done-transaction figures to the cell of each done transaction,
exactly as ``core.kpi.compute_kpis`` groups them. Durations are summed as integer microseconds, so that adding
a ticket and taking it away again is exact; a mean is ``(sum / 10**6) / n``, which equals the core's
``fsum(seconds) / n`` whenever the times are whole seconds (and differs by rounding only otherwise).

Percentiles cannot be added up. A roll-up keeps a histogram of the waits (``WAIT_BUCKET_EDGES``) and
:func:`quantile_from_histogram` estimates a quantile from it; exact quantiles need the raw records.
"""

from __future__ import annotations

import bisect
import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hallops.core.kpi import (
    SATISFIED_MIN_RATING,
    WAIT_TARGET_SECONDS,
    Kpis,
    Outcome,
    OverLimit,
    TransactionRecord,
)
from hallops.core.timing import Overrun, handling_seconds, overrun_state, service_seconds

#: upper edges (seconds) of the wait histogram's buckets: [0, 60), [60, 120), ..., [5400, 7200), [7200, ∞).
#: One-minute buckets up to the 10-minute target, then wider ones.
WAIT_BUCKET_EDGES: tuple[int, ...] = (
    60,
    120,
    180,
    240,
    300,
    360,
    420,
    480,
    540,
    600,
    720,
    900,
    1200,
    1500,
    1800,
    2400,
    3600,
    5400,
    7200,
)
WAIT_BUCKETS: tuple[str, ...] = tuple(f"wait_h{i:02d}" for i in range(len(WAIT_BUCKET_EDGES) + 1))

_US = dt.timedelta(microseconds=1)
_TARGET_US = int(WAIT_TARGET_SECONDS * 1_000_000)

#: every additive figure of a roll-up cell
TICKET_FIGURES = (
    "arrivals",
    "called",
    "served_tickets",
    "no_shows",
    "cancelled",
    "diverted",
    "wait_us",
    "wait_within",
    "quoted",
    "quote_error_us",
)
DONE_FIGURES = (
    "served",
    "handling_us",
    "service_us",
    "walk_n",
    "walk_us",
    "communication_n",
    "communication_us",
    "operation_n",
    "operation_us",
    "over_limit",
    "pre_order",
    "handling_pre_us",
    "rated",
    "satisfied",
)
FIGURES: tuple[str, ...] = TICKET_FIGURES + DONE_FIGURES + WAIT_BUCKETS

Cell = dict[str, int]


def _us(delta: dt.timedelta) -> int:
    return delta // _US


@dataclass(frozen=True, slots=True)
class Derived:
    """What a stored row carries besides its record: its ticket identity, group keys and figures."""

    local_day: dt.date
    hour_start: dt.datetime  # the hall-local start of the hour of issue (aware, in the hall's zone)
    local_hour: int
    weekday: int
    row_key: int
    first: bool
    wait_seconds: float | None
    ticket_done: bool
    ticket_no_show: bool
    ticket_cancelled: bool
    ticket_diverted: bool
    service_seconds: float | None
    handling_seconds: float | None
    over_limit: bool


def row_key(r: TransactionRecord) -> int:
    """A row's identity within its ticket: ``called_at`` in microseconds since the epoch, -1 without a call."""
    if r.called_at is None:
        return -1
    return _us(r.called_at - dt.datetime(1970, 1, 1, tzinfo=dt.UTC))


def local_day(r: TransactionRecord, tz: ZoneInfo) -> dt.date:
    return r.issued_at.astimezone(tz).date()


def row_order(r: TransactionRecord) -> tuple[object, ...]:
    """The order of a ticket's rows (docs/kpis.md): called rows by call time first, then ended_at, service,
    counter, agent and outcome; the first row in this order is the ticket's first transaction."""
    return (
        r.called_at is None,
        r.called_at or r.issued_at,
        r.ended_at is None,
        r.ended_at or r.issued_at,
        r.service,
        r.counter,
        r.agent,
        r.outcome.value,
    )


def first_row(rows: Sequence[TransactionRecord]) -> TransactionRecord:
    return min(rows, key=row_order)


def ticket_wait(rows: Sequence[TransactionRecord]) -> dt.timedelta | None:
    calls = [r.called_at for r in rows if r.called_at is not None]
    return min(calls) - rows[0].issued_at if calls else None


def derive(rows: Sequence[TransactionRecord], tz: ZoneInfo) -> list[Derived]:
    """The derived columns of each row of one ticket (``rows`` all belong to it)."""
    first = first_row(rows)
    wait = ticket_wait(rows)
    outcomes = {r.outcome for r in rows}
    local = first.issued_at.astimezone(tz)
    hour = local.replace(minute=0, second=0, microsecond=0)
    out = []
    for r in rows:
        is_first = r is first
        handling = service = None
        over = False
        if r.outcome is Outcome.DONE:
            times = r.times()
            handling = handling_seconds(times)
            service = service_seconds(times)
            assert service is not None and r.limit_minutes is not None
            over = overrun_state(service, r.limit_minutes * 60) is Overrun.OVER
        out.append(
            Derived(
                local_day=local.date(),
                hour_start=hour,
                local_hour=hour.hour,
                weekday=local.weekday(),
                row_key=row_key(r),
                first=is_first,
                wait_seconds=wait.total_seconds() if is_first and wait is not None else None,
                ticket_done=is_first and Outcome.DONE in outcomes,
                ticket_no_show=is_first and Outcome.NO_SHOW in outcomes,
                ticket_cancelled=is_first and Outcome.CANCELLED in outcomes,
                ticket_diverted=is_first and Outcome.DIVERTED in outcomes,
                service_seconds=service,
                handling_seconds=handling,
                over_limit=over,
            )
        )
    return out


# ------------------------------------------------------------------------------------------------ roll-up cells

HourKey = tuple[dt.datetime, str, str]  # (hour_start, service, channel)
AgentKey = tuple[dt.date, str, str, str]  # (local_day, agent, counter, service)


def hour_key(r: TransactionRecord, d: Derived) -> HourKey:
    return (d.hour_start, r.service, r.channel)


def agent_key(r: TransactionRecord, d: Derived) -> AgentKey:
    return (d.local_day, r.agent, r.counter, r.service)


def wait_bucket(wait_seconds: float) -> int:
    return bisect.bisect_right(WAIT_BUCKET_EDGES, wait_seconds)


def _ticket_figures(rows: Sequence[TransactionRecord]) -> Cell:
    outcomes = {r.outcome for r in rows}
    wait = ticket_wait(rows)
    cell: Cell = {
        "arrivals": 1,
        "served_tickets": int(Outcome.DONE in outcomes),
        "no_shows": int(Outcome.NO_SHOW in outcomes),
        "cancelled": int(Outcome.CANCELLED in outcomes),
        "diverted": int(Outcome.DIVERTED in outcomes),
    }
    if wait is not None:
        wait_us = _us(wait)
        cell["called"] = 1
        cell["wait_us"] = wait_us
        cell["wait_within"] = int(wait_us <= _TARGET_US)
        cell[WAIT_BUCKETS[wait_bucket(wait.total_seconds())]] = 1
        quoted = rows[0].quoted_wait_seconds
        if quoted is not None:
            cell["quoted"] = 1
            cell["quote_error_us"] = round(abs(quoted * 1_000_000 - wait_us))
    return cell


def _done_figures(r: TransactionRecord, d: Derived) -> Cell:
    assert r.called_at is not None and r.ended_at is not None
    handling = _us(r.ended_at - r.called_at)
    cell: Cell = {
        "served": 1,
        "handling_us": handling,
        "service_us": _us(r.ended_at - (r.arrived_at or r.called_at)),
        "over_limit": int(d.over_limit),
    }
    if r.arrived_at is not None:
        cell["walk_n"] = 1
        cell["walk_us"] = _us(r.arrived_at - r.called_at)
    if r.communication_at is not None:
        cell["communication_n"] = 1
        cell["communication_us"] = _us((r.operation_at or r.ended_at) - r.communication_at)
    if r.operation_at is not None:
        cell["operation_n"] = 1
        cell["operation_us"] = _us(r.ended_at - r.operation_at)
    if r.pre_order:
        cell["pre_order"] = 1
        cell["handling_pre_us"] = handling
    if r.rating is not None:
        cell["rated"] = 1
        cell["satisfied"] = int(r.rating >= SATISFIED_MIN_RATING)
    return cell


def _add(target: dict[object, Cell], key: object, cell: Mapping[str, int], sign: int) -> None:
    into = target.get(key)
    if into is None:
        into = target[key] = {}
    for name, value in cell.items():
        if value:
            into[name] = into.get(name, 0) + sign * value


@dataclass(slots=True)
class Deltas:
    """Changes to the roll-up cells, by key; ``add`` a ticket to count it, ``add(..., sign=-1)`` to take it away."""

    hourly: dict[HourKey, Cell]
    agent_day: dict[AgentKey, Cell]

    @classmethod
    def empty(cls) -> Deltas:
        return cls(hourly={}, agent_day={})

    def add(self, rows: Sequence[TransactionRecord], derived: Sequence[Derived], sign: int = 1) -> None:
        """Count one ticket (all its rows, with their :func:`derive` results)."""
        index = next(i for i, d in enumerate(derived) if d.first)
        first, first_d = rows[index], derived[index]
        ticket = _ticket_figures(rows)
        _add(self.hourly, hour_key(first, first_d), ticket, sign)  # type: ignore[arg-type]
        _add(self.agent_day, agent_key(first, first_d), ticket, sign)  # type: ignore[arg-type]
        for r, d in zip(rows, derived, strict=True):
            if r.outcome is Outcome.DONE:
                done = _done_figures(r, d)
                _add(self.hourly, hour_key(r, d), done, sign)  # type: ignore[arg-type]
                _add(self.agent_day, agent_key(r, d), done, sign)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------- figures back to KPIs


def quantile_from_histogram(counts: Sequence[int], q: float) -> float | None:
    """An estimate of the ``q`` quantile of the waits from their histogram (None without any wait).

    The same virtual index as the core's exact quantile, h = (n - 1) q, on values assumed to lie evenly
    inside their bucket: the k-th of the c waits of a bucket [lo, hi) sits at lo + (k + 1/2) (hi - lo) / c,
    linear between neighbours. A quantile falling in the last, open bucket is reported as its lower edge
    (7200 s: "two hours or more"). The error is at most one bucket's width: one minute up to 10 minutes.
    """
    n = sum(counts)
    if n == 0:
        return None
    h = (n - 1) * q
    edges = (0, *WAIT_BUCKET_EDGES)

    def value(rank: int) -> float:
        before = 0
        for i, c in enumerate(counts):
            if rank < before + c:
                if i >= len(WAIT_BUCKET_EDGES):
                    return float(edges[-1])
                lo, hi = edges[i], edges[i + 1]
                return lo + (rank - before + 0.5) * (hi - lo) / c
            before += c
        return float(edges[-1])

    low = int(h)
    t = h - low
    a = value(low)
    if t == 0 or low + 1 >= n:
        return a
    return a + (value(low + 1) - a) * t


def _mean_us(total_us: int, n: int) -> float | None:
    return (total_us / 1_000_000) / n if n else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def kpis_from_figures(
    f: Mapping[str, int],
    *,
    complex_done: int,
    complex_pre: int,
    per_agent: Iterable[int] | None,
    over_limit: Sequence[OverLimit] = (),
    wait_median: float | None = None,
    wait_p90: float | None = None,
) -> Kpis:
    """The core's figures from summed roll-up cells. ``per_agent``: done transactions per non-empty agent
    (None when the roll-ups cannot tell, then ``agents`` is 0 and ``workload_cv`` None); the percentiles
    and the over-limit list come from elsewhere (the histogram, the raw rows)."""
    g = f.get
    called = g("called", 0)
    served = g("served", 0)
    pre = g("pre_order", 0)
    handled = [n for n in (per_agent or ()) if n]
    return Kpis(
        arrivals=g("arrivals", 0),
        called=called,
        served_tickets=g("served_tickets", 0),
        no_shows=g("no_shows", 0),
        cancelled=g("cancelled", 0),
        diverted=g("diverted", 0),
        no_show_rate=_ratio(g("no_shows", 0), called),
        cancel_rate=_ratio(g("cancelled", 0), g("arrivals", 0)),
        diversion_share=_ratio(g("diverted", 0), g("arrivals", 0)),
        wait_mean_seconds=_mean_us(g("wait_us", 0), called),
        wait_median_seconds=wait_median,
        wait_p90_seconds=wait_p90,
        wait_within_10min_share=_ratio(g("wait_within", 0), called),
        quoted_wait_mae_seconds=_mean_us(g("quote_error_us", 0), g("quoted", 0)),
        served=served,
        walk_mean_seconds=_mean_us(g("walk_us", 0), g("walk_n", 0)),
        communication_mean_seconds=_mean_us(g("communication_us", 0), g("communication_n", 0)),
        operation_mean_seconds=_mean_us(g("operation_us", 0), g("operation_n", 0)),
        handling_mean_seconds=_mean_us(g("handling_us", 0), served),
        service_mean_seconds=_mean_us(g("service_us", 0), served),
        over_limit_share=_ratio(g("over_limit", 0), served),
        over_limit=tuple(over_limit),
        pre_order_share=_ratio(pre, served),
        handling_mean_with_pre_order_seconds=_mean_us(g("handling_pre_us", 0), pre),
        handling_mean_without_pre_order_seconds=_mean_us(g("handling_us", 0) - g("handling_pre_us", 0), served - pre),
        pre_order_complex_coverage=_ratio(complex_pre, complex_done),
        rated=g("rated", 0),
        rating_rate=_ratio(g("rated", 0), served),
        satisfaction_share=_ratio(g("satisfied", 0), g("rated", 0)),
        agents=len(handled),
        workload_cv=statistics.pstdev(handled) / statistics.fmean(handled) if handled else None,
    )


def histogram(f: Mapping[str, int]) -> list[int]:
    return [f.get(name, 0) for name in WAIT_BUCKETS]
