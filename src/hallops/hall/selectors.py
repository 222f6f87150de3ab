"""Reads for the hall: queue positions, wait estimates, counters. Writes live in ``services``."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Avg, Count, Min, Q, QuerySet

from hallops.catalog.models import BusinessType
from hallops.core.estimate import WaitInput, estimate_wait_seconds
from hallops.core.states import ACTIVE_AT_COUNTER, TERMINAL_TICKET_STATES, TicketState
from hallops.core.timing import Overrun, TransactionTimes, overrun_state, service_seconds
from hallops.hall import hotpath
from hallops.hall.models import Outcome, PreOrder, ServiceTransaction, Ticket
from hallops.organisation.models import Counter, CounterStatus, Hall
from hallops.rawsql import fetch

RECENT_WINDOW = dt.timedelta(hours=2)
RECENT_SAMPLES_MIN = 3


def hall_local_day(hall: Hall, at: dt.datetime) -> dt.date:
    """The hall's local calendar day at an instant (never the server's)."""
    return at.astimezone(hall.tz).date()


def counters_for_hall(*, hall: Hall) -> QuerySet[Counter]:
    return Counter.objects.filter(hall=hall).prefetch_related("services").select_related("agent").order_by("number")


def day_open_tickets(*, hall: Hall, day: dt.date) -> QuerySet[Ticket]:
    """Tickets of ``day`` or earlier that are not finished (what the day end turns into not_served)."""
    open_states = [state.value for state in TicketState if state not in TERMINAL_TICKET_STATES]
    return Ticket.objects.filter(hall=hall, day__lte=day, status__in=open_states)


def day_open_transactions(*, hall: Hall, day: dt.date) -> QuerySet[ServiceTransaction]:
    """Open transactions of ``day`` or earlier: those of its tickets, and walk-ins called before its end."""
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=hall.tz)
    return ServiceTransaction.objects.filter(hall=hall, done_at__isnull=True).filter(
        Q(ticket__day__lte=day) | Q(ticket__isnull=True, called_at__lt=day_end)
    )


def counter_detail(*, counter_id: int) -> Counter:
    return Counter.objects.prefetch_related("services").select_related("agent").get(pk=counter_id)


def counters_current_numbers(*, hall_id: int, counter_id: int | None = None) -> dict[int, str]:
    """The ticket number each counter is serving now (counters serving nobody or a walk-in are absent)."""
    qs = ServiceTransaction.objects.filter(hall_id=hall_id, done_at__isnull=True, ticket__isnull=False)
    if counter_id is not None:
        qs = qs.filter(counter_id=counter_id)
    return dict(qs.values_list("counter_id", "ticket__number"))


def services_for_hall(*, hall: Hall) -> QuerySet[BusinessType]:
    return BusinessType.objects.filter(active=True).order_by("code")


def counter_current_transaction(*, counter: Counter) -> ServiceTransaction | None:
    return (
        ServiceTransaction.objects.filter(counter=counter, done_at__isnull=True)
        .select_related("ticket", "service")
        .first()
    )


def ticket_pre_order(*, ticket: Ticket) -> PreOrder | None:
    return PreOrder.objects.filter(ticket=ticket).first()


def transaction_times(tx: ServiceTransaction) -> TransactionTimes:
    return TransactionTimes(
        called_at=tx.called_at,
        arrived_at=tx.arrived_at,
        communication_at=tx.communication_at,
        operation_at=tx.operation_at,
        done_at=tx.done_at,
    )


def transaction_overrun(*, tx: ServiceTransaction, at: dt.datetime) -> Overrun | None:
    """The transaction's service time against its limit: final when done, live while it runs."""
    elapsed = tx.service_seconds if tx.done_at else service_seconds(transaction_times(tx), at)
    return overrun_state(elapsed, tx.limit_seconds) if elapsed is not None else None


def transaction_extra_service_codes(tx: ServiceTransaction) -> list[str]:
    """The codes of the business types added to the visit; no query when they were prefetched (or known none)."""
    cached = getattr(tx, "_prefetched_objects_cache", {}).get("extra_services")
    return [x.code for x in (cached if cached is not None else tx.extra_services.all())]


def _service_means(hall_id: int, at: dt.datetime, limits: dict[int, float]) -> dict[int, float]:
    """Expected service seconds per business type: the recent mean where there are enough samples, else the limit."""
    recent = (
        ServiceTransaction.objects.filter(
            hall_id=hall_id,
            done_at__gte=at - RECENT_WINDOW,
            outcome=Outcome.COMPLETED,
            service_seconds__isnull=False,
            service_id__in=list(limits),
        )
        .values("service_id")
        .annotate(avg=Avg("service_seconds"), n=Count("id"))
    )
    means = dict(limits)
    for row in recent:
        if row["n"] >= RECENT_SAMPLES_MIN:
            means[row["service_id"]] = float(row["avg"])
    return means


@dataclass(frozen=True)
class WaitQuote:
    people_ahead: int
    estimated_wait_seconds: int | None
    open_counters: int


