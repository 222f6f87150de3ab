"""The one definition of the hall's KPIs, computed from plain transaction records (docs/kpis.md).

A record is one counter transaction, or one ticket that never reached a counter (diverted, cancelled while
waiting, not served by day end). The rows of a transfer or a multi-service visit share their ticket, which is
identified by (ticket, local date of ``issued_at``). Ticket figures (arrivals, waits, no-show, cancel and
diversion rates, quoted-wait error) count each ticket once; transaction figures (served, phase times,
over-limit, pre-orders, ratings, workload) count each done transaction.

Durations come from :mod:`hallops.core.timing`; nothing here redefines them. Every figure whose denominator
is empty is ``None``. Sums use ``math.fsum`` so that the order of the records never changes a result.

Two implementations give the same report, float for float: :func:`reference_kpis`, the definition row by row,
and :func:`compute_kpis_table`, the same figures from columns (:class:`RecordTable`, numpy), which
:func:`compute_kpis` and ``hallops kpi`` run. A property test compares them on random histories.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import StrEnum
from itertools import pairwise, repeat
from operator import attrgetter, is_
from typing import Any, ClassVar, Protocol

import numpy as np
import numpy.typing as npt

from hallops.core.timing import (
    Overrun,
    TransactionTimes,
    communication_seconds,
    handling_seconds,
    operation_seconds,
    overrun_state,
    service_seconds,
    walk_seconds,
)

#: seed 003: no customer waits more than 10 minutes (a wait of exactly 10 minutes is within)
WAIT_TARGET_SECONDS = 600.0
#: ratings 3 very satisfied, 2 satisfied, 1 dissatisfied; "satisfied or better" is >= 2
SATISFIED_MIN_RATING = 2
RATINGS = (1, 2, 3)


class Outcome(StrEnum):
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    DIVERTED = "diverted"
    NOT_SERVED = "not_served"


class GroupBy(StrEnum):
    HOUR = "hour"
    DAY = "day"
    SERVICE = "service"
    AGENT = "agent"
    COUNTER = "counter"
    CHANNEL = "channel"


#: the timestamps of a record in the order they must happen (empty ones are skipped)
TIMESTAMP_ORDER = ("issued_at", "called_at", "arrived_at", "communication_at", "operation_at", "ended_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class TransactionRecord:
    """One row of a history: a counter transaction, or a ticket that never reached a counter.

    Empty strings mean "not known" for ``counter`` and ``agent``; ``None`` means a phase did not happen.
    """

    ticket: str
    service: str
    channel: str
    priority: str
    issued_at: datetime
    called_at: datetime | None = None
    arrived_at: datetime | None = None
    communication_at: datetime | None = None
    operation_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: Outcome
    counter: str = ""
    agent: str = ""
    rating: int | None = None
    quoted_wait_seconds: float | None = None
    pre_order: bool = False
    limit_minutes: float | None = None

    def times(self) -> TransactionTimes:
        """The timing view of a called record (``ended_at`` is the transaction's end)."""
        if self.called_at is None:
            raise ValueError("a record that was never called has no transaction times")
        return TransactionTimes(
            called_at=self.called_at,
            arrived_at=self.arrived_at,
            communication_at=self.communication_at,
            operation_at=self.operation_at,
            done_at=self.ended_at,
        )


class RecordError(Exception):
    """Record ``index`` (0-based) is bad in ``column``; ``other`` is the conflicting record, if any."""

    def __init__(self, index: int, column: str, message: str, other: int | None = None) -> None:
        super().__init__(index, column, message, other)
        self.index = index
        self.column = column
        self.message = message
        self.other = other

    def __str__(self) -> str:
        other = "" if self.other is None else f" (record {self.other})"
        return f"record {self.index}: {self.column}: {self.message}{other}"


TicketId = tuple[str, date]


def local_time(at: datetime, tz: tzinfo | None) -> datetime:
    """``at`` in ``tz``, or in its own offset when ``tz`` is None."""
    return at if tz is None else at.astimezone(tz)


def ticket_id(record: TransactionRecord, tz: tzinfo | None = None) -> TicketId:
    """(ticket, local date of issued_at): the rows of one ticket share it."""
    return record.ticket, local_time(record.issued_at, tz).date()


def _is_aware(at: datetime) -> bool:
    return at.tzinfo is not None and at.utcoffset() is not None


def record_problem(r: TransactionRecord) -> tuple[str, str] | None:
    """The first problem of one record as (column, message), or None when it is consistent."""
    for name in ("ticket", "service", "channel", "priority"):
        if not getattr(r, name):
            return name, "empty"
    for name in TIMESTAMP_ORDER:
        at = getattr(r, name)
        if at is not None and not _is_aware(at):
            return name, "no UTC offset"
    if r.called_at is None:
        for name in ("arrived_at", "communication_at", "operation_at"):
            if getattr(r, name) is not None:
                return name, "set but called_at is empty"
        if r.outcome in (Outcome.DONE, Outcome.NO_SHOW):
            return "called_at", f"empty on a {r.outcome.value} row"
    if r.outcome is Outcome.DIVERTED and r.called_at is not None:
        return "called_at", "a diverted ticket is never called"
    if r.outcome is Outcome.DONE and r.ended_at is None:
        return "ended_at", "empty on a done row"
    if r.outcome is Outcome.NO_SHOW:
        for name in ("arrived_at", "communication_at", "operation_at"):
            if getattr(r, name) is not None:
                return name, "set on a no_show row (the customer never came)"
    previous = "issued_at"
    for name in TIMESTAMP_ORDER[1:]:
        at = getattr(r, name)
        if at is None:
            continue
        before = getattr(r, previous)
        if at < before:
            return name, f"{at.isoformat()} is before {previous} {before.isoformat()}"
        previous = name
    if r.rating is not None:
        if r.rating not in RATINGS:
            return "rating", f"must be 1, 2 or 3, got {r.rating}"
        if r.outcome is not Outcome.DONE:
            return "rating", "only a done row can be rated"
    if r.quoted_wait_seconds is not None and not (math.isfinite(r.quoted_wait_seconds) and r.quoted_wait_seconds >= 0):
        return "quoted_wait_seconds", f"must be >= 0, got {r.quoted_wait_seconds}"
    if r.limit_minutes is not None and not (math.isfinite(r.limit_minutes) and r.limit_minutes > 0):
        return "limit_minutes", f"must be > 0, got {r.limit_minutes}"
    if r.outcome is Outcome.DONE and r.limit_minutes is None:
        return "limit_minutes", "empty on a done row (the over-limit share needs every done row's limit)"
    return None


#: columns every row of one ticket must agree on
_TICKET_COLUMNS = ("issued_at", "channel", "priority", "quoted_wait_seconds")


def record_errors(records: Sequence[TransactionRecord], *, tz: tzinfo | None = None) -> list[RecordError]:
    """Every bad record (at most one error each, in index order); empty when all are consistent.

    Besides each record's own checks: the rows of one ticket agree on ``_TICKET_COLUMNS``, a ticket has at
    most one row without a call, and a diverted ticket has only one row. ``tz`` is the zone of the local
    date in the ticket's identity (each timestamp's own offset when None).
    """
    errors: list[RecordError] = []
    first: dict[TicketId, int] = {}
    uncalled: dict[TicketId, int] = {}
    diverted: dict[TicketId, int] = {}
    for index, r in enumerate(records):
        problem = record_problem(r)
        if problem is not None:
            errors.append(RecordError(index, *problem))
            continue
        key = ticket_id(r, tz)
        seen = first.get(key)
        if seen is None:
            first[key] = index
        else:
            other = records[seen]
            column = next((c for c in _TICKET_COLUMNS if getattr(r, c) != getattr(other, c)), None)
            if column is not None:
                errors.append(RecordError(index, column, f"differs from another row of ticket {r.ticket}", seen))
                continue
            if r.outcome is Outcome.DIVERTED or key in diverted:
                conflict = diverted.get(key, seen)
                errors.append(RecordError(index, "outcome", "a diverted ticket has only one row", conflict))
                continue
        if r.called_at is None:
            if key in uncalled:
                message = f"ticket {r.ticket} already has a row without a call"
                errors.append(RecordError(index, "called_at", message, uncalled[key]))
                continue
            uncalled[key] = index
        if r.outcome is Outcome.DIVERTED:
            diverted[key] = index
    return errors


def percentile_linear(sorted_values: Sequence[float] | npt.NDArray[np.float64], q: float) -> float:
    """The ``q`` quantile (0 <= q <= 1) of sorted values, as numpy's default ``method="linear"``.

    Virtual index h = (n - 1) q; the result interpolates between the neighbours at floor(h) and floor(h) + 1
    with weight t = h - floor(h), computed as numpy does (a + (b - a) t, or b - (b - a)(1 - t) when t >= 0.5),
    so that the floats are the same as ``numpy.percentile(values, 100 q)``.
    """
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"q must be in [0, 1], got {q}")
    h = (n - 1) * q
    if h >= n - 1:
        return float(sorted_values[-1])
    low = math.floor(h)
    t = h - low
    a = float(sorted_values[low])
    b = float(sorted_values[low + 1])
    diff = b - a
    return b - diff * (1 - t) if t >= 0.5 else a + diff * t


