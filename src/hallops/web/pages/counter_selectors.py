"""Reads for the counter workstation: the counter, who holds it, its transaction phase by phase, the queue for
what it serves, its parked tickets and its last transactions with their ratings.

Wait estimates come only from ``hall.selectors.queue_summary``; timings from ``hallops.core.timing``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q
from django.utils.translation import gettext_lazy as _

from hallops.catalog.models import BusinessType
from hallops.core.policy import Priority
from hallops.core.states import Phase, TicketState, phase_next_allowed
from hallops.core.timing import Overrun, communication_seconds, operation_seconds, overrun_state
from hallops.feedback.models import Rating
from hallops.feedback.selectors import ratings_by_transaction
from hallops.hall.models import PreOrder, ServiceTransaction, Ticket
from hallops.hall.selectors import (
    counter_current_transaction,
    hall_local_day,
    queue_summary,
    transaction_overrun,
    transaction_times,
)
from hallops.hall.services import SIMULATED_SESSION
from hallops.organisation.access import Actor
from hallops.organisation.models import Counter, CounterStatus, Hall
from hallops.rules.selectors import hall_effects

RECENT_SHOWN = 5
PHASE_LABELS = {
    Phase.CALLED: _("called"),
    Phase.ARRIVED: _("arrived"),
    Phase.COMMUNICATION: _("communication"),
    Phase.OPERATION: _("operation"),
    Phase.DONE: _("done"),
}
PRIORITY_LABELS = {
    Priority.ELDERLY.value: _("elderly"),
    Priority.APPOINTMENT.value: _("appointment"),
    Priority.VIP.value: _("VIP"),
}
TIMER_CLASS = {Overrun.OK: "timer-green", Overrun.NEAR: "timer-amber", Overrun.OVER: "timer-red"}


def iso(at: dt.datetime | None) -> str:
    """An instant for live.js timers (UTC, milliseconds)."""
    return at.astimezone(dt.UTC).isoformat(timespec="milliseconds") if at else ""


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return ""
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def counter_in_hall(*, hall: Hall, number: int) -> Counter | None:
    if not 0 <= number < 2**15:
        return None
    return Counter.objects.select_related("agent", "hall").filter(hall=hall, number=number).first()


@dataclass(frozen=True)
class PhaseStep:
    phase: str
    label: str
    key: str
    at: dt.datetime | None
    allowed: bool
    is_next: bool
    current: bool
    seconds: str


@dataclass(frozen=True)
class TransactionView:
    tx: ServiceTransaction
    ticket: Ticket | None
    service: str
    extras: list[str]
    phase: str
    phase_label: str
    steps: list[PhaseStep]
    called_iso: str
    service_since_iso: str
    phase_since_iso: str
    issued_iso: str
    limit_text: str
    timer_class: str
    priority_label: str
    can_recall: bool
    can_no_show: bool
    can_park: bool
    can_transfer: bool
    pre_order: PreOrder | None


def _steps(tx: ServiceTransaction) -> list[PhaseStep]:
    current = Phase(tx.phase)
    times = transaction_times(tx)
    arrived_wait = (tx.arrived_at - tx.called_at).total_seconds() if tx.arrived_at else None
    seconds = {
        Phase.ARRIVED: mmss(arrived_wait),
        Phase.COMMUNICATION: mmss(communication_seconds(times)),
        Phase.OPERATION: mmss(operation_seconds(times)),
        Phase.DONE: "",
    }
    at = {
        Phase.ARRIVED: tx.arrived_at,
        Phase.COMMUNICATION: tx.communication_at,
        Phase.OPERATION: tx.operation_at,
        Phase.DONE: tx.done_at,
    }
    keys = {Phase.ARRIVED: "a", Phase.COMMUNICATION: "c", Phase.OPERATION: "o", Phase.DONE: "d"}
    order = [Phase.ARRIVED, Phase.COMMUNICATION, Phase.OPERATION, Phase.DONE]
    next_phase = next((p for p in order if phase_next_allowed(current, p)), None)
    return [
        PhaseStep(
            phase=p.value,
            label=str(PHASE_LABELS[p]),
            key=keys[p],
            at=at[p],
            allowed=phase_next_allowed(current, p),
            is_next=p is next_phase,
            current=p is current,
            seconds=seconds[p],
        )
        for p in order
    ]


def transaction_view(tx: ServiceTransaction, at: dt.datetime) -> TransactionView:
    ticket = tx.ticket
    started = {
        Phase.CALLED: tx.called_at,
        Phase.ARRIVED: tx.arrived_at,
        Phase.COMMUNICATION: tx.communication_at,
        Phase.OPERATION: tx.operation_at,
    }
    overrun = transaction_overrun(tx=tx, at=at) or Overrun.OK
    status = ticket.status if ticket else ""
    pre = PreOrder.objects.select_related("editor").filter(ticket=ticket).first() if ticket else None
    return TransactionView(
        tx=tx,
        ticket=ticket,
        service=tx.service.label,
        extras=[s.label for s in tx.extra_services.all()],
        phase=tx.phase,
        phase_label=str(PHASE_LABELS[Phase(tx.phase)]),
        steps=_steps(tx),
        called_iso=iso(tx.called_at),
        service_since_iso=iso(tx.arrived_at or tx.called_at),
        phase_since_iso=iso(started.get(Phase(tx.phase)) or tx.called_at),
        issued_iso=iso(ticket.issued_at) if ticket else "",
        limit_text=mmss(tx.limit_seconds),
        timer_class=TIMER_CLASS[overrun],
        priority_label=str(PRIORITY_LABELS.get(ticket.priority, "")) if ticket else "",
        can_recall=status == TicketState.CALLED,
        can_no_show=status == TicketState.CALLED,
        can_park=status in (TicketState.CALLED, TicketState.SERVING),
        can_transfer=status in (TicketState.CALLED, TicketState.SERVING),
        pre_order=pre,
    )


@dataclass(frozen=True)
class QueueRow:
    service: BusinessType
    label: str
    waiting: int
    oldest_iso: str
    estimated_wait: str


@dataclass(frozen=True)
class RecentRow:
    tx: ServiceTransaction
    number: str
    service: str
    service_time: str
    limit: str
    timer_class: str
    rating: Rating | None


@dataclass(frozen=True)
class ParkedRow:
    ticket: Ticket
    service: str
    parked_iso: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class CounterDesk:
    """Everything the counter workstation shows, read in one place."""

    counter: Counter
    mine: bool
    held_by_sim: bool
    held_by_other: bool
    holder: str
    status_since_iso: str
    transaction: TransactionView | None
    queue: list[QueueRow]
    waiting_total: int
    upsell_blocked: bool
    parked: list[ParkedRow]
    recent: list[RecentRow]
    served_choices: list[Choice] = field(default_factory=list)
    service_choices: list[Choice] = field(default_factory=list)
    counter_choices: list[Choice] = field(default_factory=list)


def _queue(counter: Counter, served: list[BusinessType], at: dt.datetime) -> tuple[list[QueueRow], int]:
    """Waiting tickets per business type this counter serves (those it may call), the oldest wait, the estimate."""
    stats = {
        row["service_id"]: row
        for row in Ticket.objects.filter(
            hall_id=counter.hall_id,
            day=hall_local_day(counter.hall, at),
            status=TicketState.WAITING,
            service_id__in=[s.pk for s in served],
        )
        .filter(Q(target_counter__isnull=True) | Q(target_counter=counter))
        .values("service_id")
        .annotate(n=Count("id"), oldest=Min("issued_at"))
    }
    estimates = {line.service.pk: line.estimated_wait_seconds for line in queue_summary(hall=counter.hall, at=at)}
    rows = []
    for s in served:
        stat = stats.get(s.pk)
        est = estimates.get(s.pk)
        rows.append(
            QueueRow(
                service=s,
                label=s.label,
                waiting=stat["n"] if stat else 0,
                oldest_iso=iso(stat["oldest"]) if stat else "",
                estimated_wait=mmss(est) if est is not None else "",
            )
        )
    return rows, sum(r.waiting for r in rows)


def _recent(counter: Counter, at: dt.datetime) -> list[RecentRow]:
    day_start = dt.datetime.combine(hall_local_day(counter.hall, at), dt.time(0), tzinfo=counter.hall.tz)
    txs = list(
        ServiceTransaction.objects.filter(counter=counter, done_at__isnull=False, called_at__gte=day_start)
        .select_related("ticket", "service")
        .order_by("-done_at", "-id")[:RECENT_SHOWN]
    )
    ratings = ratings_by_transaction(transaction_ids=[t.pk for t in txs])
    rows = []
    for t in txs:
        state = overrun_state(t.service_seconds, t.limit_seconds) if t.service_seconds is not None else Overrun.OK
        rows.append(
            RecentRow(
                tx=t,
                number=t.ticket.number if t.ticket else "",
                service=t.service.label,
                service_time=mmss(t.service_seconds),
                limit=mmss(t.limit_seconds),
                timer_class=TIMER_CLASS[state],
                rating=ratings.get(t.pk),
            )
        )
    return rows


def _parked(counter: Counter) -> list[ParkedRow]:
    """This counter's parked tickets, with when each was parked (its last transaction's end)."""
    tickets = list(
        Ticket.objects.filter(counter=counter, status=TicketState.PARKED)
        .select_related("service")
        .order_by("called_at", "id")
    )
    parked_at = dict(
        ServiceTransaction.objects.filter(ticket__in=tickets, outcome="parked")
        .values("ticket_id")
        .annotate(at=Max("done_at"))
        .values_list("ticket_id", "at")
    )
    return [ParkedRow(ticket=t, service=t.service.label, parked_iso=iso(parked_at.get(t.pk))) for t in tickets]


def counter_desk(*, counter: Counter, actor: Actor, at: dt.datetime) -> CounterDesk:
    is_closed = counter.status == CounterStatus.CLOSED
    mine = not is_closed and counter.agent_id == actor.user_id and counter.session_ref == actor.session_ref
    held_by_sim = not is_closed and counter.session_ref == SIMULATED_SESSION
    served = sorted(counter.services.all(), key=lambda s: (s.sort_order, s.code))
    queue, waiting = _queue(counter, served, at)
    tx = counter_current_transaction(counter=counter)
    counter_services = BusinessType.objects.filter(active=True, forced_self_service=False).order_by(
        "sort_order", "code"
    )
    others = Counter.objects.filter(hall_id=counter.hall_id).exclude(pk=counter.pk).order_by("number")
    holder = ""
    if not is_closed and counter.agent is not None:
        holder = counter.agent.get_full_name() or counter.agent.get_username()
    return CounterDesk(
        counter=counter,
        mine=mine,
        held_by_sim=held_by_sim,
        held_by_other=not is_closed and not mine and not held_by_sim,
        holder=holder,
        status_since_iso=iso(counter.status_since),
        transaction=transaction_view(tx, at) if tx is not None else None,
        queue=queue,
        waiting_total=waiting,
        # The hall's own threshold (seed 003: 3 waiting), or a rule of the hall's busy/idle process.
        upsell_blocked=waiting >= counter.hall.upsell_block_waiting > 0
        or hall_effects(counter.hall_id).blocks_upselling(s.code for s in served),
        parked=_parked(counter),
        recent=_recent(counter, at),
        served_choices=[Choice(s.code, s.label) for s in served],
        service_choices=[Choice(s.code, s.label) for s in counter_services],
        counter_choices=[Choice(str(c.number), str(c.number)) for c in others],
    )