@dataclass(frozen=True)
class _OpenCounters:
    """What the wait estimate needs to know about a hall's open counters, read once."""

    serves: dict[int, set[int]]  # counter id -> business type ids
    means: dict[int, float]  # business type id -> expected service seconds
    busy: dict[int, float]  # counter id -> expected seconds left of its transaction in progress


def _open_counters(hall: Hall, at: dt.datetime) -> _OpenCounters:
    serves: dict[int, set[int]] = defaultdict(set)
    limits: dict[int, float] = {}
    for counter_id, sid, limit_minutes in Counter.services.through.objects.filter(
        counter__hall=hall, counter__status=CounterStatus.OPEN
    ).values_list("counter_id", "businesstype_id", "businesstype__limit_minutes"):
        serves[counter_id].add(sid)
        limits[sid] = float(limit_minutes) * 60
    if not serves:
        return _OpenCounters(serves={}, means={}, busy={})
    means = _service_means(hall.pk, at, limits)
    busy: dict[int, float] = {}
    for tx in ServiceTransaction.objects.filter(counter_id__in=list(serves), done_at__isnull=True).only(
        "counter_id", "called_at", "arrived_at", "service_id", "limit_seconds"
    ):
        elapsed = (at - (tx.arrived_at or tx.called_at)).total_seconds()
        busy[tx.counter_id] = max(0.0, means.get(tx.service_id, float(tx.limit_seconds)) - elapsed)
    return _OpenCounters(serves=dict(serves), means=means, busy=busy)


def _able_and_served(state: _OpenCounters, service_id: int) -> tuple[list[int], set[int]]:
    """The open counters that serve ``service_id``, and every business type those counters serve."""
    able = [cid for cid, sids in state.serves.items() if service_id in sids]
    return able, {sid for cid in able for sid in state.serves[cid]} or {service_id}


def _quote(state: _OpenCounters, service_id: int, waiting_ahead: dict[int, int]) -> WaitQuote:
    """The estimate from the tickets ahead, counted per business type (only those the able counters serve)."""
    able, served = _able_and_served(state, service_id)
    ahead = {sid: n for sid, n in waiting_ahead.items() if sid in served}
    people_ahead = sum(ahead.values())
    if not able:
        return WaitQuote(people_ahead=people_ahead, estimated_wait_seconds=None, open_counters=0)
    ahead_seconds: list[float] = []
    for sid, n in sorted(ahead.items()):
        ahead_seconds.extend([state.means.get(sid, 300.0)] * n)
    busy = [state.busy[cid] for cid in able if cid in state.busy]
    wait = estimate_wait_seconds(
        WaitInput(ahead_service_seconds=ahead_seconds, open_servers=len(able), busy_remaining_seconds=busy)
    )
    return WaitQuote(people_ahead=people_ahead, estimated_wait_seconds=wait, open_counters=len(able))


def wait_quote(
    *,
    hall: Hall,
    service_id: int,
    at: dt.datetime,
    rank: dt.datetime | None = None,
    ticket_id: int | None = None,
    inclusive: bool = False,
) -> WaitQuote:
    """Wait until first call for a ticket of ``service_id`` ranked at ``rank`` (a new ticket when None).

    Tickets ahead are the waiting ones, of any business type that the open counters able to serve this one
    also serve, ranked before it. Service times are the recent mean per business type, else its limit.
    """
    if hotpath.enabled():
        state, counts = _quote_inputs_pg(hall, at, rank=rank, ticket_id=ticket_id, inclusive=inclusive)
        return _quote(state, service_id, counts)
    state = _open_counters(hall, at)
    _, served = _able_and_served(state, service_id)
    ahead_qs = Ticket.objects.filter(
        hall=hall, day=hall_local_day(hall, at), status=TicketState.WAITING, service_id__in=served
    )
    if rank is not None and inclusive:
        ahead_qs = ahead_qs.filter(rank__lte=rank)
    elif rank is not None:
        cond = Q(rank__lt=rank)
        if ticket_id is not None:
            cond |= Q(rank=rank, id__lt=ticket_id)
        ahead_qs = ahead_qs.filter(cond)
    if ticket_id is not None:
        ahead_qs = ahead_qs.exclude(pk=ticket_id)
    counts = dict(ahead_qs.values_list("service_id").annotate(n=Count("id")).values_list("service_id", "n"))
    return _quote(state, service_id, counts)


_SERVES = Counter._meta.get_field("services")
_QUOTE_PG_SQL = """
WITH oc AS (
    SELECT s.{counter_col} AS counter_id, s.{service_col} AS service_id, b.limit_minutes
    FROM {serves} s JOIN {counter} c ON c.id = s.{counter_col} JOIN {service} b ON b.id = s.{service_col}
    WHERE c.hall_id = %(hall)s AND c.status = %(open)s
)
SELECT 0, counter_id, service_id, limit_minutes::float8, NULL::timestamptz, NULL::timestamptz FROM oc
UNION ALL
SELECT 1, count(id), service_id, avg(service_seconds), NULL, NULL FROM {tx}
    WHERE hall_id = %(hall)s AND done_at >= %(since)s AND outcome = %(completed)s AND service_seconds IS NOT NULL
      AND service_id IN (SELECT service_id FROM oc)
    GROUP BY service_id
UNION ALL
SELECT 2, counter_id, service_id, limit_seconds::float8, called_at, arrived_at FROM {tx}
    WHERE counter_id IN (SELECT counter_id FROM oc) AND done_at IS NULL
UNION ALL
SELECT 3, count(id), service_id, NULL, NULL, NULL FROM {ticket}
    WHERE hall_id = %(hall)s AND day = %(day)s AND status = %(waiting)s {ahead}
    GROUP BY service_id
"""