@dataclass(frozen=True, slots=True)
class OverLimit:
    """A done transaction whose service time exceeded its business type's limit."""

    ticket: str
    issued_at: datetime
    service: str
    counter: str
    agent: str
    called_at: datetime
    service_seconds: float
    limit_seconds: float


@dataclass(frozen=True, slots=True)
class Kpis:
    """The figures of one group (or of everything). See docs/kpis.md for each formula."""

    # tickets
    arrivals: int
    called: int
    served_tickets: int
    no_shows: int
    cancelled: int
    diverted: int
    no_show_rate: float | None
    cancel_rate: float | None
    diversion_share: float | None
    wait_mean_seconds: float | None
    wait_median_seconds: float | None
    wait_p90_seconds: float | None
    wait_within_10min_share: float | None
    quoted_wait_mae_seconds: float | None
    # done transactions
    served: int
    walk_mean_seconds: float | None
    communication_mean_seconds: float | None
    operation_mean_seconds: float | None
    handling_mean_seconds: float | None
    service_mean_seconds: float | None
    over_limit_share: float | None
    over_limit: tuple[OverLimit, ...]
    pre_order_share: float | None
    handling_mean_with_pre_order_seconds: float | None
    handling_mean_without_pre_order_seconds: float | None
    pre_order_complex_coverage: float | None
    rated: int
    rating_rate: float | None
    satisfaction_share: float | None
    agents: int
    workload_cv: float | None


@dataclass(frozen=True, slots=True)
class KpiReport:
    total: Kpis
    by: GroupBy | None
    #: group key -> figures, in key order (hours and days chronologically); empty without ``by``
    groups: Mapping[str, Kpis]
    #: whether complex business types were given (else ``pre_order_complex_coverage`` is not known)
    complex_known: bool


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


class _Ticket:
    """One ticket's own figures, computed once and added to each of its groups."""

    __slots__ = ("cancelled", "diverted", "done", "first", "no_show", "quote_error", "wait")

    def __init__(self, rows: list[TransactionRecord]) -> None:
        self.first = min(rows, key=row_order)
        calls = [r.called_at for r in rows if r.called_at is not None]
        self.wait = (min(calls) - self.first.issued_at).total_seconds() if calls else None
        quoted = self.first.quoted_wait_seconds
        self.quote_error = None if quoted is None or self.wait is None else abs(quoted - self.wait)
        outcomes = {r.outcome for r in rows}
        self.done = Outcome.DONE in outcomes
        self.no_show = Outcome.NO_SHOW in outcomes
        self.cancelled = Outcome.CANCELLED in outcomes
        self.diverted = Outcome.DIVERTED in outcomes


def row_order(r: TransactionRecord) -> tuple[object, ...]:
    """A total order on the rows of one ticket: called rows by call time first, then the rest."""
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


class _Done:
    """One done transaction's own figures (from core.timing), computed once."""

    __slots__ = (
        "agent",
        "communication",
        "complex",
        "handling",
        "operation",
        "over",
        "pre_order",
        "rating",
        "service",
        "walk",
    )

    def __init__(self, r: TransactionRecord, complex_services: frozenset[str] | None) -> None:
        times = r.times()
        handling = handling_seconds(times)
        service = service_seconds(times)
        # record_problem guarantees these on a done row
        assert handling is not None and service is not None
        assert r.limit_minutes is not None and r.called_at is not None
        self.handling = handling
        self.service = service
        self.walk = walk_seconds(times)
        self.communication = communication_seconds(times)
        self.operation = operation_seconds(times)
        limit = r.limit_minutes * 60
        self.over = (
            OverLimit(r.ticket, r.issued_at, r.service, r.counter, r.agent, r.called_at, service, limit)
            if overrun_state(service, limit) is Overrun.OVER
            else None
        )
        self.pre_order = r.pre_order
        self.complex = complex_services is not None and r.service in complex_services
        self.rating = r.rating
        self.agent = r.agent


