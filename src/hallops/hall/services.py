"""Every write in the hall: issue, call, time, transfer, park, close the day, pre-orders.

Each service runs in one transaction: validate, check the caller's role in the hall, lock in the fixed order
(counter → ticket → ticket sequence → hall event counter), apply a transition from ``hallops.core.states``,
write the event and the audit row, and schedule the live broadcast for after COMMIT.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import phonenumbers
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from hallops.audit.services import audit_params, audit_record
from hallops.catalog.models import BusinessType
from hallops.core.identity import IdType, validate_id
from hallops.core.masking import mask_phone
from hallops.core.numbering import format_ticket_number, parse_ticket_number
from hallops.core.policy import NoShowPolicy, Priority, QueueEntry, push_back_rank, queue_rank
from hallops.core.roles import Action
from hallops.core.states import (
    IllegalTransition,
    Phase,
    PreOrderAction,
    PreOrderState,
    TicketAction,
    TicketState,
    phase_next_allowed,
    preorder_next_state,
    ticket_next_state,
)
from hallops.core.timing import handling_seconds, service_seconds
from hallops.errors import Conflict, Forbidden, Invalid, NotFound
from hallops.hall import hotpath
from hallops.hall.events import event_params, event_publish, event_record
from hallops.hall.models import (
    Channel,
    NotCompletedReason,
    Outcome,
    PreOrder,
    ServiceTransaction,
    Ticket,
    TicketSequence,
)
from hallops.hall.selectors import (
    day_open_tickets,
    day_open_transactions,
    hall_local_day,
    transaction_times,
    wait_quote,
)
from hallops.organisation.access import Actor, require
from hallops.organisation.models import Counter, CounterStatus, Hall
from hallops.rawsql import fetch
from hallops.rules.selectors import hall_effects

PREORDER_EDIT_LOCK = dt.timedelta(minutes=5)
_CHANNELS = frozenset(Channel.values)  # the property builds a new list on every read


def _now(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else timezone.now()


def _transition(ticket: Ticket, action: TicketAction) -> None:
    try:
        ticket.status = ticket_next_state(TicketState(ticket.status), action).value
    except IllegalTransition as exc:
        raise Conflict(
            f"ticket {ticket.number or ticket.pk} is {ticket.status}: cannot {action.value}",
            field="status",
            code="illegal_transition",
        ) from exc


def _service_by_code(code: str, field: str = "service") -> BusinessType:
    if hotpath.enabled():
        service = hotpath.service_by_code(code)
    else:
        service = BusinessType.objects.filter(code=code, active=True).first()
    if service is None:
        raise Invalid(f"unknown business type {code!r}", field=field, code="unknown_service")
    return service


def normalize_phone(raw: str, *, field: str = "phone") -> str:
    """E.164-free national form of a mainland or international number; 422 naming the field when invalid."""
    raw = (raw or "").strip()
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise Invalid("not a phone number", field=field, code="invalid_phone") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid("not a valid phone number", field=field, code="invalid_phone")
    if parsed.country_code == 86:
        return str(parsed.national_number)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def hall_accepts_tickets(hall: Hall, at: dt.datetime) -> bool:
    """Issuing stops ``issue_cutoff_minutes`` before closing (halls open around the clock always accept)."""
    if hall.open_24h:
        return True
    local = at.astimezone(hall.tz)
    opens = dt.datetime.combine(local.date(), hall.opens_at, tzinfo=hall.tz)
    closes = dt.datetime.combine(local.date(), hall.closes_at, tzinfo=hall.tz)
    return opens <= local < closes - dt.timedelta(minutes=hall.issue_cutoff_minutes)


# --------------------------------------------------------------------------------------------------- tickets


@dataclass(frozen=True)
class IssueResult:
    ticket: Ticket
    diverted: bool
    people_ahead: int
    estimated_wait_seconds: int | None


_NEXT_SEQ_SQL = (
    f"INSERT INTO {TicketSequence._meta.db_table} (hall_id, prefix, day, last) VALUES (%s, %s, %s, 1) "
    f"ON CONFLICT (hall_id, prefix, day) DO UPDATE SET last = {TicketSequence._meta.db_table}.last + 1 "
    "RETURNING last"
)


def _next_seq(hall: Hall, prefix: str, day: dt.date) -> int:
    """Take the next number for (hall, prefix, day) in one statement that creates or locks and increments the row.

    The row stays locked until the ticket's transaction ends, and a rollback undoes the increment: no gaps.
    """
    rows = fetch(_NEXT_SEQ_SQL, [hall.pk, prefix, day])  # prepared on PostgreSQL
    return int(rows[0][0])


def ticket_issue(
    *,
    actor: Actor,
    hall: Hall,
    service_code: str,
    channel: str,
    priority: str = Priority.NORMAL.value,
    star_level: int = 0,
    phone: str = "",
    override_reason: str = "",
    at: dt.datetime | None = None,
    service: BusinessType | None = None,
) -> IssueResult:
    """Issue a ticket, numbered without gaps per (hall, prefix, hall-local day); or divert to self-service.

    ``service``: the active business type of ``service_code``, when the caller has just read it.
    """
    require(actor, hall.pk, Action.TICKET_ISSUE)
    if service is None or service.code != service_code or not service.active:
        service = _service_by_code(service_code)
    if channel not in _CHANNELS:
        raise Invalid(f"unknown channel {channel!r}", field="channel", code="invalid_choice")
    try:
        prio = Priority(priority)
    except ValueError as exc:
        raise Invalid(f"unknown priority {priority!r}", field="priority", code="invalid_choice") from exc
    if prio is Priority.VIP and not 1 <= star_level <= 5:
        raise Invalid("a VIP ticket needs a star level from 1 to 5", field="star_level")
    if prio is not Priority.VIP and star_level:
        raise Invalid("only VIP tickets carry a star level", field="star_level")
    phone = normalize_phone(phone)
    override_reason = (override_reason or "").strip()
    if override_reason and not actor.can(hall.pk, Action.TICKET_ISSUE_OVERRIDE):
        raise Forbidden("your role may not override self-service", field="override_reason", code="role_not_allowed")
    now = _now(at)
    if not hall_accepts_tickets(hall, now):
        raise Conflict("the hall is not issuing tickets now", field="hall", code="hall_closed")
    day = hall_local_day(hall, now)
    # Forced to self-service by the catalog, or now by the hall's rules (busy/idle modes; one indexed read).
    forced = service.forced_self_service or hall_effects(hall).forces_self_service(service.code)
    diverted = forced and not override_reason
    # No savepoint: nothing in the block raises a domain error, and an outer transaction (the idempotency
    # wrapper) rolls back as a whole on any exception.
    with transaction.atomic(savepoint=False):
        ticket = Ticket(
            hall=hall,
            service=service,
            day=day,
            channel=channel,
            priority=prio.value,
            star_level=star_level,
            phone=phone,
            issued_at=now,
            rank=queue_rank(now, prio, star_level),
            override_reason=override_reason,
            token=secrets.token_urlsafe(16),
            created_by_id=actor.user_id,
        )
        if diverted:
            ticket.status = TicketState.DIVERTED.value
            ticket.finished_at = now
            ticket.save()
            event_record(
                hall_id=hall.pk,
                kind="ticket.diverted",
                at=now,
                actor_id=actor.user_id,
                ticket=ticket,
                data={"service": service.code, "channel": channel},
            )
            audit_record(
                actor=actor,
                action="ticket.divert",
                object_type="ticket",
                object_id=ticket.pk,
                hall_id=hall.pk,
                customer_ref=mask_phone(phone) if phone else "",
                at=now,
            )
            return IssueResult(ticket=ticket, diverted=True, people_ahead=0, estimated_wait_seconds=None)
        seq = _next_seq(hall, service.prefix, day)
        ticket.prefix = service.prefix
        ticket.seq = seq
        ticket.number = format_ticket_number(service.prefix, seq)
        # The new ticket is last among equal ranks, so everything ranked up to it counts as ahead.
        quote = wait_quote(hall=hall, service_id=service.pk, at=now, rank=ticket.rank, inclusive=True)
        ticket.quoted_wait_seconds = quote.estimated_wait_seconds
        data = {
            "service": service.code,
            "channel": channel,
            "priority": prio.value,
            "quoted_wait_seconds": quote.estimated_wait_seconds,
        }
        audit: dict[str, Any] = {
            "actor": actor,
            "action": "ticket.issue",
            "object_type": "ticket",
            "hall_id": hall.pk,
            "customer_ref": mask_phone(phone) if phone else "",
            "at": now,
            "detail": {"number": ticket.number, "override_reason": override_reason},
        }
        if hotpath.enabled():  # the ticket, its event and its audit row in one statement
            ticket.pk, seq = hotpath.issue_write(
                ticket=ticket,
                event=event_params(hall_id=hall.pk, kind="ticket.issued", at=now, actor_id=actor.user_id, data=data),
                audit=audit_params(**audit),
            )
            ticket._state.adding = False
            ticket._state.db = connection.alias
            event_publish(
                hall_id=hall.pk, seq=seq, kind="ticket.issued", at=now, ticket=ticket, counter_number=None, data=data
            )
        else:
            ticket.save()
            event_record(
                hall_id=hall.pk, kind="ticket.issued", at=now, actor_id=actor.user_id, ticket=ticket, data=data
            )
            audit_record(object_id=ticket.pk, **audit)
    return IssueResult(
        ticket=ticket,
        diverted=False,
        people_ahead=quote.people_ahead,
        estimated_wait_seconds=quote.estimated_wait_seconds,
    )


def ticket_for_actor(
    *, actor: Actor, ticket_id: int, action: Action = Action.TICKET_VIEW, lock: bool = False
) -> Ticket:
    qs = Ticket.objects.select_related("hall", "service")
    if lock:
        qs = qs.select_for_update(of=("self",))
    ticket = qs.filter(pk=ticket_id).first()
    if ticket is None:
        raise NotFound("ticket not found", field="ticket")
    require(actor, ticket.hall_id, action, what="ticket")
    return ticket


def ticket_cancel(*, actor: Actor, ticket_id: int, at: dt.datetime | None = None) -> Ticket:
    now = _now(at)
    with transaction.atomic():
        held_at = ticket_for_actor(actor=actor, ticket_id=ticket_id, action=Action.TICKET_CANCEL).counter_id
        if held_at is not None:
            # Held at a counter: take the counter's lock first, as every counter action does (fixed lock order).
            list(Counter.objects.select_for_update().filter(pk=held_at).values_list("pk", flat=True))
        ticket = ticket_for_actor(actor=actor, ticket_id=ticket_id, action=Action.TICKET_CANCEL, lock=True)
        if ticket.counter_id != held_at:
            raise Conflict("the ticket moved while it was being cancelled: try again", field="ticket", code="retry")
        _transition(ticket, TicketAction.CANCEL)
        ticket.finished_at = now
        ticket.counter = None
        ticket.save(update_fields=["status", "finished_at", "counter"])
        for tx in ServiceTransaction.objects.filter(ticket=ticket, done_at__isnull=True):
            _close_transaction(tx, now, Outcome.CANCELLED)
        event_record(hall_id=ticket.hall_id, kind="ticket.cancelled", at=now, actor_id=actor.user_id, ticket=ticket)
        audit_record(
            actor=actor,
            action="ticket.cancel",
            object_type="ticket",
            object_id=ticket.pk,
            hall_id=ticket.hall_id,
            at=now,
        )
    return ticket


# -------------------------------------------------------------------------------------------------- counters


def _counter(actor: Actor, counter_id: int) -> Counter:
    counter = Counter.objects.select_for_update(of=("self",)).select_related("hall").filter(pk=counter_id).first()
    if counter is None:
        raise NotFound("counter not found", field="counter")
    require(actor, counter.hall_id, Action.COUNTER_OPERATE, what="counter")
    return counter


def _require_holder(actor: Actor, counter: Counter, *, allow_paused: bool = False) -> None:
    if counter.status == CounterStatus.CLOSED:
        raise Conflict("the counter is closed: open it first", field="counter", code="counter_closed")
    if counter.agent_id != actor.user_id or counter.session_ref != actor.session_ref:
        raise Conflict("another agent or session holds this counter", field="counter", code="counter_in_use")
    if counter.status == CounterStatus.PAUSED and not allow_paused:
        raise Conflict("the counter is paused", field="counter", code="counter_paused")


def _open_transaction(counter: Counter) -> ServiceTransaction | None:
    open_tx = ServiceTransaction.objects.select_related("ticket", "service").filter(
        counter=counter, done_at__isnull=True
    )
    tx = next(iter(open_tx[:1]), None)  # at most one (a constraint); no ORDER BY to build
    if tx is not None:
        tx.counter = counter
        if tx.ticket is not None:
            tx.ticket.hall = counter.hall
    return tx


def _require_transaction(counter: Counter) -> ServiceTransaction:
    tx = _open_transaction(counter)
    if tx is None:
        raise Conflict("no transaction in progress at this counter", field="counter", code="no_transaction")
    return tx


def _held_transaction(actor: Actor, counter_id: int) -> tuple[Counter, ServiceTransaction]:
    """Lock the caller's counter and read its open transaction in one statement.

    Only the counter row is locked (``FOR UPDATE OF``), as in ``_counter``: every writer of a transaction holds
    its counter's lock first. Errors are those of ``_counter``, ``_require_holder`` and ``_require_transaction``.
    """
    if not 0 < counter_id < 2**63:  # a foreign-key lookup does not range-check like a primary-key one
        raise NotFound("counter not found", field="counter")
    open_tx = (
        ServiceTransaction.objects.select_for_update(of=("counter",))
        .select_related("counter", "ticket", "service")
        .filter(counter_id=counter_id, done_at__isnull=True)
    )
    tx = next(iter(open_tx[:1]), None)
    if tx is None:
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        return counter, _require_transaction(counter)
    counter = tx.counter
    require(actor, counter.hall_id, Action.COUNTER_OPERATE, what="counter")
    _require_holder(actor, counter)
    # If the statement waited for the counter lock, PostgreSQL rechecked only the locked counter row: the
    # transaction and ticket rows are as they were before the wait. Every change to them also changes one of
    # these columns of the transaction, so one cheap question tells whether to read them again.
    unchanged = ServiceTransaction.objects.filter(
        pk=tx.pk, done_at__isnull=True, phase=tx.phase, limit_seconds=tx.limit_seconds
    ).exists()
    if not unchanged:
        tx = _require_transaction(counter)
    return counter, tx


def _require_idle(counter: Counter) -> None:
    if ServiceTransaction.objects.filter(counter=counter, done_at__isnull=True).exists():
        raise Conflict("finish the current transaction first", field="counter", code="transaction_open")


# ------------------------------------------------------------- counter actions on PostgreSQL (hall.hotpath)

_R = TypeVar("_R")
_STALE: Any = object()


def _pg_counter_action(actor: Actor, counter_id: int, act: Callable[[hotpath.CounterState], _R]) -> _R:
    """Read the locked counter's state, then decide and write (``act``): a counter action on PostgreSQL.

    The read locks only the counter row. If it waited for that lock, the transaction and ticket it returned are
    as they were before the wait (PostgreSQL re-checks only the locked row). So every write is guarded by what
    it was decided on, and ``act`` returns ``_STALE`` when the guard found a change (nothing was written). Then,
    and after a refusal that may come from the same stale read, the state is read once more: holding the lock
    now, that read is current. The errors come in the order of the ORM path: 404, 403, the holder, the rest.
    ``act`` refuses (``Conflict``) only before it writes; a write that applied in part raises
    ``hotpath.Interrupted``, which is never retried (the atomic block rolls it back).
    """
    if not 0 < counter_id < 2**63:
        raise NotFound("counter not found", field="counter")
    for attempt in (0, 1):
        state = hotpath.counter_state(counter_id)
        if state is None:
            raise NotFound("counter not found", field="counter")
        hotpath.remember_counter_hall(state.counter)
        require(actor, state.counter.hall_id, Action.COUNTER_OPERATE, what="counter")
        _require_holder(actor, state.counter)
        try:
            result = act(state)
        except hotpath.Interrupted:
            raise
        except Conflict:
            if attempt:
                raise
            continue
        if result is not _STALE:
            return result
    raise Conflict("the counter changed while this request waited: try again", field="counter", code="retry")


def _pg_transaction(state: hotpath.CounterState) -> ServiceTransaction:
    if state.transaction is None:
        raise Conflict("no transaction in progress at this counter", field="counter", code="no_transaction")
    return state.transaction


def _pg_phase_at_once(
    actor: Actor, counter_id: int, target: Phase, field: str, now: dt.datetime
) -> ServiceTransaction | None:
    """The usual phase change in one statement that commits on its own (hotpath.phase_at_once).

    It applies only when everything holds: the caller may operate counters in the counter's hall (known from
    an earlier request in this process), holds the open counter from this session, and the open transaction
    may move to ``target``. Otherwise nothing is written and None sends the caller to ``_pg_phase``, which
    says what does not hold (or does the work, if the state changed in between).
    """
    known = hotpath.counter_hall(counter_id)
    if known is None or not actor.can(known[0], Action.COUNTER_OPERATE):
        return None
    hall_id = known[0]
    kind = f"transaction.{target.value}"
    done = hotpath.phase_at_once(
        field=field,
        params={
            "counter": counter_id,
            "open": CounterStatus.OPEN.value,
            "agent": actor.user_id,
            "session": actor.session_ref,
            "phase": target.value,
            "now": now,
            "from_phases": [p.value for p in Phase if phase_next_allowed(p, target)],
            "from_status": TicketState.CALLED.value,
            "status": ticket_next_state(TicketState.CALLED, TicketAction.ARRIVE).value,
            **event_params(hall_id=hall_id, kind=kind, at=now, actor_id=actor.user_id, counter_id=counter_id),
            **audit_params(actor=actor, action=f"ticket.{target.value}", object_type="ticket", hall_id=hall_id, at=now),
        },
    )
    if done is None:
        return None
    tx, seq = done
    ticket = tx.ticket
    event_publish(
        hall_id=hall_id,
        seq=seq,
        kind=kind,
        at=now,
        ticket=ticket,
        counter_number=tx.counter.number,
        data={"number": ticket.number if ticket else None},
    )
    return tx


def _pg_phase(actor: Actor, counter_id: int, target: Phase, field: str, now: dt.datetime) -> ServiceTransaction:
    def act(state: hotpath.CounterState) -> ServiceTransaction:
        counter, tx = state.counter, _pg_transaction(state)
        guard = {"tx": tx.pk, "from_phase": tx.phase, "from_limit": tx.limit_seconds}
        _advance_phase(tx, target)
        setattr(tx, field, now)
        ticket = tx.ticket
        from_status = ticket.status if ticket is not None else None
        moves = ticket is not None and ticket.status == TicketState.CALLED
        if ticket is not None and moves:
            _transition(ticket, TicketAction.ARRIVE)
        kind, data = f"transaction.{target.value}", {"number": ticket.number if ticket else None}
        params = {
            **guard,
            "phase": tx.phase,
            "now": now,
            "ticket": tx.ticket_id,
            "status": ticket.status if ticket is not None else None,
            "from_status": from_status,
            **event_params(
                hall_id=counter.hall_id,
                kind=kind,
                at=now,
                actor_id=actor.user_id,
                ticket_id=tx.ticket_id,
                counter_id=counter.pk,
                transaction_id=tx.pk,
                data=data,
            ),
        }
        if ticket is not None:
            params |= audit_params(
                actor=actor,
                action=f"ticket.{target.value}",
                object_type="ticket",
                object_id=ticket.pk,
                hall_id=counter.hall_id,
                at=now,
            )
        seq = hotpath.phase_write(field=field, params=params, ticket_moves=moves, audited=ticket is not None)
        if seq is None:
            return _STALE  # type: ignore[no-any-return]
        event_publish(
            hall_id=counter.hall_id, seq=seq, kind=kind, at=now, ticket=ticket, counter_number=counter.number, data=data
        )
        return tx

    return _pg_counter_action(actor, counter_id, act)


def _pg_complete(actor: Actor, counter_id: int, outcome: str, reason: str, now: dt.datetime) -> ServiceTransaction:
    def act(state: hotpath.CounterState) -> ServiceTransaction:
        counter, tx = state.counter, _pg_transaction(state)
        guard = {"tx": tx.pk, "from_phase": tx.phase, "from_limit": tx.limit_seconds}
        _close_fields(tx, now, outcome, reason)
        ticket = tx.ticket
        from_status = ticket.status if ticket is not None else None
        if ticket is not None:
            _transition(ticket, TicketAction.COMPLETE)
            ticket.finished_at = now
            ticket.counter = None
        data = {
            "number": ticket.number if ticket else None,
            "outcome": outcome,
            "reason": reason,
            "service_seconds": tx.service_seconds,
            "limit_seconds": tx.limit_seconds,
        }
        params = {
            **guard,
            "now": now,
            "phase": tx.phase,
            "outcome": outcome,
            "reason": reason,
            "service_seconds": tx.service_seconds,
            "handling_seconds": tx.handling_seconds,
            "ticket": tx.ticket_id,
            "status": ticket.status if ticket is not None else None,
            "from_status": from_status,
            **event_params(
                hall_id=counter.hall_id,
                kind="transaction.done",
                at=now,
                actor_id=actor.user_id,
                ticket_id=tx.ticket_id,
                counter_id=counter.pk,
                transaction_id=tx.pk,
                data=data,
            ),
            **audit_params(
                actor=actor,
                action="transaction.complete",
                object_type="transaction",
                object_id=tx.pk,
                hall_id=counter.hall_id,
                at=now,
                detail={"outcome": outcome, "reason": reason},
            ),
        }
        seq = hotpath.finish_write(params=params, ticket_moves=ticket is not None)
        if seq is None:
            return _STALE  # type: ignore[no-any-return]
        event_publish(
            hall_id=counter.hall_id,
            seq=seq,
            kind="transaction.done",
            at=now,
            ticket=ticket,
            counter_number=counter.number,
            data=data,
        )
        finishing = (PreOrderState.READY, PreOrderState.CONFIRMED)
        if ticket is not None and outcome == Outcome.COMPLETED and state.pre_order_state in finishing:
            _preorder_finish(actor, ticket, now)
        return tx

    return _pg_counter_action(actor, counter_id, act)


def _pg_call_at_once(actor: Actor, counter_id: int, now: dt.datetime) -> CallResult | None:
    """The usual "call next" in one statement that commits on its own (hotpath.call_at_once).

    It applies only when the caller may operate counters in the counter's hall (known, with its time zone,
    from an earlier request in this process), holds the open counter from this session, the counter has no
    open transaction and a ticket is waiting for it. Otherwise nothing is written and None sends the caller to
    ``_pg_call_next``, which answers 204, an error, or calls (if the state changed in between).
    """
    known = hotpath.counter_hall(counter_id)
    if known is None or not actor.can(known[0], Action.COUNTER_OPERATE):
        return None
    hall_id, tz = known
    waiting = TicketState.WAITING
    done = hotpath.call_at_once(
        template=ServiceTransaction(
            hall_id=hall_id, counter_id=counter_id, agent_id=actor.user_id, phase=Phase.CALLED.value, called_at=now
        ),
        params={
            "tz": tz,
            "counter": counter_id,
            "open": CounterStatus.OPEN.value,
            "agent": actor.user_id,
            "session": actor.session_ref,
            "waiting": waiting.value,
            "day": hall_local_day(Hall(pk=hall_id, timezone=tz), now),
            "status": ticket_next_state(waiting, TicketAction.CALL).value,
            "now": now,
            **event_params(
                hall_id=hall_id, kind="ticket.called", at=now, actor_id=actor.user_id, counter_id=counter_id
            ),
            **audit_params(actor=actor, action="ticket.called", object_type="ticket", hall_id=hall_id, at=now),
        },
    )
    if done is None:
        return None
    ticket, tx, pre_order, seq = done
    data = {
        "number": ticket.number,
        "counter": tx.counter.number,
        "service": ticket.service.code,
        "pre_order": pre_order.state if pre_order else None,
    }
    event_publish(
        hall_id=hall_id,
        seq=seq,
        kind="ticket.called",
        at=now,
        ticket=ticket,
        counter_number=tx.counter.number,
        data=data,
    )
    return CallResult(ticket=ticket, transaction=tx, pre_order=pre_order)


def _pg_call_next(actor: Actor, counter_id: int, now: dt.datetime) -> CallResult | None:
    def act(state: hotpath.CounterState) -> CallResult | None:
        counter = state.counter
        if state.transaction is not None:
            raise Conflict("finish the current transaction first", field="counter", code="transaction_open")
        picked = hotpath.pick_next(
            hall_id=counter.hall_id,
            counter_id=counter.pk,
            day=hall_local_day(counter.hall, now),
            waiting=TicketState.WAITING.value,
        )
        if picked is None:
            return None
        ticket, pre_order = picked
        from_status = ticket.status
        _transition(ticket, TicketAction.CALL)
        ticket.hall = counter.hall
        ticket.counter = counter
        ticket.called_at = now
        service = ticket.service
        tx = ServiceTransaction(
            hall_id=counter.hall_id,
            counter=counter,
            agent_id=actor.user_id,
            ticket=ticket,
            service=service,
            limit_seconds=int(service.limit_seconds),
            phase=Phase.CALLED.value,
            called_at=now,
        )
        data = {
            "number": ticket.number,
            "counter": counter.number,
            "service": service.code,
            "pre_order": pre_order.state if pre_order else None,
        }
        written = hotpath.call_write(
            ticket=ticket,
            from_status=from_status,
            tx=tx,
            event=event_params(
                hall_id=counter.hall_id,
                kind="ticket.called",
                at=now,
                actor_id=actor.user_id,
                ticket_id=ticket.pk,
                counter_id=counter.pk,
                data=data,
            ),
            audit=audit_params(
                actor=actor,
                action="ticket.called",
                object_type="ticket",
                object_id=ticket.pk,
                hall_id=counter.hall_id,
                at=now,
                detail={"counter": counter.number},
            ),
        )
        if written is None:
            return _STALE  # type: ignore[no-any-return]
        tx.pk, seq = written
        tx._state.adding = False
        tx._state.db = connection.alias
        hotpath.no_extra_services(tx)
        event_publish(
            hall_id=counter.hall_id,
            seq=seq,
            kind="ticket.called",
            at=now,
            ticket=ticket,
            counter_number=counter.number,
            data=data,
        )
        return CallResult(ticket=ticket, transaction=tx, pre_order=pre_order)

    return _pg_counter_action(actor, counter_id, act)


def _counter_event(counter: Counter, kind: str, actor: Actor, now: dt.datetime, **data: Any) -> None:
    event_record(hall_id=counter.hall_id, kind=kind, at=now, actor_id=actor.user_id, counter=counter, data=data)


SIMULATED_SESSION = "sim"


def _finish_transaction(
    tx: ServiceTransaction, counter: Counter, now: dt.datetime, *, outcome: str, reason: str, actor_id: int | None
) -> None:
    """Close the transaction, mark its ticket done (a walk-in has none) and append transaction.done."""
    _close_transaction(tx, now, outcome, reason)
    ticket = tx.ticket
    if ticket is not None:
        _transition(ticket, TicketAction.COMPLETE)
        ticket.finished_at = now
        ticket.counter = None
        ticket.save(update_fields=["status", "finished_at", "counter"])
    event_record(
        hall_id=counter.hall_id,
        kind="transaction.done",
        at=now,
        actor_id=actor_id,
        ticket=ticket,
        counter=counter,
        transaction=tx,
        data={
            "number": ticket.number if ticket else None,
            "outcome": outcome,
            "reason": reason,
            "service_seconds": tx.service_seconds,
            "limit_seconds": tx.limit_seconds,
        },
    )


def _simulated_agent_leaves(counter: Counter, now: dt.datetime) -> None:
    """The demo's simulated agent finishes its customer at once and hands the counter over."""
    tx = _open_transaction(counter)
    if tx is not None:
        _finish_transaction(tx, counter, now, outcome=Outcome.COMPLETED, reason="", actor_id=counter.agent_id)


