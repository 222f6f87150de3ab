"""A pure model of a hall's queue driven by states.py and policy.py.

Tickets are issued with random priorities at an advancing clock; counters call the
next ticket with pick_next, recall, mark arrival, complete, mark no-show (keep,
push back with push_back_rank, or cancel), park/resume, transfer and cancel; the
day ends.  Invariants are checked after every step.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from hallops.core.policy import NoShowPolicy, Priority, QueueEntry, order_queue, pick_next, push_back_rank, queue_rank
from hallops.core.states import (
    ACTIVE_AT_COUNTER,
    TERMINAL_TICKET_STATES,
    TICKET_TRANSITIONS,
    IllegalTransition,
    TicketAction,
    TicketState,
    ticket_next_state,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
COUNTER_SERVICES: tuple[frozenset[str], ...] = (frozenset({"A"}), frozenset({"A", "B"}), frozenset({"B", "C"}))
PRIORITIES = st.one_of(
    st.tuples(st.sampled_from([Priority.NORMAL, Priority.ELDERLY, Priority.APPOINTMENT]), st.just(0)),
    st.tuples(st.just(Priority.VIP), st.integers(1, 5)),
)
A = TicketAction
S = TicketState


@dataclass
class Ticket:
    id: int
    service: str
    priority: Priority
    star: int
    issued_at: datetime
    rank: datetime
    state: TicketState = S.WAITING
    requeued: bool = False
    history: list[TicketState] = field(default_factory=list)

    def entry(self) -> QueueEntry:
        return QueueEntry(self.id, self.service, self.rank, self.issued_at, self.priority, self.star)


class HallModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = T0
        self.tickets: dict[int, Ticket] = {}
        self.holder: dict[int, int] = {}  # ticket id -> counter
        self.active: list[int | None] = [None] * len(COUNTER_SERVICES)
        self.terminal_seen: dict[int, tuple[TicketState, datetime, int]] = {}

    # --- helpers -----------------------------------------------------------------

    def apply(self, ticket: Ticket, action: TicketAction) -> None:
        """Move a ticket; the move must be in the table."""
        assert (ticket.state, action) in TICKET_TRANSITIONS, (ticket.state, action)
        new = ticket_next_state(ticket.state, action)
        ticket.history.append(ticket.state)
        ticket.state = new

    def waiting(self) -> list[Ticket]:
        return [t for t in self.tickets.values() if t.state is S.WAITING]

    def release(self, counter: int) -> None:
        tid = self.active[counter]
        assert tid is not None
        del self.holder[tid]
        self.active[counter] = None

    def at_counter(self, counter: int) -> Ticket | None:
        tid = self.active[counter]
        return None if tid is None else self.tickets[tid]

    # --- rules -------------------------------------------------------------------

    @rule(
        service=st.sampled_from("ABC"),
        prio=PRIORITIES,
        dt_us=st.sampled_from([0, 1, 1_000_000, 60_000_000, 300_000_000, 901_000_000]),
    )
    def issue(self, service: str, prio: tuple[Priority, int], dt_us: int) -> None:
        self.clock += timedelta(microseconds=dt_us)
        tid = len(self.tickets) + 1
        priority, star = prio
        self.tickets[tid] = Ticket(tid, service, priority, star, self.clock, queue_rank(self.clock, priority, star))

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1))
    def call_next(self, counter: int) -> None:
        if self.active[counter] is not None:
            return
        waiting = self.waiting()
        picked = pick_next([t.entry() for t in waiting], COUNTER_SERVICES[counter])
        if picked is None:
            assert not any(t.service in COUNTER_SERVICES[counter] for t in waiting)
            return
        ticket = self.tickets[picked.id]
        assert ticket.service in COUNTER_SERVICES[counter]
        assert ticket.id not in self.holder, "called while another counter holds it"
        if not ticket.requeued:
            for other in waiting:
                same_class = (other.priority, other.star) == (ticket.priority, ticket.star)
                if same_class and not other.requeued and other.service in COUNTER_SERVICES[counter]:
                    assert (other.issued_at, other.id) >= (ticket.issued_at, ticket.id), "FIFO violated"
        self.apply(ticket, A.CALL)
        self.holder[ticket.id] = counter
        self.active[counter] = ticket.id

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1))
    def recall(self, counter: int) -> None:
        ticket = self.at_counter(counter)
        if ticket is not None and ticket.state is S.CALLED:
            self.apply(ticket, A.RECALL)
            assert ticket.state is S.CALLED

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1), pick=st.integers(0, 10_000))
    def recall_no_show(self, counter: int, pick: int) -> None:
        kept = [t for t in self.tickets.values() if t.state is S.NO_SHOW and t.service in COUNTER_SERVICES[counter]]
        if self.active[counter] is not None or not kept:
            return
        ticket = kept[pick % len(kept)]
        assert ticket.id not in self.holder
        self.apply(ticket, A.RECALL)
        self.holder[ticket.id] = counter
        self.active[counter] = ticket.id

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1))
    def arrive(self, counter: int) -> None:
        ticket = self.at_counter(counter)
        if ticket is not None and ticket.state is S.CALLED:
            self.apply(ticket, A.ARRIVE)

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1))
    def complete(self, counter: int) -> None:
        ticket = self.at_counter(counter)
        if ticket is not None and ticket.state in (S.CALLED, S.SERVING):
            self.apply(ticket, A.COMPLETE)
            self.release(counter)

    @rule(
        counter=st.integers(0, len(COUNTER_SERVICES) - 1),
        policy=st.sampled_from(NoShowPolicy),
        places=st.integers(0, 6),
    )
    def no_show(self, counter: int, policy: NoShowPolicy, places: int) -> None:
        ticket = self.at_counter(counter)
        if ticket is None or ticket.state is not S.CALLED:
            return
        self.apply(ticket, A.NO_SHOW)
        self.release(counter)
        if policy is NoShowPolicy.CANCEL:
            self.apply(ticket, A.CANCEL)
        elif policy is NoShowPolicy.PUSH_BACK:
            queue = order_queue(t.entry() for t in self.waiting())
            floor = queue_rank(self.clock, Priority.NORMAL)
            ticket.rank = push_back_rank(queue, places, now_rank_floor=floor, ticket_id=ticket.id)
            ticket.requeued = True
            self.apply(ticket, A.REQUEUE)
            position = [e.id for e in order_queue(t.entry() for t in self.waiting())].index(ticket.id)
            due = min(places, len(queue))
            assert position >= due
            if 0 < places < len(queue) and queue[places].rank - queue[places - 1].rank >= timedelta(microseconds=2):
                assert position == due

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1))
    def park(self, counter: int) -> None:
        ticket = self.at_counter(counter)
        if ticket is not None and ticket.state in (S.CALLED, S.SERVING):
            self.apply(ticket, A.PARK)

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1))
    def resume(self, counter: int) -> None:
        ticket = self.at_counter(counter)
        if ticket is not None and ticket.state is S.PARKED:
            self.apply(ticket, A.RESUME)

    @rule(counter=st.integers(0, len(COUNTER_SERVICES) - 1))
    def transfer(self, counter: int) -> None:
        ticket = self.at_counter(counter)
        if ticket is not None:
            self.apply(ticket, A.TRANSFER)
            self.release(counter)

    @rule(pick=st.integers(0, 10_000))
    def cancel(self, pick: int) -> None:
        cancellable = [t for t in self.tickets.values() if (t.state, A.CANCEL) in TICKET_TRANSITIONS]
        if not cancellable:
            return
        ticket = cancellable[pick % len(cancellable)]
        self.apply(ticket, A.CANCEL)
        if ticket.id in self.holder:
            self.release(self.holder[ticket.id])

    @rule(pick=st.integers(0, 10_000), action=st.sampled_from(TicketAction))
    def illegal_action_is_refused(self, pick: int, action: TicketAction) -> None:
        if not self.tickets:
            return
        ticket = list(self.tickets.values())[pick % len(self.tickets)]
        if (ticket.state, action) in TICKET_TRANSITIONS:
            return
        before = ticket.state
        try:
            ticket_next_state(ticket.state, action)
        except IllegalTransition as exc:
            assert exc.state == before and exc.action == action
        else:
            raise AssertionError(f"{action} from {before} was allowed")

    @precondition(lambda self: bool(self.tickets))
    @rule()
    def day_end(self) -> None:
        for ticket in self.tickets.values():
            if ticket.state not in TERMINAL_TICKET_STATES:
                self.apply(ticket, A.DAY_END)
        for counter, tid in enumerate(self.active):
            if tid is not None:
                self.release(counter)
        assert all(t.state in TERMINAL_TICKET_STATES for t in self.tickets.values())

    # --- invariants --------------------------------------------------------------

    @invariant()
    def one_holder_per_active_ticket(self) -> None:
        for ticket in self.tickets.values():
            assert (ticket.state in ACTIVE_AT_COUNTER) == (ticket.id in self.holder), ticket

    @invariant()
    def at_most_one_active_ticket_per_counter(self) -> None:
        for counter, services in enumerate(COUNTER_SERVICES):
            held = [tid for tid, c in self.holder.items() if c == counter]
            assert len(held) <= 1
            assert held == ([] if self.active[counter] is None else [self.active[counter]])
            if held:
                assert self.tickets[held[0]].service in services

    @invariant()
    def history_is_legal(self) -> None:
        for ticket in self.tickets.values():
            path = [*ticket.history, ticket.state]
            assert path[0] is S.WAITING
            for old, new in itertools.pairwise(path):
                assert any(TICKET_TRANSITIONS.get((old, a)) is new for a in TicketAction), (old, new)

    @invariant()
    def terminal_tickets_never_change(self) -> None:
        for ticket in self.tickets.values():
            if ticket.id in self.terminal_seen:
                assert (ticket.state, ticket.rank, len(ticket.history)) == self.terminal_seen[ticket.id]
            elif ticket.state in TERMINAL_TICKET_STATES:
                self.terminal_seen[ticket.id] = (ticket.state, ticket.rank, len(ticket.history))


HallModel.TestCase.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
TestHallModel = HallModel.TestCase
TestHallModel.__doc__ = "Random sequences of hall operations keep every queue invariant."