class _Acc:
    """Running totals of one group."""

    def __init__(self) -> None:
        self.arrivals = 0
        self.called = 0
        self.served_tickets = 0
        self.no_shows = 0
        self.cancelled = 0
        self.diverted = 0
        self.waits: list[float] = []
        self.quote_errors: list[float] = []
        self.served = 0
        self.walks: list[float] = []
        self.communications: list[float] = []
        self.operations: list[float] = []
        self.handlings: list[float] = []
        self.services: list[float] = []
        self.over: list[OverLimit] = []
        self.with_pre: list[float] = []
        self.without_pre: list[float] = []
        self.complex_done = 0
        self.complex_pre = 0
        self.rated = 0
        self.satisfied = 0
        self.per_agent: dict[str, int] = {}

    def add_ticket(self, t: _Ticket) -> None:
        self.arrivals += 1
        self.served_tickets += t.done
        self.no_shows += t.no_show
        self.cancelled += t.cancelled
        self.diverted += t.diverted
        if t.wait is not None:
            self.called += 1
            self.waits.append(t.wait)
            if t.quote_error is not None:
                self.quote_errors.append(t.quote_error)

    def add_done(self, d: _Done) -> None:
        self.served += 1
        self.handlings.append(d.handling)
        self.services.append(d.service)
        if d.walk is not None:
            self.walks.append(d.walk)
        if d.communication is not None:
            self.communications.append(d.communication)
        if d.operation is not None:
            self.operations.append(d.operation)
        if d.over is not None:
            self.over.append(d.over)
        (self.with_pre if d.pre_order else self.without_pre).append(d.handling)
        if d.complex:
            self.complex_done += 1
            self.complex_pre += d.pre_order
        if d.rating is not None:
            self.rated += 1
            self.satisfied += d.rating >= SATISFIED_MIN_RATING
        if d.agent:
            self.per_agent[d.agent] = self.per_agent.get(d.agent, 0) + 1

    def result(self) -> Kpis:
        waits = sorted(self.waits)
        handled = list(self.per_agent.values())
        workload_cv = statistics.pstdev(handled) / statistics.fmean(handled) if handled else None
        return Kpis(
            arrivals=self.arrivals,
            called=self.called,
            served_tickets=self.served_tickets,
            no_shows=self.no_shows,
            cancelled=self.cancelled,
            diverted=self.diverted,
            no_show_rate=_ratio(self.no_shows, self.called),
            cancel_rate=_ratio(self.cancelled, self.arrivals),
            diversion_share=_ratio(self.diverted, self.arrivals),
            wait_mean_seconds=_mean(waits),
            wait_median_seconds=percentile_linear(waits, 0.5) if waits else None,
            wait_p90_seconds=percentile_linear(waits, 0.9) if waits else None,
            wait_within_10min_share=_ratio(sum(w <= WAIT_TARGET_SECONDS for w in waits), len(waits)),
            quoted_wait_mae_seconds=_mean(self.quote_errors),
            served=self.served,
            walk_mean_seconds=_mean(self.walks),
            communication_mean_seconds=_mean(self.communications),
            operation_mean_seconds=_mean(self.operations),
            handling_mean_seconds=_mean(self.handlings),
            service_mean_seconds=_mean(self.services),
            over_limit_share=_ratio(len(self.over), self.served),
            over_limit=tuple(sorted(self.over, key=_over_order)),
            pre_order_share=_ratio(len(self.with_pre), self.served),
            handling_mean_with_pre_order_seconds=_mean(self.with_pre),
            handling_mean_without_pre_order_seconds=_mean(self.without_pre),
            pre_order_complex_coverage=_ratio(self.complex_pre, self.complex_done),
            rated=self.rated,
            rating_rate=_ratio(self.rated, self.served),
            satisfaction_share=_ratio(self.satisfied, self.rated),
            agents=len(handled),
            workload_cv=workload_cv,
        )


def _over_order(o: OverLimit) -> tuple[object, ...]:
    return (o.called_at, o.ticket, o.service, o.counter, o.agent, o.service_seconds, o.limit_seconds)


def hour_key(local: datetime) -> str:
    """The key of the hour a local time falls in: its start with the offset, e.g. ``2024-03-10T09:00+08:00``."""
    return local.replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")


def group_key(r: TransactionRecord, by: GroupBy, tz: tzinfo | None = None) -> str:
    """The group of a record: hour and day of the ticket's issue (in ``tz`` or the timestamp's own offset),
    or the record's service, agent, counter or channel (an empty agent or counter is the group "")."""
    if by is GroupBy.HOUR:
        return hour_key(local_time(r.issued_at, tz))
    if by is GroupBy.DAY:
        return local_time(r.issued_at, tz).date().isoformat()
    value: str = getattr(r, by.value)
    return value


def _sorted_keys(keys: Iterable[str], by: GroupBy) -> list[str]:
    """Hours chronologically (their keys carry the offset), everything else by key."""
    if by is GroupBy.HOUR:
        return sorted(keys, key=lambda key: (datetime.fromisoformat(key), key))
    return sorted(keys)


def reference_kpis(
    records: Iterable[TransactionRecord],
    *,
    by: GroupBy | None = None,
    tz: tzinfo | None = None,
    complex_services: frozenset[str] | None = None,
) -> KpiReport:
    """The figures computed row by row, the straightforward way: the definition that :func:`compute_kpis` must
    equal to the last bit (a property test compares them). The records must be consistent
    (:func:`record_errors` empty). :func:`compute_kpis` falls back to it for the few inputs its columns cannot
    represent (datetimes with several non-fixed time zones, see :class:`RecordTable`)."""
    rows = list(records)
    by_ticket: dict[TicketId, list[TransactionRecord]] = {}
    for r in rows:
        by_ticket.setdefault(ticket_id(r, tz), []).append(r)
    total = _Acc()
    groups: dict[str, _Acc] = {}

    def accumulators(r: TransactionRecord) -> tuple[_Acc, ...]:
        if by is None:
            return (total,)
        key = group_key(r, by, tz)
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Acc()
        return total, group

    for ticket_rows in by_ticket.values():
        ticket = _Ticket(ticket_rows)
        for acc in accumulators(ticket.first):
            acc.add_ticket(ticket)
        for r in ticket_rows:
            if r.outcome is Outcome.DONE:
                done = _Done(r, complex_services)
                for acc in accumulators(r):
                    acc.add_done(done)
    keys = _sorted_keys(groups, by) if by is not None else []
    return KpiReport(
        total=total.result(),
        by=by,
        groups={key: groups[key].result() for key in keys},
        complex_known=complex_services is not None,
    )


