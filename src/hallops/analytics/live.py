"""The live hall's finished visits as core records (read side of live sync; the write is ``services.sync_hall``).

A visit is a ticket with the tickets it was transferred to (they keep its number and issue time). Its
records, one per counter transaction, as ``core.kpi`` defines them:

- a transaction ``completed``, ``not_completed`` or ``transferred`` is a ``done`` record (the counter's
  work, timed against the transaction's limit, extra business types included); ``no_show``, ``cancelled``
  and ``not_served`` transactions keep their outcome;
- a ``parked`` transaction and the transaction that resumed it are one record: called when first called,
  the phases marked before the park, then those marked after the resume, ended when the resumed one ended.
  A parked ticket that was never resumed ends with its ticket's final state;
- when the last ticket's final state (cancelled, not served, diverted) is not the outcome of its last
  transaction, one record without a call ends the visit at the ticket's ``finished_at``: a diverted
  ticket, a ticket cancelled or not served while waiting, also after a missed call (so a missed number that
  the hall's policy cancels counts as a no-show and as a cancellation);
- a walk-in served without a ticket is a visit of its own: ticket ``#W<transaction id>``, channel
  ``walk_in``, issued when called (no wait).

The ticket of a visit is its number, or ``#<ticket id>`` for a diverted ticket (it has no number). Ratings
come from ``feedback.Rating``; a done record has ``pre_order`` when it completed the ticket that carried an
executed pre-order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from hallops.core.kpi import Outcome, TransactionRecord
from hallops.core.states import PreOrderState, TicketState
from hallops.feedback.models import Rating
from hallops.hall.models import Outcome as TxOutcome
from hallops.hall.models import PreOrder, ServiceTransaction, Ticket
from hallops.organisation.models import Hall

#: a visit is final when its last ticket is in one of these states (a transferred ticket is never last)
FINAL_STATES = frozenset({TicketState.DONE, TicketState.CANCELLED, TicketState.DIVERTED, TicketState.NOT_SERVED})

_TX_OUTCOMES = {
    TxOutcome.COMPLETED: Outcome.DONE,
    TxOutcome.NOT_COMPLETED: Outcome.DONE,
    TxOutcome.TRANSFERRED: Outcome.DONE,
    TxOutcome.NO_SHOW: Outcome.NO_SHOW,
    TxOutcome.CANCELLED: Outcome.CANCELLED,
    TxOutcome.NOT_SERVED: Outcome.NOT_SERVED,
}
_END_STATES = {
    TicketState.CANCELLED: Outcome.CANCELLED,
    TicketState.NOT_SERVED: Outcome.NOT_SERVED,
    TicketState.DIVERTED: Outcome.DIVERTED,
}
_PHASES = ("arrived_at", "communication_at", "operation_at")

WALK_IN_CHANNEL = "walk_in"


def _chains(hall: Hall, ticket_ids: Iterable[int]) -> list[list[Ticket]]:
    """The visits (root first, then its transfers) that the given tickets belong to."""
    parents: dict[int, int | None] = {}
    todo = set(ticket_ids)
    while todo:  # up to the roots
        rows = Ticket.objects.filter(hall=hall, pk__in=todo).values_list("pk", "parent_id")
        parents.update(rows)
        todo = {p for _, p in rows if p is not None and p not in parents}
    known = set(parents)
    frontier = {pk for pk, parent in parents.items() if parent is None}
    while frontier:  # down to the last transfers
        rows = Ticket.objects.filter(parent_id__in=frontier).exclude(pk__in=known).values_list("pk", "parent_id")
        parents.update(rows)
        frontier = {pk for pk, _ in rows}
        known |= frontier
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=known).select_related("service")}
    children: dict[int, list[int]] = {}
    for pk, parent in parents.items():
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    chains = []
    for pk, parent in parents.items():
        if parent is None and pk in tickets:
            chain = [tickets[pk]]
            while children.get(chain[-1].pk):
                chain.append(tickets[min(children[chain[-1].pk])])
            chains.append(chain)
    return chains


def _final(chain: list[Ticket]) -> bool:
    return chain[-1].status in FINAL_STATES and all(t.status == TicketState.TRANSFERRED for t in chain[:-1])


def visit_records(
    *,
    hall: Hall,
    ticket_ids: Iterable[int],
    walk_in_ids: Iterable[int] = (),
    ended_by: dt.datetime | None = None,
) -> list[TransactionRecord]:
    """The records of every final visit that one of ``ticket_ids`` belongs to, and of the finished walk-ins;
    with ``ended_by``, only the visits that ended by then (the others are read when their last event is)."""
    chains = [chain for chain in _chains(hall, ticket_ids) if _final(chain)]
    if ended_by is not None:
        chains = [c for c in chains if c[-1].finished_at is None or c[-1].finished_at <= ended_by]
    ids = [t.pk for chain in chains for t in chain]
    txs: dict[int, list[ServiceTransaction]] = {}
    for tx in (
        ServiceTransaction.objects.filter(ticket_id__in=ids)
        .select_related("service", "counter", "agent")
        .order_by("called_at", "pk")
    ):
        assert tx.ticket_id is not None
        txs.setdefault(tx.ticket_id, []).append(tx)
    walk_ins = list(
        ServiceTransaction.objects.filter(
            hall=hall,
            pk__in=list(walk_in_ids),
            ticket__isnull=True,
            done_at__lte=ended_by or dt.datetime.max.replace(tzinfo=dt.UTC),
        ).select_related("service", "counter", "agent")
    )
    all_tx = [tx.pk for rows in txs.values() for tx in rows] + [tx.pk for tx in walk_ins]
    ratings = dict(Rating.objects.filter(transaction_id__in=all_tx).values_list("transaction_id", "score"))
    pre_ordered = set(
        PreOrder.objects.filter(ticket_id__in=ids, state=PreOrderState.EXECUTED).values_list("ticket_id", flat=True)
    )
    records: list[TransactionRecord] = []
    for chain in chains:
        records += _visit(chain, txs, ratings, pre_ordered)
    for tx in walk_ins:
        rec = _tx_record(tx, f"#W{tx.pk}", tx.called_at, WALK_IN_CHANNEL, "normal", None, ratings, pre_order=False)
        if rec is not None:
            records.append(rec)
    return records


def _tx_record(
    tx: ServiceTransaction,
    ticket: str,
    issued_at: object,
    channel: str,
    priority: str,
    quoted: float | None,
    ratings: dict[int, int],
    *,
    pre_order: bool,
    start: ServiceTransaction | None = None,
    outcome: Outcome | None = None,
    ended_at: object = None,
) -> TransactionRecord | None:
    """One record of ``tx`` (with ``start``: the parked transaction it resumed, see the module docstring)."""
    if outcome is None and tx.outcome:
        outcome = _TX_OUTCOMES.get(TxOutcome(tx.outcome))
    if outcome is None:
        return None
    first = start or tx
    phases = {name: getattr(first, name) for name in _PHASES}
    if start is not None:
        marked = [name for name in _PHASES if phases[name] is not None]
        after = _PHASES.index(marked[-1]) + 1 if marked else 0
        for name in _PHASES[after:]:
            phases[name] = getattr(tx, name)
    done = outcome is Outcome.DONE
    return TransactionRecord(
        ticket=ticket,
        service=first.service.code,
        channel=channel,
        priority=priority,
        issued_at=issued_at,  # type: ignore[arg-type]
        called_at=first.called_at,
        ended_at=ended_at or tx.done_at,  # type: ignore[arg-type]
        outcome=outcome,
        counter=str(tx.counter.number),
        agent=tx.agent.get_username(),
        rating=ratings.get(tx.pk) if done else None,
        quoted_wait_seconds=quoted,
        pre_order=done and pre_order and tx.outcome == TxOutcome.COMPLETED,
        limit_minutes=tx.limit_seconds / 60,
        **phases,
    )


def _visit(
    chain: list[Ticket], txs: dict[int, list[ServiceTransaction]], ratings: dict[int, int], pre_ordered: set[int]
) -> list[TransactionRecord]:
    root, last = chain[0], chain[-1]
    label = root.number or f"#{root.pk}"
    quoted = float(root.quoted_wait_seconds) if root.quoted_wait_seconds is not None else None
    common = (label, root.issued_at, root.channel, root.priority, quoted, ratings)
    out: list[TransactionRecord] = []
    for ticket in chain:
        parked: ServiceTransaction | None = None
        rows = txs.get(ticket.pk, [])
        for index, tx in enumerate(rows):
            if tx.outcome == TxOutcome.PARKED:
                parked = parked or tx
                if index + 1 < len(rows):
                    continue
                # parked and never resumed: the visit ended with the ticket's final state
                end = _END_STATES.get(TicketState(ticket.status), Outcome.NOT_SERVED)
                rec = _tx_record(
                    tx, *common, pre_order=False, start=parked, outcome=end, ended_at=ticket.finished_at or tx.done_at
                )
            else:
                rec = _tx_record(tx, *common, pre_order=ticket.pk in pre_ordered, start=parked)
                parked = None
            if rec is not None:
                out.append(rec)
    end = _END_STATES.get(TicketState(last.status))
    covered = bool(txs.get(last.pk)) and bool(out) and out[-1].outcome is end
    if end is not None and not covered:
        out.append(
            TransactionRecord(
                ticket=label,
                service=last.service.code,
                channel=root.channel,
                priority=root.priority,
                issued_at=root.issued_at,
                ended_at=last.finished_at or root.issued_at,
                outcome=end,
                quoted_wait_seconds=quoted,
            )
        )
    return out