def _quote_inputs_pg(
    hall: Hall, at: dt.datetime, *, rank: dt.datetime | None, ticket_id: int | None, inclusive: bool
) -> tuple[_OpenCounters, dict[int, int]]:
    """What ``_open_counters`` and the count of tickets ahead read, in one statement (PostgreSQL).

    The tickets ahead are counted for every business type; ``_quote`` keeps those the able counters serve.
    """
    ahead = ""
    if rank is not None and inclusive:
        ahead = "AND rank <= %(rank)s"
    elif rank is not None:
        ahead = "AND (rank < %(rank)s OR (rank = %(rank)s AND id < %(ticket)s))" if ticket_id else "AND rank < %(rank)s"
    if ticket_id is not None:
        ahead += " AND id <> %(ticket)s"
    sql = _QUOTE_PG_SQL.format(
        serves=_SERVES.remote_field.through._meta.db_table,  # type: ignore[union-attr]
        counter_col=_SERVES.m2m_column_name(),  # type: ignore[attr-defined]
        service_col=_SERVES.m2m_reverse_name(),  # type: ignore[attr-defined]
        counter=Counter._meta.db_table,
        service=BusinessType._meta.db_table,
        tx=ServiceTransaction._meta.db_table,
        ticket=Ticket._meta.db_table,
        ahead=ahead,
    )
    params = {
        "hall": hall.pk,
        "open": CounterStatus.OPEN.value,
        "since": at - RECENT_WINDOW,
        "completed": Outcome.COMPLETED.value,
        "day": hall_local_day(hall, at),
        "waiting": TicketState.WAITING.value,
        "rank": rank,
        "ticket": ticket_id,
    }
    rows = fetch(sql, params)
    serves: dict[int, set[int]] = defaultdict(set)
    means: dict[int, float] = {}
    recent: list[tuple[int, int, float]] = []
    open_tx: list[tuple[int, int, float, dt.datetime, dt.datetime | None]] = []
    counts: dict[int, int] = {}
    for kind, number, sid, value, called_at, arrived_at in rows:
        if kind == 0:
            serves[number].add(sid)
            means[sid] = value * 60
        elif kind == 1:
            recent.append((sid, number, value))
        elif kind == 2:
            open_tx.append((number, sid, value, called_at, arrived_at))
        else:
            counts[sid] = number
    for sid, n, avg in recent:
        if n >= RECENT_SAMPLES_MIN:
            means[sid] = float(avg)
    busy: dict[int, float] = {}
    for counter_id, sid, limit_seconds, called_at, arrived_at in open_tx:
        elapsed = (at - (arrived_at or called_at)).total_seconds()
        busy[counter_id] = max(0.0, means.get(sid, limit_seconds) - elapsed)
    return _OpenCounters(serves=dict(serves), means=means, busy=busy), counts


def ticket_wait_quote(*, ticket: Ticket, at: dt.datetime) -> WaitQuote:
    if ticket.status != TicketState.WAITING:
        return WaitQuote(
            people_ahead=0,
            estimated_wait_seconds=0 if ticket.status in ACTIVE_AT_COUNTER else None,
            open_counters=0,
        )
    return wait_quote(hall=ticket.hall, service_id=ticket.service_id, at=at, rank=ticket.rank, ticket_id=ticket.pk)


@dataclass(frozen=True)
class QueueLine:
    service: BusinessType
    waiting: int
    estimated_wait_seconds: int | None
    oldest_issued_at: dt.datetime | None = None  # the longest-waiting ticket of this type


def queue_summary(*, hall: Hall, at: dt.datetime) -> list[QueueLine]:
    """Per business type: how many wait, since when the oldest waits, and the estimated wait of a ticket issued
    now."""
    rows = (
        Ticket.objects.filter(hall=hall, day=hall_local_day(hall, at), status=TicketState.WAITING)
        .values_list("service_id")
        .annotate(n=Count("id"), first=Min("issued_at"))
        .values_list("service_id", "n", "first")
    )
    counts = {service_id: n for service_id, n, _ in rows}
    oldest = {service_id: first for service_id, _, first in rows}
    state = _open_counters(hall, at)  # read once for every business type
    lines = []
    for service in services_for_hall(hall=hall):
        if service.forced_self_service and not counts.get(service.pk):
            quote = WaitQuote(0, None, 0)
        else:
            quote = _quote(state, service.pk, counts)
        lines.append(
            QueueLine(
                service=service,
                waiting=counts.get(service.pk, 0),
                estimated_wait_seconds=quote.estimated_wait_seconds,
                oldest_issued_at=oldest.get(service.pk),
            )
        )
    return lines