# ---------------------------------------------------------------------------------------------------------------
# The same figures from columns: what compute_kpis and `hallops kpi` run. Every figure is computed from the same
# quantities as reference_kpis, in a way that gives the same floats: timestamps are integer microseconds, so a
# duration is (end - start) / 10**6 exactly as timedelta.total_seconds() divides; means are math.fsum over the
# same values; percentiles are percentile_linear over the same sorted waits; the workload CV is statistics' own
# functions over the same counts.

_NONE = np.iinfo(np.int64).min  # an empty timestamp
_US = 1_000_000
_US_HOUR = 3600 * _US
_US_DAY = 86400 * _US
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_WALL = _EPOCH.replace(tzinfo=None)
_EPOCH_ORDINAL = _EPOCH.toordinal()
_ONE_US = timedelta(microseconds=1)
#: the outcomes in the order of their values (the last tie-break of a ticket's first transaction); a table
#: stores each row's outcome as its index here
OUTCOME_ORDER: tuple[Outcome, ...] = tuple(sorted(Outcome, key=lambda o: o.value))
OUTCOME_CODES: Mapping[Outcome, int] = {o: i for i, o in enumerate(OUTCOME_ORDER)}
_DONE = OUTCOME_CODES[Outcome.DONE]
_NO_SHOW = OUTCOME_CODES[Outcome.NO_SHOW]
_CANCELLED = OUTCOME_CODES[Outcome.CANCELLED]
_DIVERTED = OUTCOME_CODES[Outcome.DIVERTED]
#: below this many records compute_kpis runs reference_kpis: numpy's fixed costs outweigh its speed (about
#: even at 50-100 records; at 1,000 the columns take 7 ms against 17 ms)
SMALL_HISTORY = 64

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True, eq=False)
class Labels:
    """A text column as codes into its distinct values, sorted, so that codes order as the texts do."""

    codes: Ints
    names: tuple[str, ...]

    @classmethod
    def of(cls, texts: Sequence[str]) -> Labels:
        names = sorted(set(texts))
        index = {name: i for i, name in enumerate(names)}
        return cls(np.fromiter(map(index.__getitem__, texts), np.int64, count=len(texts)), tuple(names))


class RowSource(Protocol):
    """The original values of a table's rows that the figures show as they are (over-limit transactions, keys)."""

    def datetimes(self, rows: Sequence[int], column: str) -> list[datetime]:
        """The datetimes of ``column`` (issued_at or called_at) in ``rows``, as the records have them."""
        ...

    def limit_seconds(self, rows: Sequence[int]) -> list[float]:
        """``limit_minutes * 60`` of ``rows``, computed from the records' own values."""
        ...


@dataclass(frozen=True, slots=True)
class _RecordSource:
    records: Sequence[TransactionRecord]

    def datetimes(self, rows: Sequence[int], column: str) -> list[datetime]:
        get = attrgetter(column)
        return [get(self.records[row]) for row in rows]

    def limit_seconds(self, rows: Sequence[int]) -> list[float]:
        return [_limit_seconds(self.records[row]) for row in rows]


def _limit_seconds(r: TransactionRecord) -> float:
    assert r.limit_minutes is not None  # a done row has one
    return r.limit_minutes * 60