def counter_open(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> Counter:
    """Open (or unpause) a counter; one agent and one live session per counter at a time."""
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        held_by_other = counter.status != CounterStatus.CLOSED and (
            counter.agent_id != actor.user_id or counter.session_ref != actor.session_ref
        )
        if held_by_other and counter.session_ref == SIMULATED_SESSION:
            _simulated_agent_leaves(counter, now)  # a person takes the counter over from the demo's agent
        elif held_by_other:
            raise Conflict("another agent or session holds this counter", field="counter", code="counter_in_use")
        elif counter.status == CounterStatus.OPEN:
            return counter
        counter.status = CounterStatus.OPEN
        counter.pause_reason = ""
        counter.agent_id = actor.user_id
        counter.session_ref = actor.session_ref
        counter.status_since = now
        counter.save(update_fields=["status", "pause_reason", "agent", "session_ref", "status_since"])
        _counter_event(counter, "counter.opened", actor, now)
    return counter


def counter_pause(*, actor: Actor, counter_id: int, reason: str, at: dt.datetime | None = None) -> Counter:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("give a reason for the pause", field="reason", code="required")
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        _require_idle(counter)
        counter.status = CounterStatus.PAUSED
        counter.pause_reason = reason[:100]
        counter.status_since = now
        counter.save(update_fields=["status", "pause_reason", "status_since"])
        _counter_event(counter, "counter.paused", actor, now, reason=counter.pause_reason)
    return counter


def counter_close(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> Counter:
    """Close the counter. Its holder may; so may a manager (taking over a forgotten session)."""
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        if counter.status == CounterStatus.CLOSED:
            return counter
        held_by_other = counter.agent_id != actor.user_id or counter.session_ref != actor.session_ref
        if held_by_other and not actor.can(counter.hall_id, Action.COUNTER_MANAGE):
            raise Conflict("another agent or session holds this counter", field="counter", code="counter_in_use")
        _require_idle(counter)
        if Ticket.objects.filter(counter=counter, status=TicketState.PARKED).exists():
            raise Conflict("resume or transfer the parked tickets first", field="counter", code="parked_tickets")
        counter.status = CounterStatus.CLOSED
        counter.pause_reason = ""
        counter.agent = None
        counter.session_ref = ""
        counter.status_since = now
        counter.save(update_fields=["status", "pause_reason", "agent", "session_ref", "status_since"])
        _counter_event(counter, "counter.closed", actor, now)
    return counter


@dataclass(frozen=True)
class CallResult:
    ticket: Ticket
    transaction: ServiceTransaction
    pre_order: PreOrder | None


def _start_call(actor: Actor, counter: Counter, ticket: Ticket, now: dt.datetime, kind: str) -> CallResult:
    _transition(ticket, TicketAction.CALL if ticket.status == TicketState.WAITING else TicketAction.RECALL)
    ticket.counter = counter
    ticket.hall = counter.hall
    ticket.called_at = now
    ticket.save(update_fields=["status", "counter", "called_at"])
    tx = ServiceTransaction.objects.create(
        hall_id=counter.hall_id,
        counter=counter,
        agent_id=actor.user_id,
        ticket=ticket,
        service=ticket.service,
        limit_seconds=int(ticket.service.limit_seconds),
        phase=Phase.CALLED.value,
        called_at=now,
    )
    try:
        pre_order: PreOrder | None = ticket.pre_order  # joined by call-next; one query otherwise
    except PreOrder.DoesNotExist:
        pre_order = None
    # A new transaction has no extra business types: say so, so that rendering it asks the database nothing.
    hotpath.no_extra_services(tx)
    event_record(
        hall_id=counter.hall_id,
        kind=kind,
        at=now,
        actor_id=actor.user_id,
        ticket=ticket,
        counter=counter,
        transaction=tx,
        data={
            "number": ticket.number,
            "counter": counter.number,
            "service": ticket.service.code,
            "pre_order": pre_order.state if pre_order else None,
        },
    )
    audit_record(
        actor=actor,
        action=kind,
        object_type="ticket",
        object_id=ticket.pk,
        hall_id=counter.hall_id,
        at=now,
        detail={"counter": counter.number},
    )
    return CallResult(ticket=ticket, transaction=tx, pre_order=pre_order)


def counter_call_next(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> CallResult | None:
    """Call the first waiting ticket in queue order among the business types this counter serves."""
    now = _now(at)
    if hotpath.enabled() and (called := _pg_call_at_once(actor, counter_id, now)) is not None:
        return called
    with transaction.atomic():
        if hotpath.enabled():
            return _pg_call_next(actor, counter_id, now)
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        _require_idle(counter)
        served = Counter.services.through.objects.filter(counter_id=counter.pk).values("businesstype_id")
        ticket = (
            Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("service", "pre_order")
            .filter(
                hall_id=counter.hall_id,
                status=TicketState.WAITING,
                day=hall_local_day(counter.hall, now),
                service_id__in=served,
            )
            .filter(Q(target_counter__isnull=True) | Q(target_counter=counter))
            .order_by("rank", "id")
            .first()
        )
        if ticket is None:
            return None
        return _start_call(actor, counter, ticket, now, "ticket.called")


def counter_call(*, actor: Actor, counter_id: int, number: str, at: dt.datetime | None = None) -> CallResult:
    """Call a specific number: a waiting ticket, or a missed one still inside the hall's keep window."""
    now = _now(at)
    try:
        prefix, seq = parse_ticket_number(number)
    except ValueError as exc:
        raise Invalid("not a ticket number", field="number", code="invalid_number") from exc
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        _require_idle(counter)
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("service")
            .filter(hall_id=counter.hall_id, day=hall_local_day(counter.hall, now), prefix=prefix, seq=seq)
            .order_by("-id")
            .first()
        )
        if ticket is None:
            raise NotFound(f"no ticket {number} today", field="number")
        if not counter.services.filter(pk=ticket.service_id).exists():
            raise Conflict("this counter does not serve that business type", field="number", code="not_served_here")
        if ticket.status == TicketState.NO_SHOW:
            keep = dt.timedelta(minutes=counter.hall.no_show_keep_minutes)
            if ticket.no_show_at is None or now - ticket.no_show_at > keep:
                raise Conflict("the missed number has expired", field="number", code="no_show_expired")
        elif ticket.status != TicketState.WAITING:
            raise Conflict(f"ticket {number} is {ticket.status}", field="number", code="illegal_transition")
        if ticket.target_counter_id not in (None, counter.pk):
            raise Conflict("the ticket was transferred to another counter", field="number", code="held_elsewhere")
        return _start_call(actor, counter, ticket, now, "ticket.called")


def counter_recall(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> ServiceTransaction:
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        tx = _require_transaction(counter)
        if tx.ticket is None or tx.ticket.status != TicketState.CALLED:
            raise Conflict("only a called ticket can be recalled", field="status", code="illegal_transition")
        ticket = tx.ticket
        _transition(ticket, TicketAction.RECALL)
        recalls = ticket.events.filter(kind="ticket.recalled").count() + 1
        event_record(
            hall_id=counter.hall_id,
            kind="ticket.recalled",
            at=now,
            actor_id=actor.user_id,
            ticket=ticket,
            counter=counter,
            transaction=tx,
            data={"number": ticket.number, "counter": counter.number, "recalls": recalls},
        )
        audit_record(
            actor=actor,
            action="ticket.recall",
            object_type="ticket",
            object_id=ticket.pk,
            hall_id=counter.hall_id,
            at=now,
        )
    return tx


def _close_fields(tx: ServiceTransaction, now: dt.datetime, outcome: str, reason: str = "") -> None:
    tx.done_at = now
    times = transaction_times(tx)
    tx.phase = Phase.DONE.value
    tx.outcome = outcome
    tx.reason = reason
    tx.service_seconds = service_seconds(times)
    tx.handling_seconds = handling_seconds(times)


def _close_transaction(tx: ServiceTransaction, now: dt.datetime, outcome: str, reason: str = "") -> None:
    _close_fields(tx, now, outcome, reason)
    tx.save(update_fields=["done_at", "phase", "outcome", "reason", "service_seconds", "handling_seconds"])


def counter_no_show(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> Ticket:
    """The called customer did not come: apply the hall's missed-number policy (keep, push back, cancel)."""
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        tx = _require_transaction(counter)
        ticket = tx.ticket
        if ticket is None:
            raise Conflict("a walk-in has no ticket", field="counter", code="no_ticket")
        ticket = Ticket.objects.select_for_update(of=("self",)).select_related("service").get(pk=ticket.pk)
        _transition(ticket, TicketAction.NO_SHOW)
        _close_transaction(tx, now, Outcome.NO_SHOW)
        ticket.no_show_at = now
        ticket.counter = None
        policy = NoShowPolicy(counter.hall.no_show_policy)
        if policy is NoShowPolicy.PUSH_BACK:
            queue = [
                QueueEntry(id=t.pk, service=str(t.service_id), rank=t.rank, issued_at=t.issued_at)
                for t in Ticket.objects.filter(
                    hall_id=counter.hall_id,
                    day=ticket.day,
                    status=TicketState.WAITING,
                    service_id=ticket.service_id,
                ).order_by("rank", "id")
            ]
            ticket.rank = push_back_rank(
                queue, counter.hall.no_show_push_back_places, now_rank_floor=now, ticket_id=ticket.pk
            )
            _transition(ticket, TicketAction.REQUEUE)
        elif policy is NoShowPolicy.CANCEL:
            _transition(ticket, TicketAction.CANCEL)
            ticket.finished_at = now
        ticket.save(update_fields=["status", "no_show_at", "counter", "rank", "finished_at"])
        event_record(
            hall_id=counter.hall_id,
            kind="ticket.no_show",
            at=now,
            actor_id=actor.user_id,
            ticket=ticket,
            counter=counter,
            transaction=tx,
            data={"number": ticket.number, "policy": policy.value},
        )
        audit_record(
            actor=actor,
            action="ticket.no_show",
            object_type="ticket",
            object_id=ticket.pk,
            hall_id=counter.hall_id,
            at=now,
        )
    return ticket


def _advance_phase(tx: ServiceTransaction, target: Phase) -> None:
    if not phase_next_allowed(Phase(tx.phase), target):
        raise Conflict(
            f"the transaction is at {tx.phase}: cannot go to {target.value}",
            field="phase",
            code="illegal_transition",
        )
    tx.phase = target.value


def _phase(actor: Actor, counter_id: int, target: Phase, at: dt.datetime | None) -> ServiceTransaction:
    now = _now(at)
    field = {
        Phase.ARRIVED: "arrived_at",
        Phase.COMMUNICATION: "communication_at",
        Phase.OPERATION: "operation_at",
    }[target]
    if hotpath.enabled() and (tx := _pg_phase_at_once(actor, counter_id, target, field, now)) is not None:
        return tx
    with transaction.atomic():
        if hotpath.enabled():
            return _pg_phase(actor, counter_id, target, field, now)
        counter, tx = _held_transaction(actor, counter_id)
        _advance_phase(tx, target)
        setattr(tx, field, now)
        tx.save(update_fields=["phase", field])
        ticket = tx.ticket
        if ticket is not None and ticket.status == TicketState.CALLED:
            _transition(ticket, TicketAction.ARRIVE)
            ticket.save(update_fields=["status"])
        event_record(
            hall_id=counter.hall_id,
            kind=f"transaction.{target.value}",
            at=now,
            actor_id=actor.user_id,
            ticket=ticket,
            counter=counter,
            transaction=tx,
            data={"number": ticket.number if ticket else None},
        )
        if ticket is not None:
            audit_record(
                actor=actor,
                action=f"ticket.{target.value}",
                object_type="ticket",
                object_id=ticket.pk,
                hall_id=counter.hall_id,
                at=now,
            )
    return tx


def counter_arrive(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> ServiceTransaction:
    return _phase(actor, counter_id, Phase.ARRIVED, at)


def counter_start_communication(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> ServiceTransaction:
    return _phase(actor, counter_id, Phase.COMMUNICATION, at)


def counter_start_operation(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> ServiceTransaction:
    return _phase(actor, counter_id, Phase.OPERATION, at)


def counter_complete(
    *,
    actor: Actor,
    counter_id: int,
    outcome: str = Outcome.COMPLETED,
    reason: str = "",
    at: dt.datetime | None = None,
) -> ServiceTransaction:
    """Finish the transaction: completed, or not completed for a coded reason."""
    if outcome not in (Outcome.COMPLETED, Outcome.NOT_COMPLETED):
        raise Invalid("outcome is completed or not_completed", field="outcome", code="invalid_choice")
    if outcome == Outcome.NOT_COMPLETED and reason not in NotCompletedReason.values:
        raise Invalid("give the reason code for a transaction not completed", field="reason", code="invalid_choice")
    if outcome == Outcome.COMPLETED:
        reason = ""
    now = _now(at)
    with transaction.atomic():
        if hotpath.enabled():
            return _pg_complete(actor, counter_id, outcome, reason, now)
        counter, tx = _held_transaction(actor, counter_id)
        _finish_transaction(tx, counter, now, outcome=outcome, reason=reason, actor_id=actor.user_id)
        if tx.ticket is not None and outcome == Outcome.COMPLETED:
            _preorder_finish(actor, tx.ticket, now)
        audit_record(
            actor=actor,
            action="transaction.complete",
            object_type="transaction",
            object_id=tx.pk,
            hall_id=counter.hall_id,
            at=now,
            detail={"outcome": outcome, "reason": reason},
        )
    return tx


def _current_ticket(tx: ServiceTransaction) -> Ticket:
    if tx.ticket is None:
        raise Conflict("a walk-in has no ticket", field="counter", code="no_ticket")
    return Ticket.objects.select_for_update(of=("self",)).select_related("service").get(pk=tx.ticket.pk)


def counter_transfer(
    *,
    actor: Actor,
    counter_id: int,
    service_code: str | None = None,
    to_counter_number: int | None = None,
    at: dt.datetime | None = None,
) -> Ticket:
    """Hand the customer on to another business type or counter, keeping the original number and issue time."""
    if not service_code and to_counter_number is None:
        raise Invalid("give a business type or a counter to transfer to", field="service", code="required")
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        tx = _require_transaction(counter)
        ticket = _current_ticket(tx)
        service = _service_by_code(service_code) if service_code else ticket.service
        target: Counter | None = None
        if to_counter_number is not None:
            target = Counter.objects.filter(hall_id=counter.hall_id, number=to_counter_number).first()
            if target is None:
                raise Invalid("no such counter in this hall", field="counter", code="unknown_counter")
            if not target.services.filter(pk=service.pk).exists():
                raise Invalid("that counter does not serve the business type", field="counter", code="not_served_here")
        _transition(ticket, TicketAction.TRANSFER)
        ticket.counter = None
        ticket.finished_at = now
        ticket.save(update_fields=["status", "counter", "finished_at"])
        _close_transaction(tx, now, Outcome.TRANSFERRED)
        child = Ticket.objects.create(
            hall_id=ticket.hall_id,
            service=service,
            day=ticket.day,
            prefix=ticket.prefix,
            seq=ticket.seq,
            number=ticket.number,
            channel=ticket.channel,
            priority=ticket.priority,
            star_level=ticket.star_level,
            phone=ticket.phone,
            status=TicketState.WAITING.value,
            issued_at=ticket.issued_at,
            rank=ticket.rank,
            target_counter=target,
            parent=ticket,
            token=secrets.token_urlsafe(16),
            created_by_id=actor.user_id,
        )
        PreOrder.objects.filter(ticket=ticket).update(ticket=child)
        event_record(
            hall_id=counter.hall_id,
            kind="ticket.transferred",
            at=now,
            actor_id=actor.user_id,
            ticket=child,
            counter=counter,
            transaction=tx,
            data={
                "number": child.number,
                "from_ticket": ticket.pk,
                "service": service.code,
                "to_counter": target.number if target else None,
            },
        )
        audit_record(
            actor=actor,
            action="ticket.transfer",
            object_type="ticket",
            object_id=child.pk,
            hall_id=counter.hall_id,
            at=now,
            detail={"from": ticket.pk, "service": service.code},
        )
    return child


def counter_park(*, actor: Actor, counter_id: int, at: dt.datetime | None = None) -> Ticket:
    """Set the customer aside (fetching a document): the counter holds the ticket and is free meanwhile."""
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        tx = _require_transaction(counter)
        ticket = _current_ticket(tx)
        _transition(ticket, TicketAction.PARK)
        ticket.save(update_fields=["status"])
        _close_transaction(tx, now, Outcome.PARKED)
        event_record(
            hall_id=counter.hall_id,
            kind="ticket.parked",
            at=now,
            actor_id=actor.user_id,
            ticket=ticket,
            counter=counter,
            transaction=tx,
            data={"number": ticket.number},
        )
        audit_record(
            actor=actor,
            action="ticket.park",
            object_type="ticket",
            object_id=ticket.pk,
            hall_id=counter.hall_id,
            at=now,
        )
    return ticket


def counter_resume(*, actor: Actor, counter_id: int, ticket_id: int, at: dt.datetime | None = None) -> CallResult:
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        _require_idle(counter)
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("service")
            .filter(pk=ticket_id, hall_id=counter.hall_id)
            .first()
        )
        if ticket is None:
            raise NotFound("ticket not found", field="ticket")
        if ticket.counter_id != counter.pk:
            raise Conflict("the ticket is parked at another counter", field="ticket", code="held_elsewhere")
        _transition(ticket, TicketAction.RESUME)
        ticket.save(update_fields=["status"])
        tx = ServiceTransaction.objects.create(
            hall_id=counter.hall_id,
            counter=counter,
            agent_id=actor.user_id,
            ticket=ticket,
            service=ticket.service,
            limit_seconds=int(ticket.service.limit_seconds),
            phase=Phase.ARRIVED.value,
            called_at=now,
            arrived_at=now,
        )
        event_record(
            hall_id=counter.hall_id,
            kind="ticket.resumed",
            at=now,
            actor_id=actor.user_id,
            ticket=ticket,
            counter=counter,
            transaction=tx,
            data={"number": ticket.number},
        )
        audit_record(
            actor=actor,
            action="ticket.resume",
            object_type="ticket",
            object_id=ticket.pk,
            hall_id=counter.hall_id,
            at=now,
        )
    return CallResult(ticket=ticket, transaction=tx, pre_order=PreOrder.objects.filter(ticket=ticket).first())


def counter_add_service(
    *, actor: Actor, counter_id: int, service_code: str, at: dt.datetime | None = None
) -> ServiceTransaction:
    """Add a second business type to the customer's visit (one visit, one signature)."""
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        tx = _require_transaction(counter)
        service = _service_by_code(service_code)
        if service.pk == tx.service_id or tx.extra_services.filter(pk=service.pk).exists():
            raise Conflict("that business type is already part of the visit", field="service", code="duplicate")
        tx.extra_services.add(service)
        tx.limit_seconds += int(service.limit_seconds)
        tx.save(update_fields=["limit_seconds"])
        event_record(
            hall_id=counter.hall_id,
            kind="transaction.service_added",
            at=now,
            actor_id=actor.user_id,
            ticket=tx.ticket,
            counter=counter,
            transaction=tx,
            data={"service": service.code},
        )
    return tx


def counter_walk_in(
    *, actor: Actor, counter_id: int, service_code: str, at: dt.datetime | None = None
) -> ServiceTransaction:
    """Serve a customer without a ticket at an idle counter (the transaction is timed like any other)."""
    now = _now(at)
    with transaction.atomic():
        counter = _counter(actor, counter_id)
        _require_holder(actor, counter)
        _require_idle(counter)
        service = _service_by_code(service_code)
        tx = ServiceTransaction.objects.create(
            hall_id=counter.hall_id,
            counter=counter,
            agent_id=actor.user_id,
            ticket=None,
            service=service,
            limit_seconds=int(service.limit_seconds),
            phase=Phase.ARRIVED.value,
            called_at=now,
            arrived_at=now,
        )
        event_record(
            hall_id=counter.hall_id,
            kind="transaction.walk_in",
            at=now,
            actor_id=actor.user_id,
            counter=counter,
            transaction=tx,
            data={"service": service.code},
        )
    return tx


# ------------------------------------------------------------------------------------------------ day end


def hall_day_end(*, hall: Hall, day: dt.date, at: dt.datetime | None = None, actor: Actor | None = None) -> int:
    """Close the hall's day: every ticket still open on or before ``day`` becomes not_served. Idempotent."""
    now = _now(at)
    with transaction.atomic():
        # Lock the hall's counters, then the tickets (the fixed order): no counter operation interleaves, and a
        # concurrent second run waits here, then finds nothing left to close (it used to re-close transactions).
        list(Counter.objects.select_for_update().filter(hall=hall).order_by("pk").values_list("pk", flat=True))
        tickets = list(day_open_tickets(hall=hall, day=day).select_for_update())
        open_tx = day_open_transactions(hall=hall, day=day)
        for tx in open_tx:
            _close_transaction(tx, now, Outcome.NOT_SERVED)
        for ticket in tickets:
            _transition(ticket, TicketAction.DAY_END)
            ticket.finished_at = now
            ticket.counter = None
            ticket.save(update_fields=["status", "finished_at", "counter"])
            event_record(
                hall_id=hall.pk,
                kind="ticket.not_served",
                at=now,
                actor_id=actor.user_id if actor else None,
                ticket=ticket,
                data={"number": ticket.number},
            )
        unfinished = [PreOrderState.DRAFT, PreOrderState.READY, PreOrderState.CONFIRMED]
        PreOrder.objects.filter(ticket__in=tickets, state__in=unfinished).update(state=PreOrderState.ABANDONED)
    return len(tickets)


# ----------------------------------------------------------------------------------------------- pre-orders

PREORDER_FIELDS = ("customer_name", "id_type", "id_number", "phone", "products", "documents", "notes")


def _preorder_finish(actor: Actor, ticket: Ticket, now: dt.datetime) -> None:
    pre = PreOrder.objects.select_for_update().filter(ticket=ticket).first()
    if pre is None or pre.state not in (PreOrderState.READY, PreOrderState.CONFIRMED):
        return
    state = PreOrderState(pre.state)
    if state is PreOrderState.READY:
        state = preorder_next_state(state, PreOrderAction.CONFIRM)
    pre.state = preorder_next_state(state, PreOrderAction.EXECUTE).value
    pre.updated_at = now
    pre.save(update_fields=["state", "updated_at"])
    event_record(hall_id=ticket.hall_id, kind="pre_order.executed", at=now, actor_id=actor.user_id, ticket=ticket)


def preorder_reveal(*, actor: Actor, pre_order: PreOrder, at: dt.datetime | None = None) -> bool:
    """May the caller see the customer's unmasked phone and ID? If so, the view is audited (and committed)."""
    hall_id = pre_order.ticket.hall_id
    if not (pre_order.id_number or pre_order.phone) or not actor.can(hall_id, Action.CUSTOMER_VIEW_PII):
        return False
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="customer.view_pii",
            object_type="pre_order",
            object_id=pre_order.pk,
            hall_id=hall_id,
            customer_ref=pre_order.id_number or pre_order.phone,
            at=_now(at),
        )
    return True


def preorder_save(
    *,
    actor: Actor,
    ticket_id: int,
    data: dict[str, Any],
    state: str | None = None,
    service_code: str | None = None,
    expected_version: int | None = None,
    at: dt.datetime | None = None,
) -> PreOrder:
    """Create or update the pre-order while the customer waits; read-only once the ticket is called.

    With ``expected_version`` (the version the editor read; 0 when there was no pre-order yet) the save is
    refused (409 ``stale_version``) if someone saved since, instead of overwriting newer content — the editing
    lock alone does not cover a save after the lock ran out or from the same clerk's second tablet.
    """
    now = _now(at)
    id_type = data.get("id_type") or ""
    id_number = data.get("id_number") or ""
    if id_type:
        try:
            kind = IdType(id_type)
        except ValueError as exc:
            raise Invalid(f"unknown document type {id_type!r}", field="id_type", code="invalid_choice") from exc
        if id_number:
            check = validate_id(kind, id_number, today=timezone.localdate(now))
            if not check.ok:
                raise Invalid(
                    f"the document number is not valid ({check.error})",
                    field="id_number",
                    code=f"id_{check.error}",
                )
            id_number = check.normalized
    elif id_number:
        raise Invalid("choose the document type first", field="id_type", code="required")
    phone = normalize_phone(data.get("phone") or "")
    with transaction.atomic():
        ticket = ticket_for_actor(actor=actor, ticket_id=ticket_id, action=Action.PREORDER_EDIT, lock=True)
        if ticket.status != TicketState.WAITING:
            raise Conflict(
                "the ticket has been called: the pre-order is read-only", field="ticket", code="ticket_called"
            )
        service = _service_by_code(service_code) if service_code else ticket.service
        pre = PreOrder.objects.select_for_update().filter(ticket=ticket).first()
        if expected_version is not None and (pre.version if pre else 0) != expected_version:
            raise Conflict("the pre-order was changed since you opened it", field="version", code="stale_version")
        created = pre is None
        if pre is None:
            pre = PreOrder(ticket=ticket, service=service, state=PreOrderState.DRAFT.value, updated_at=now)
        elif pre.editor_id not in (None, actor.user_id) and pre.editor_until and pre.editor_until > now:
            raise Conflict("another clerk is editing this pre-order", field="ticket", code="being_edited")
        if pre.state not in (PreOrderState.DRAFT, PreOrderState.READY):
            raise Conflict(f"the pre-order is {pre.state}", field="state", code="illegal_transition")
        pre.service = service
        pre.customer_name = str(data.get("customer_name") or "")[:60]
        pre.id_type = id_type
        pre.id_number = id_number
        pre.phone = phone
        pre.products = list(data.get("products") or [])
        pre.documents = list(data.get("documents") or [])
        pre.notes = str(data.get("notes") or "")
        pre.editor_id = actor.user_id
        pre.editor_until = now + PREORDER_EDIT_LOCK
        pre.updated_at = now
        if state is not None and state != pre.state:
            action = {
                PreOrderState.READY.value: PreOrderAction.MARK_READY,
                PreOrderState.DRAFT.value: PreOrderAction.REOPEN,
                PreOrderState.ABANDONED.value: PreOrderAction.ABANDON,
            }.get(state)
            if action is None:
                raise Invalid("state is draft, ready or abandoned", field="state", code="invalid_choice")
            try:
                pre.state = preorder_next_state(PreOrderState(pre.state), action).value
            except IllegalTransition as exc:
                raise Conflict(str(exc), field="state", code="illegal_transition") from exc
        if not created:
            pre.version += 1
        pre.save()
        event_record(
            hall_id=ticket.hall_id,
            kind="pre_order.saved",
            at=now,
            actor_id=actor.user_id,
            ticket=ticket,
            data={"state": pre.state, "number": ticket.number},
        )
        audit_record(
            actor=actor,
            action="pre_order.save",
            object_type="pre_order",
            object_id=pre.pk,
            hall_id=ticket.hall_id,
            customer_ref=id_number or phone,
            at=now,
            detail={"state": pre.state},
        )
    return pre


def ticket_cancel_by_customer(*, token: str, at: dt.datetime | None = None) -> Ticket:
    """The customer leaves the queue from the ticket page (the token in the QR code is the credential).

    Only a waiting ticket: once called, the counter decides. No staff actor: the audit row names nobody.
    """
    now = _now(at)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(token=token).first() if token else None
        if ticket is None:
            raise NotFound("ticket not found", field="ticket")
        if ticket.status != TicketState.WAITING:
            raise Conflict(
                f"ticket {ticket.number or ticket.pk} is {ticket.status}: only a waiting ticket can be cancelled",
                field="status",
                code="not_waiting",
            )
        _transition(ticket, TicketAction.CANCEL)
        ticket.finished_at = now
        ticket.save(update_fields=["status", "finished_at"])
        event_record(hall_id=ticket.hall_id, kind="ticket.cancelled", at=now, ticket=ticket, data={"by": "customer"})
        audit_record(
            actor=None,
            action="ticket.cancel_by_customer",
            object_type="ticket",
            object_id=ticket.pk,
            hall_id=ticket.hall_id,
            at=now,
        )
    return ticket
