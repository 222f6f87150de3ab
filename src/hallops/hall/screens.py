"""Reads for the hall-wide screens: the hall display, the manager's floor view and the devices list.

Wait estimates come only from ``hall.selectors.queue_summary`` (the one estimator); this module arranges what
those screens show around it. Writes live in the services.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from hallops.accounts.models import Device
from hallops.catalog.models import BusinessType
from hallops.core.states import TicketState
from hallops.core.timing import Overrun
from hallops.errors import NotFound
from hallops.hall.models import HallEvent, Outcome, ServiceTransaction, Ticket
from hallops.hall.selectors import (
    QueueLine,
    counters_for_hall,
    hall_local_day,
    queue_summary,
    transaction_overrun,
)
from hallops.organisation.models import Counter, CounterStatus, Hall
from hallops.rules.selectors import hall_effects

CALL_KINDS = ("ticket.called", "ticket.recalled")
RECENT_CALLS = 8
LONG_WAITS_SHOWN = 10


def _day_start(hall: Hall, at: dt.datetime) -> dt.datetime:
    return dt.datetime.combine(hall_local_day(hall, at), dt.time(0), tzinfo=hall.tz)


# ------------------------------------------------------------------------------------------- hall display


@dataclass(frozen=True)
class Call:
    """A ticket number called to a counter."""

    number: str
    counter: int
    at: dt.datetime
    recall: bool = False
    phase: str = ""


@dataclass(frozen=True)
class Progress:
    """The line announced to waiting customers: how many wait, and about how long (None: no open counter)."""

    waiting: int
    minutes: int | None


@dataclass(frozen=True)
class DisplayBoard:
    current: list[Call]  # counters serving a ticket now, newest call first
    recent: list[Call]  # the latest calls today, newest first, one per number
    queue: list[QueueLine]  # business types served at counters, with waiting counts and estimates
    progress: Progress
    #: the progress announcement the hall's rules switched on ("12 人等候，约 15 分钟"), for the ticker
    progress_announcements: list[str] = field(default_factory=list)


def recent_calls(*, hall: Hall, at: dt.datetime, limit: int = RECENT_CALLS) -> list[Call]:
    """Today's latest calls, newest first, one per ticket number (a recall brings the number back to the top)."""
    rows = (
        HallEvent.objects.filter(hall=hall, kind__in=CALL_KINDS, at__gte=_day_start(hall, at))
        .exclude(ticket__isnull=True)
        .exclude(counter__isnull=True)
        .order_by("-seq")
        .values_list("kind", "at", "ticket__number", "counter__number")[: limit * 4]
    )
    calls: list[Call] = []
    seen: set[str] = set()
    for kind, when, number, counter in rows:
        if number in seen:
            continue
        seen.add(number)
        calls.append(Call(number=number, counter=counter, at=when, recall=kind == "ticket.recalled"))
        if len(calls) == limit:
            break
    return calls


def current_calls(*, hall: Hall) -> list[Call]:
    """The ticket each counter serves now (called or in service), newest call first."""
    rows = (
        ServiceTransaction.objects.filter(hall=hall, done_at__isnull=True, ticket__isnull=False)
        .order_by("-called_at", "-id")
        .values_list("ticket__number", "counter__number", "called_at", "phase")
    )
    return [Call(number=n, counter=c, at=at, phase=phase) for n, c, at, phase in rows]


def queue_progress(lines: list[QueueLine]) -> Progress:
    """How many wait in all, and the longest estimate among the business types they wait for.

    The longest, not the mean: announcements should set expectations the hall can keep (seed 003 asks the
    hall to tell waiting customers the progress and to lower their expectations appropriately).
    """
    waiting = sum(line.waiting for line in lines)
    if not waiting:
        return Progress(waiting=0, minutes=0)
    known = [line.estimated_wait_seconds for line in lines if line.waiting and line.estimated_wait_seconds is not None]
    if not known:
        return Progress(waiting=waiting, minutes=None)
    return Progress(waiting=waiting, minutes=max(1, math.ceil(max(known) / 60)))


def display_board(*, hall: Hall, at: dt.datetime) -> DisplayBoard:
    lines = queue_summary(hall=hall, at=at)
    shown = [line for line in lines if not line.service.forced_self_service or line.waiting]
    progress = queue_progress(lines)
    effects = hall_effects(hall)
    announced: list[str] = []
    if effects.progress_zh and progress.waiting:
        open_counters = Counter.objects.filter(hall=hall, status=CounterStatus.OPEN).count()
        announced = effects.progress_lines(progress.waiting, progress.minutes, open_counters)
    return DisplayBoard(
        current=current_calls(hall=hall),
        recent=recent_calls(hall=hall, at=at),
        queue=shown,
        progress=progress,
        progress_announcements=announced,
    )


# ------------------------------------------------------------------------------------------ floor view


@dataclass(frozen=True)
class CounterRow:
    counter: Counter
    transaction: ServiceTransaction | None
    overrun: Overrun | None
    service_since: dt.datetime | None  # when the service time started (arrival, else the call)
    parked: int


@dataclass(frozen=True)
class QueueRow:
    service: BusinessType
    waiting: int
    oldest_issued_at: dt.datetime | None
    oldest_wait_seconds: float | None
    estimated_wait_seconds: int | None
    over_target: bool  # the oldest wait or the estimate is beyond the hall's waiting-time target


@dataclass(frozen=True)
class LongWait:
    number: str
    service: BusinessType
    issued_at: dt.datetime
    waited_seconds: float