@dataclass(frozen=True, slots=True, eq=False)
class RecordTable:
    """Records as columns, for :func:`compute_kpis_table`. Build one with :meth:`from_records` or
    ``hallops.core.history_csv.read_history_table``.

    Timestamps are integer microseconds (``NONE`` when empty) on one time scale, the one Python compares and
    subtracts the datetimes on: since the Unix epoch, or, when every timestamp carries the same tzinfo object
    and it is not a fixed offset, since 1970-01-01 on that zone's wall clock (aware datetimes with the same
    tzinfo are compared and subtracted by wall-clock time). ``issued_local`` is the wall-clock time of
    ``issued_at`` in ``tz`` (or in its own offset), ``issued_offset`` that clock's UTC offset; they give the
    ticket's local date, hour and day. ``tz`` is part of the table because a ticket's identity depends on it.
    """

    tz: tzinfo | None
    ticket: Labels
    service: Labels
    channel: Labels
    priority: Labels
    counter: Labels
    agent: Labels
    #: indexes into OUTCOME_ORDER
    outcome: Ints
    issued: Ints
    called: Ints
    arrived: Ints
    communication: Ints
    operation: Ints
    ended: Ints
    issued_local: Ints
    issued_offset: Ints
    #: 0 when not rated
    rating: Ints
    #: NaN when empty
    quoted: Floats
    pre_order: Bools
    #: NaN when empty
    limit: Floats
    source: RowSource
    #: a value outside the columns' types was seen (a rating other than 1-3, an empty text): not consistent
    bad_values: bool = False
    #: each row's ticket (numbered by (ticket, local date of issued_at)), and each ticket's first row in the input
    tk: Ints = field(init=False)
    first_seen: Ints = field(init=False)

    NONE: ClassVar[int] = int(_NONE)

    def __post_init__(self) -> None:
        tk, first_seen = _ticket_index(self.ticket.codes, self.issued_local)
        object.__setattr__(self, "tk", tk)
        object.__setattr__(self, "first_seen", first_seen)

    @property
    def size(self) -> int:
        return len(self.outcome)

    @classmethod
    def from_records(cls, records: Sequence[TransactionRecord], *, tz: tzinfo | None = None) -> RecordTable | None:
        """The records as columns, or None when they do not fit: a naive or out-of-range datetime (which
        :func:`record_errors` reports), or datetimes with several tzinfo objects of which one is not a fixed
        offset (Python's mixed wall-clock and UTC comparisons have no single scale; :func:`reference_kpis` then)."""
        try:
            return cls._from_records(records, tz)
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
            return None

    @classmethod
    def _from_records(cls, records: Sequence[TransactionRecord], tz: tzinfo | None) -> RecordTable | None:
        def column(name: str) -> list[Any]:
            return list(map(attrgetter(name), records))

        stamps = {name: column(name) for name in TIMESTAMP_ORDER}
        kinds: set[type] = set()
        for values in stamps.values():
            kinds.update(map(type, map(attrgetter("tzinfo"), filter(None, values))))
        if kinds <= {timezone}:
            wall = False  # fixed offsets only: Python compares and subtracts them in UTC
        else:
            objects: set[int] = set()  # by identity (a zone is not hashed by value for every row)
            for values in stamps.values():
                objects.update(map(id, map(attrgetter("tzinfo"), filter(None, values))))
            if len(objects) != 1:
                return None
            wall = True
        micros: dict[str, Ints] = {}
        for name, values in stamps.items():
            clock, offsets = _clock(values, wall=wall)
            micros[name] = clock if wall else clock - offsets
            if name == "issued_at":
                issued_offsets = offsets
        utc = micros["issued_at"] - issued_offsets if wall else micros["issued_at"]
        local, offset = local_clock(utc, issued_offsets, tz)
        ratings = column("rating")
        texts = {name: Labels.of(column(name)) for name in ("ticket", "service", "channel", "priority")}
        bad_values = not set(ratings) <= {None, *RATINGS} or any("" in labels.names for labels in texts.values())
        return cls(
            tz=tz,
            counter=Labels.of(column("counter")),
            agent=Labels.of(column("agent")),
            outcome=np.fromiter(map(OUTCOME_CODES.__getitem__, column("outcome")), np.int64, count=len(records)),
            issued=micros["issued_at"],
            called=micros["called_at"],
            arrived=micros["arrived_at"],
            communication=micros["communication_at"],
            operation=micros["operation_at"],
            ended=micros["ended_at"],
            issued_local=local,
            issued_offset=offset,
            rating=np.array([0 if r is None else r for r in ratings], np.int64),
            quoted=_floats(column("quoted_wait_seconds")),
            pre_order=np.array(list(map(bool, column("pre_order"))), np.bool_),
            limit=_floats(column("limit_minutes")),
            source=_RecordSource(records),
            bad_values=bad_values,
            **texts,
        )

    def problems(self) -> bool:
        """Whether some record may be bad: False means :func:`record_errors` finds nothing (the same checks on
        the columns); True sends the records to record_errors for the messages."""
        if self.bad_values:
            return True
        o = self.outcome
        uncalled = self.called == _NONE
        later_phase = (self.arrived != _NONE) | (self.communication != _NONE) | (self.operation != _NONE)
        done = o == _DONE
        bad = uncalled & (later_phase | done | (o == _NO_SHOW))
        bad |= (o == _DIVERTED) & ~uncalled
        bad |= done & ((self.ended == _NONE) | np.isnan(self.limit))
        bad |= (o == _NO_SHOW) & later_phase
        bad |= (self.rating != 0) & ~done
        previous = self.issued
        for at in (self.called, self.arrived, self.communication, self.operation, self.ended):
            present = at != _NONE
            bad |= present & (at < previous)
            previous = np.where(present, at, previous)
        with np.errstate(invalid="ignore"):
            bad |= ~np.isnan(self.quoted) & ~(np.isfinite(self.quoted) & (self.quoted >= 0))
            bad |= ~np.isnan(self.limit) & ~(np.isfinite(self.limit) & (self.limit > 0))
        if bad.any():
            return True
        # the rows of one ticket agree with its first row; at most one row without a call; a diverted one alone
        first = self.first_seen[self.tk]
        quoted, first_quoted = self.quoted, self.quoted[first]
        if (
            (self.issued != self.issued[first]).any()
            or (self.channel.codes != self.channel.codes[first]).any()
            or (self.priority.codes != self.priority.codes[first]).any()
            or ((quoted != first_quoted) & ~(np.isnan(quoted) & np.isnan(first_quoted))).any()
        ):
            return True
        tickets = len(self.first_seen)
        if (np.bincount(self.tk[uncalled], minlength=tickets) > 1).any():
            return True
        rows = np.bincount(self.tk, minlength=tickets)
        return bool(((o == _DIVERTED) & (rows[self.tk] > 1)).any())


def _clock(values: Sequence[datetime | None], *, wall: bool) -> tuple[Ints, Ints]:
    """Wall-clock microseconds since 1970-01-01 of aware datetimes (NONE for None) and their UTC offsets in
    microseconds: each datetime's own when ``wall``, else those of their fixed-offset zones (looked up once per
    distinct offset). One pass over the values per field: each a C call per value."""
    n = len(values)
    filled = [_EPOCH if at is None else at for at in values]

    def ints(get: Callable[[Any], int]) -> Ints:
        return np.array(list(map(get, filled)), np.int64)

    clock = ints(datetime.toordinal) - _EPOCH_ORDINAL
    for name, scale in (("hour", 24), ("minute", 60), ("second", 60)):
        clock = clock * scale + ints(attrgetter(name))
    clock = clock * _US + ints(attrgetter("microsecond"))
    clock[np.fromiter(map(is_, values, repeat(None)), np.bool_, count=n)] = _NONE
    found = list(map(datetime.utcoffset if wall else attrgetter("tzinfo"), filled))
    known = {value: _micros_of(value) for value in set(found)}
    return clock, np.array(list(map(known.__getitem__, found)), np.int64)


def _micros_of(offset: timedelta | tzinfo | None) -> int:
    if isinstance(offset, tzinfo):
        offset = offset.utcoffset(None)
    if offset is None:
        raise TypeError("no UTC offset")
    return offset // _ONE_US


def civil_days(year: Ints, month: Ints, day: Ints) -> Ints:
    """Days since 1970-01-01 of proleptic Gregorian dates (H. Hinnant's days_from_civil)."""
    year = year - (month <= 2)
    era = year // 400
    year_of_era = year - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    result: Ints = era * 146097 + day_of_era - 719468
    return result


def _floats(values: Sequence[float | None]) -> Floats:
    return np.array([math.nan if v is None else v for v in values], np.float64)


