"""The one definition of the hall's KPIs, computed from plain transaction records (docs/kpis.md).

A record is one counter transaction, or one ticket that never reached a counter (diverted, cancelled while
waiting, not served by day end). The rows of a transfer or a multi-service visit share their ticket, which is
identified by (ticket, local date of ``issued_at``). Ticket figures (arrivals, waits, no-show, cancel and
diversion rates, quoted-wait error) count each ticket once; transaction figures (served, phase times,
over-limit, pre-orders, ratings, workload) count each done transaction.

Durations come from :mod:`hallops.core.timing`; nothing here redefines them. Every figure whose denominator
is empty is ``None``. Sums use ``math.fsum`` so that the order of the records never changes a result.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, tzinfo
from enum import StrEnum

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


def percentile_linear(sorted_values: Sequence[float], q: float) -> float:
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
        self.first = min(rows, key=_row_order)
        calls = [r.called_at for r in rows if r.called_at is not None]
        self.wait = (min(calls) - self.first.issued_at).total_seconds() if calls else None
        quoted = self.first.quoted_wait_seconds
        self.quote_error = None if quoted is None or self.wait is None else abs(quoted - self.wait)
        outcomes = {r.outcome for r in rows}
        self.done = Outcome.DONE in outcomes
        self.no_show = Outcome.NO_SHOW in outcomes
        self.cancelled = Outcome.CANCELLED in outcomes
        self.diverted = Outcome.DIVERTED in outcomes


def _row_order(r: TransactionRecord) -> tuple[object, ...]:
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


def group_key(r: TransactionRecord, by: GroupBy, tz: tzinfo | None = None) -> str:
    """The group of a record: hour and day of the ticket's issue (in ``tz`` or the timestamp's own offset),
    or the record's service, agent, counter or channel (an empty agent or counter is the group "")."""
    if by is GroupBy.HOUR:
        return local_time(r.issued_at, tz).replace(minute=0, second=0, microsecond=0).isoformat(timespec="minutes")
    if by is GroupBy.DAY:
        return local_time(r.issued_at, tz).date().isoformat()
    value: str = getattr(r, by.value)
    return value


def _sorted_keys(keys: Iterable[str], by: GroupBy) -> list[str]:
    """Hours chronologically (their keys carry the offset), everything else by key."""
    if by is GroupBy.HOUR:
        return sorted(keys, key=lambda key: (datetime.fromisoformat(key), key))
    return sorted(keys)


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
    """
    rows = list(records)
    errors = [] if checked else record_errors(rows, tz=tz)
    if errors:
        raise errors[0]
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