@dataclass(frozen=True)
class DayCounts:
    issued: int
    served: int
    waiting: int
    no_shows: int
    diverted: int
    called: int
    called_within_target: int
    mean_wait_seconds: float | None

    @property
    def within_target_percent(self) -> int | None:
        return round(100 * self.called_within_target / self.called) if self.called else None


@dataclass(frozen=True)
class Floor:
    counters: list[CounterRow]
    queue: list[QueueRow]
    overruns: list[CounterRow]
    slow_queues: list[QueueRow]  # people wait and the estimate for a new ticket is beyond the target
    long_waits: list[LongWait]
    long_waits_total: int
    counts: DayCounts
    target_seconds: int


def _counter_rows(hall: Hall, at: dt.datetime) -> list[CounterRow]:
    open_tx = {
        tx.counter_id: tx
        for tx in ServiceTransaction.objects.filter(hall=hall, done_at__isnull=True).select_related("ticket", "service")
    }
    parked = dict(
        Ticket.objects.filter(hall=hall, status=TicketState.PARKED, counter__isnull=False)
        .values_list("counter_id")
        .annotate(n=Count("id"))
        .values_list("counter_id", "n")
    )
    rows = []
    for counter in counters_for_hall(hall=hall):
        tx = open_tx.get(counter.pk)
        rows.append(
            CounterRow(
                counter=counter,
                transaction=tx,
                overrun=transaction_overrun(tx=tx, at=at) if tx is not None else None,
                service_since=(tx.arrived_at or tx.called_at) if tx is not None else None,
                parked=parked.get(counter.pk, 0),
            )
        )
    return rows


def _queue_rows(hall: Hall, at: dt.datetime, target: float) -> list[QueueRow]:
    rows = []
    for line in queue_summary(hall=hall, at=at):
        if line.service.forced_self_service and not line.waiting:
            continue
        first = line.oldest_issued_at
        oldest_wait = (at - first).total_seconds() if first is not None else None
        estimate = line.estimated_wait_seconds
        rows.append(
            QueueRow(
                service=line.service,
                waiting=line.waiting,
                oldest_issued_at=first,
                oldest_wait_seconds=oldest_wait,
                estimated_wait_seconds=estimate,
                over_target=(oldest_wait or 0) > target or (line.waiting > 0 and (estimate or 0) > target),
            )
        )
    return rows


def _day_counts(hall: Hall, at: dt.datetime, target: dt.timedelta) -> DayCounts:
    day = hall_local_day(hall, at)
    first_calls = Q(parent__isnull=True, called_at__isnull=False)
    row = Ticket.objects.filter(hall=hall, day=day).aggregate(
        issued=Count("id", filter=Q(parent__isnull=True) & ~Q(status=TicketState.DIVERTED)),
        served=Count("id", filter=Q(status=TicketState.DONE)),
        waiting=Count("id", filter=Q(status=TicketState.WAITING)),
        diverted=Count("id", filter=Q(status=TicketState.DIVERTED)),
        called=Count("id", filter=first_calls),
        within=Count("id", filter=first_calls & Q(called_at__lte=F("issued_at") + target)),
        mean_wait=Avg(
            ExpressionWrapper(F("called_at") - F("issued_at"), output_field=DurationField()), filter=first_calls
        ),
    )
    no_shows = ServiceTransaction.objects.filter(hall=hall, outcome=Outcome.NO_SHOW, ticket__day=day).count()
    mean: dt.timedelta | None = row["mean_wait"]
    return DayCounts(
        issued=row["issued"],
        served=row["served"],
        waiting=row["waiting"],
        no_shows=no_shows,
        diverted=row["diverted"],
        called=row["called"],
        called_within_target=row["within"],
        mean_wait_seconds=mean.total_seconds() if mean is not None else None,
    )


def floor_view(*, hall: Hall, at: dt.datetime) -> Floor:
    """Everything the manager's floor view shows, read at ``at``."""
    target = dt.timedelta(minutes=hall.wait_target_minutes)
    counters = _counter_rows(hall, at)
    queue = _queue_rows(hall, at, target.total_seconds())
    waiting_long = (
        Ticket.objects.filter(
            hall=hall, day=hall_local_day(hall, at), status=TicketState.WAITING, issued_at__lt=at - target
        )
        .select_related("service")
        .order_by("issued_at", "id")
    )
    long_waits = [
        LongWait(
            number=t.number, service=t.service, issued_at=t.issued_at, waited_seconds=(at - t.issued_at).total_seconds()
        )
        for t in waiting_long[:LONG_WAITS_SHOWN]
    ]
    return Floor(
        counters=counters,
        queue=queue,
        overruns=[row for row in counters if row.overrun is Overrun.OVER],
        slow_queues=[
            row for row in queue if row.waiting and (row.estimated_wait_seconds or 0) > target.total_seconds()
        ],
        long_waits=long_waits,
        long_waits_total=len(long_waits) if len(long_waits) < LONG_WAITS_SHOWN else waiting_long.count(),
        counts=_day_counts(hall, at, target),
        target_seconds=int(target.total_seconds()),
    )


# --------------------------------------------------------------------------------------------- devices


def hall_devices(*, hall: Hall) -> QuerySet[Device]:
    """The hall's devices: working ones first, then revoked; by kind and name."""
    return Device.objects.filter(hall=hall).order_by(F("revoked_at").asc(nulls_first=True), "kind", "name", "pk")


def hall_device(*, hall: Hall, device_id: int) -> Device:
    """A device of this hall (another hall's device is not found)."""
    device = Device.objects.select_related("hall").filter(hall=hall, pk=device_id).first()
    if device is None:
        raise NotFound("device not found", field="device")
    return device