def local_clock(utc: Ints, own_offsets: Ints, tz: tzinfo | None) -> tuple[Ints, Ints]:
    """(wall-clock microseconds, UTC offset in microseconds) of UTC instants in ``tz``, or in their own offsets
    when ``tz`` is None. A zone's offset is looked up once per UTC hour when it is the same at both ends of the
    hour, else per instant."""
    if tz is None:
        return utc + own_offsets, own_offsets
    hours, inverse = np.unique(utc // _US_HOUR, return_inverse=True)
    per_hour = np.empty(len(hours), np.int64)
    steady = np.ones(len(hours), np.bool_)
    for i, hour in enumerate(hours.tolist()):
        begin = _EPOCH + timedelta(hours=hour)
        first = _offset(begin, tz)
        per_hour[i] = first
        steady[i] = first == _offset(begin + timedelta(microseconds=_US_HOUR - 1), tz)
    offsets = per_hour[inverse]
    for row in np.flatnonzero(~steady[inverse]).tolist():
        offsets[row] = _offset(_EPOCH + timedelta(microseconds=int(utc[row])), tz)
    return utc + offsets, offsets


def _offset(at: datetime, tz: tzinfo) -> int:
    offset = at.astimezone(tz).utcoffset()
    if offset is None:
        raise ValueError(f"{tz!r} gives no UTC offset")
    return offset // _ONE_US


def _ticket_index(tickets: Ints, issued_local: Ints) -> tuple[Ints, Ints]:
    """Each row's ticket number (a ticket is (ticket, local date)) and each ticket's first row."""
    if len(tickets) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    days = issued_local // _US_DAY
    low = days.min()
    key = tickets * (int(days.max() - low) + 1) + (days - low)
    _, first_seen, tk = np.unique(key, return_index=True, return_inverse=True)
    return tk.astype(np.int64), first_seen.astype(np.int64)


def _first_rows(t: RecordTable) -> Ints:
    """Each ticket's first transaction (row_order: called rows by call time first, then the rest; ties by
    ended_at, service, counter, agent and outcome, then the input order, as min() takes them)."""
    tk = t.tk
    first = np.empty(len(t.first_seen), np.int64)
    counts = np.bincount(tk, minlength=len(first))
    alone = counts[tk] == 1
    rows = np.flatnonzero(alone)
    first[tk[rows]] = rows
    shared = np.flatnonzero(~alone)
    if len(shared):
        issued, called, ended = t.issued[shared], t.called[shared], t.ended[shared]
        uncalled, open_ = called == _NONE, ended == _NONE
        order = np.lexsort(
            (
                t.outcome[shared],
                t.agent.codes[shared],
                t.counter.codes[shared],
                t.service.codes[shared],
                np.where(open_, issued, ended),
                open_,
                np.where(uncalled, issued, called),
                uncalled,
                tk[shared],
            )
        )
        ordered = tk[shared][order]
        starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
        first[ordered[starts]] = shared[order[starts]]
    return first


def _row_groups(t: RecordTable, by: GroupBy) -> tuple[Ints, list[str]]:
    """Each row's group as an index into a list of distinct keys (in no particular order)."""
    if by is GroupBy.HOUR:
        offsets, offset_codes = np.unique(t.issued_offset, return_inverse=True)
        pairs = (t.issued_local // _US_HOUR) * len(offsets) + offset_codes
        _, representatives, codes = np.unique(pairs, return_index=True, return_inverse=True)
        # one key per (local hour, offset), from a row of it, with the very function reference_kpis uses
        keys = [hour_key(local_time(at, t.tz)) for at in t.source.datetimes(representatives.tolist(), "issued_at")]
        distinct: dict[str, int] = {}
        merged = np.array([distinct.setdefault(key, len(distinct)) for key in keys], np.int64)
        return merged[codes], list(distinct)
    if by is GroupBy.DAY:
        days, codes = np.unique(t.issued_local // _US_DAY, return_inverse=True)
        return codes.astype(np.int64), [date.fromordinal(day + _EPOCH_ORDINAL).isoformat() for day in days.tolist()]
    labels = {GroupBy.SERVICE: t.service, GroupBy.AGENT: t.agent, GroupBy.COUNTER: t.counter}.get(by, t.channel)
    return labels.codes, list(labels.names)


@dataclass(frozen=True, slots=True)
class _TicketFigures:
    """Per ticket: its wait and quote error (where defined) and which outcomes it had."""

    wait: Floats
    waited: Bools
    quote_error: Floats
    quoted: Bools
    done: Bools
    no_show: Bools
    cancelled: Bools
    diverted: Bools


@dataclass(frozen=True, slots=True)
class _DoneFigures:
    """Per done transaction: its times (where defined) and flags."""

    handling: Floats
    service: Floats
    walk: Floats
    walked: Bools
    communication: Floats
    communicated: Bools
    operation: Floats
    operated: Bools
    over: Bools
    pre_order: Bools
    complex: Bools
    rating: Ints
    agent: Ints
    named_agent: Bools


def compute_kpis_table(
    table: RecordTable, *, by: GroupBy | None = None, complex_services: frozenset[str] | None = None
) -> KpiReport:
    """:func:`compute_kpis` over a table of consistent records (``table.problems()`` is False): the same report,
    float for float, as :func:`reference_kpis` over the same records."""
    t = table
    tk, outcome = t.tk, t.outcome
    first = _first_rows(t)
    tickets = len(first)
    first_call = t.called[first]
    waited = first_call != _NONE
    wait = np.where(waited, first_call - t.issued[first], 0) / _US
    quote = t.quoted[first]

    def had(code: int) -> Bools:
        flag = np.zeros(tickets, np.bool_)
        flag[tk[outcome == code]] = True
        return flag

    ticket_figures = _TicketFigures(
        wait=wait,
        waited=waited,
        quote_error=np.abs(quote - wait),
        quoted=waited & ~np.isnan(quote),
        done=had(_DONE),
        no_show=had(_NO_SHOW),
        cancelled=had(_CANCELLED),
        diverted=had(_DIVERTED),
    )
    d = np.flatnonzero(outcome == _DONE)
    called, ended = t.called[d], t.ended[d]
    arrived, communication, operation = t.arrived[d], t.communication[d], t.operation[d]
    walked, communicated, operated = arrived != _NONE, communication != _NONE, operation != _NONE
    start = np.where(walked, arrived, called)
    phase_end = np.where(operated, operation, ended)
    service = (ended - start) / _US
    limit_seconds = t.limit[d] * 60.0
    over = service > limit_seconds
    complex_names = np.array([complex_services is not None and n in complex_services for n in t.service.names])
    agent = t.agent.codes[d]
    done_figures = _DoneFigures(
        handling=(ended - called) / _US,
        service=service,
        walk=(start - called) / _US,
        walked=walked,
        communication=(phase_end - np.where(communicated, communication, phase_end)) / _US,
        communicated=communicated,
        operation=(ended - phase_end) / _US,
        operated=operated,
        over=over,
        pre_order=t.pre_order[d],
        complex=complex_names[t.service.codes[d]] if len(d) else np.zeros(0, np.bool_),
        rating=t.rating[d],
        agent=agent,
        named_agent=np.array([bool(name) for name in t.agent.names], np.bool_)[agent],
    )
    # the over-limit transactions in _over_order; ties in the order reference_kpis meets them (tickets in the
    # order they first appear, each ticket's rows in input order)
    over_at = np.flatnonzero(over)
    rows = d[over_at]
    order = np.lexsort(
        (
            rows,
            t.first_seen[tk[rows]],
            limit_seconds[over_at],
            service[over_at],
            t.agent.codes[rows],
            t.counter.codes[rows],
            t.service.codes[rows],
            t.ticket.codes[rows],
            called[over_at],
        )
    )
    over_at, rows = over_at[order], rows[order]
    over_rows = rows.tolist()
    over_limit = list(
        map(
            OverLimit,
            _names(t.ticket, rows),
            t.source.datetimes(over_rows, "issued_at"),
            _names(t.service, rows),
            _names(t.counter, rows),
            _names(t.agent, rows),
            t.source.datetimes(over_rows, "called_at"),
            service[over_at].tolist(),
            t.source.limit_seconds(over_rows),
        )
    )
    tg, dg = np.zeros(tickets, np.int64), np.zeros(len(d), np.int64)
    total = _aggregate(1, tg, ticket_figures, dg, done_figures, over_at, over_limit)[0]
    groups: dict[str, Kpis] = {}
    if by is not None:
        row_group, keys = _row_groups(t, by)
        used = np.zeros(len(keys), np.bool_)
        used[row_group[first]] = True
        used[row_group[d]] = True
        ordered = _sorted_keys([keys[i] for i in np.flatnonzero(used).tolist()], by)
        position = {key: i for i, key in enumerate(ordered)}
        rank = np.array([position.get(key, -1) for key in keys], np.int64)
        tg, dg = rank[row_group[first]], rank[row_group[d]]
        figures = _aggregate(len(ordered), tg, ticket_figures, dg, done_figures, over_at, over_limit)
        groups = dict(zip(ordered, figures, strict=True))
    return KpiReport(total=total, by=by, groups=groups, complex_known=complex_services is not None)


def _names(labels: Labels, rows: Ints) -> list[str]:
    return list(map(labels.names.__getitem__, labels.codes[rows].tolist()))


def _slices(groups: Ints, size: int) -> list[int]:
    """Bounds of each group's run in values sorted by group: group g is [bounds[g], bounds[g + 1])."""
    bounds: list[int] = np.searchsorted(groups, np.arange(size + 1)).tolist()
    return bounds


def _means(size: int, groups: Ints, values: Floats) -> list[float | None]:
    """Per group, math.fsum of its values / their count (None without any).

    fsum is the correctly rounded exact sum, so it may be taken in parts: the values that are whole numbers (most
    durations are whole seconds) are added exactly as integers first (in floats below 2**52 every sum of them is
    exact), and fsum adds the others to that total."""
    counts: list[int] = np.bincount(groups, minlength=size).tolist()
    whole = values == np.floor(values)
    if values[whole].sum() >= 2.0**52:
        whole[:] = False
    totals: list[float] = np.bincount(groups[whole], weights=values[whole], minlength=size).tolist()
    rest_groups, rest = groups[~whole], values[~whole]
    if size == 1:
        parts = [rest.tolist()]
    else:
        order = np.argsort(rest_groups, kind="stable")
        ordered = rest[order].tolist()
        parts = [ordered[a:b] for a, b in pairwise(_slices(rest_groups[order], size))]
    return [math.fsum([total, *part]) / n if n else None for total, part, n in zip(totals, parts, counts, strict=True)]


def _aggregate(
    size: int,
    tg: Ints,
    tf: _TicketFigures,
    dg: Ints,
    df: _DoneFigures,
    over_at: Ints,
    over_limit: list[OverLimit],
) -> list[Kpis]:
    """The figures of ``size`` groups: ticket i is in group tg[i], done transaction j in group dg[j]."""

    def count(groups: Ints, where: Bools | None = None) -> list[int]:
        counts: list[int] = np.bincount(groups if where is None else groups[where], minlength=size).tolist()
        return counts

    def means(groups: Ints, values: Floats, where: Bools | None = None) -> list[float | None]:
        return _means(size, groups, values) if where is None else _means(size, groups[where], values[where])

    arrivals = count(tg)
    called = count(tg, tf.waited)
    wait_groups, waits = tg[tf.waited], tf.wait[tf.waited]
    if size == 1:
        sorted_waits = np.sort(waits)
        wait_bounds = [0, len(waits)]
    else:
        order = np.lexsort((waits, wait_groups))
        sorted_waits = waits[order]
        wait_bounds = _slices(wait_groups[order], size)
    wait_means = _means(size, wait_groups, waits)
    within = count(wait_groups, waits <= WAIT_TARGET_SECONDS)
    served = count(dg)
    handling = means(dg, df.handling)
    pre_order = count(dg, df.pre_order)
    rated = count(dg, df.rating != 0)
    per_group_over: list[list[OverLimit]] = [[] for _ in range(size)]
    for j, o in zip(dg[over_at].tolist(), over_limit, strict=True):
        per_group_over[j].append(o)
    handled: list[list[int]] = [[] for _ in range(size)]
    agent_groups, agents = dg[df.named_agent], df.agent[df.named_agent]
    if size == 1:
        agent_counts = np.bincount(agents)
        handled[0] = agent_counts[agent_counts > 0].tolist()
    elif len(agents):
        order = np.lexsort((agents, agent_groups))
        agent_groups, agents = agent_groups[order], agents[order]
        starts = np.flatnonzero(
            np.concatenate(([True], (agent_groups[1:] != agent_groups[:-1]) | (agents[1:] != agents[:-1])))
        )
        runs = np.diff(np.concatenate((starts, [len(agents)]))).tolist()
        for g, n in zip(agent_groups[starts].tolist(), runs, strict=True):
            handled[g].append(n)
    counts = {
        "arrivals": arrivals,
        "called": called,
        "served_tickets": count(tg, tf.done),
        "no_shows": count(tg, tf.no_show),
        "cancelled": count(tg, tf.cancelled),
        "diverted": count(tg, tf.diverted),
        "served": served,
        "over": count(dg, df.over),
        "pre_order": pre_order,
        "complex_done": count(dg, df.complex),
        "complex_pre": count(dg, df.complex & df.pre_order),
        "rated": rated,
        "satisfied": count(dg, df.rating >= SATISFIED_MIN_RATING),
    }
    mean_values = {
        "quoted_wait_mae_seconds": means(tg, tf.quote_error, tf.quoted),
        "walk_mean_seconds": means(dg, df.walk, df.walked),
        "communication_mean_seconds": means(dg, df.communication, df.communicated),
        "operation_mean_seconds": means(dg, df.operation, df.operated),
        "handling_mean_seconds": handling,
        "service_mean_seconds": means(dg, df.service),
        "with_pre": means(dg, df.handling, df.pre_order),
        "without_pre": means(dg, df.handling, ~df.pre_order),
    }
    out = []
    for g in range(size):
        c = {name: values[g] for name, values in counts.items()}
        m = {name: values[g] for name, values in mean_values.items()}
        a, b = wait_bounds[g], wait_bounds[g + 1]
        group_waits = sorted_waits[a:b]
        per_agent = handled[g]
        out.append(
            Kpis(
                arrivals=c["arrivals"],
                called=c["called"],
                served_tickets=c["served_tickets"],
                no_shows=c["no_shows"],
                cancelled=c["cancelled"],
                diverted=c["diverted"],
                no_show_rate=_ratio(c["no_shows"], c["called"]),
                cancel_rate=_ratio(c["cancelled"], c["arrivals"]),
                diversion_share=_ratio(c["diverted"], c["arrivals"]),
                wait_mean_seconds=wait_means[g],
                wait_median_seconds=percentile_linear(group_waits, 0.5) if len(group_waits) else None,
                wait_p90_seconds=percentile_linear(group_waits, 0.9) if len(group_waits) else None,
                wait_within_10min_share=_ratio(within[g], len(group_waits)),
                quoted_wait_mae_seconds=m["quoted_wait_mae_seconds"],
                served=c["served"],
                walk_mean_seconds=m["walk_mean_seconds"],
                communication_mean_seconds=m["communication_mean_seconds"],
                operation_mean_seconds=m["operation_mean_seconds"],
                handling_mean_seconds=m["handling_mean_seconds"],
                service_mean_seconds=m["service_mean_seconds"],
                over_limit_share=_ratio(c["over"], c["served"]),
                over_limit=tuple(per_group_over[g]),
                pre_order_share=_ratio(c["pre_order"], c["served"]),
                handling_mean_with_pre_order_seconds=m["with_pre"],
                handling_mean_without_pre_order_seconds=m["without_pre"],
                pre_order_complex_coverage=_ratio(c["complex_pre"], c["complex_done"]),
                rated=c["rated"],
                rating_rate=_ratio(c["rated"], c["served"]),
                satisfaction_share=_ratio(c["satisfied"], c["rated"]),
                agents=len(per_agent),
                workload_cv=statistics.pstdev(per_agent) / statistics.fmean(per_agent) if per_agent else None,
            )
        )
    return out


def compute_kpis(
    records: Iterable[TransactionRecord],
    *,
    by: GroupBy | None = None,
    tz: tzinfo | None = None,
    complex_services: frozenset[str] | None = None,
    checked: bool = False,
) -> KpiReport:
    """Every KPI of docs/kpis.md over ``records``, in total and per group when ``by`` is given.

    A ticket's figures go to the group of its first transaction (the first row by call time; for hour and
    day, the hour and day it was issued), each done transaction's figures to its own group. ``tz`` sets the
    zone of hours, days and the ticket identity's date. ``complex_services`` are the business types counted
    for ``pre_order_complex_coverage`` (None: not known, the figure is None). Raises the first
    :class:`RecordError` when a record is bad; ``checked=True`` skips that check for records that already passed
    :func:`record_errors` with the same ``tz`` (a parsed history file), instead of checking them twice.

    The figures are those of :func:`reference_kpis` (the definition, row by row), computed from columns
    (:func:`compute_kpis_table`); small histories, and records whose datetimes fit no single time scale, go
    through reference_kpis itself.
    """
    rows = list(records)
    table = RecordTable.from_records(rows, tz=tz) if len(rows) >= SMALL_HISTORY else None
    if not checked and (table is None or table.problems()):
        errors = record_errors(rows, tz=tz)
        if errors:
            raise errors[0]
        if table is not None and table.problems():  # only if the column checks disagreed with record_errors
            table = None
    if table is None:
        return reference_kpis(rows, by=by, tz=tz, complex_services=complex_services)
    return compute_kpis_table(table, by=by, complex_services=complex_services)


def _over_limit_as_dict(o: OverLimit) -> dict[str, object]:
    return {
        "ticket": o.ticket,
        "issued_at": o.issued_at.isoformat(),
        "service": o.service,
        "counter": o.counter,
        "agent": o.agent,
        "called_at": o.called_at.isoformat(),
        "service_seconds": o.service_seconds,
        "limit_seconds": o.limit_seconds,
    }


def kpis_as_dict(k: Kpis, *, complex_known: bool = True) -> dict[str, object]:
    """The figures as JSON-ready values (floats unrounded, None for an empty denominator); without
    ``complex_known`` the complex-business coverage is left out rather than shown as null."""
    out: dict[str, object] = {}
    for f in fields(Kpis):  # the declaration order
        name = f.name
        value = getattr(k, name)
        if name == "over_limit":
            value = [_over_limit_as_dict(o) for o in value]
        elif name == "pre_order_complex_coverage" and not complex_known:
            continue
        out[name] = value
    return out


def report_as_dict(report: KpiReport) -> dict[str, object]:
    """``{"total": {...}}``, plus ``"groups": {key: {...}}`` when grouped."""
    known = report.complex_known
    out: dict[str, object] = {"total": kpis_as_dict(report.total, complex_known=known)}
    if report.by is not None:
        out["groups"] = {key: kpis_as_dict(k, complex_known=known) for key, k in report.groups.items()}
    return out
