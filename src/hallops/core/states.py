"""Explicit state-transition tables for tickets, pre-orders and transaction phases.

Every allowed move is listed; anything not listed is illegal (deny by default).
The tables are read-only mappings so no caller can patch them at run time.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class TicketState(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    PARKED = "parked"
    DONE = "done"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    TRANSFERRED = "transferred"
    DIVERTED = "diverted"
    NOT_SERVED = "not_served"


class TicketAction(StrEnum):
    CALL = "call"
    RECALL = "recall"
    ARRIVE = "arrive"
    COMPLETE = "complete"
    NO_SHOW = "no_show"
    REQUEUE = "requeue"
    PARK = "park"
    RESUME = "resume"
    TRANSFER = "transfer"
    CANCEL = "cancel"
    DAY_END = "day_end"


class IllegalTransition(Exception):
    """An action that the transition table does not allow from the given state."""

    def __init__(self, state: str, action: str) -> None:
        self.state = state
        self.action = action
        super().__init__(f"action {str(action)!r} is not allowed from state {str(state)!r}")


_S = TicketState
_A = TicketAction

TICKET_TRANSITIONS: Mapping[tuple[TicketState, TicketAction], TicketState] = MappingProxyType(
    {
        (_S.WAITING, _A.CALL): _S.CALLED,
        # Recall: call again while called; or bring back a no-show inside the keep
        # window (the caller checks the window, this table only allows the move).
        (_S.CALLED, _A.RECALL): _S.CALLED,
        (_S.NO_SHOW, _A.RECALL): _S.CALLED,
        (_S.CALLED, _A.ARRIVE): _S.SERVING,
        (_S.SERVING, _A.COMPLETE): _S.DONE,
        # Completed without the agent marking the customer's arrival.
        (_S.CALLED, _A.COMPLETE): _S.DONE,
        (_S.CALLED, _A.NO_SHOW): _S.NO_SHOW,
        # The push-back no-show policy returns the ticket to the waiting queue.
        (_S.NO_SHOW, _A.REQUEUE): _S.WAITING,
        (_S.CALLED, _A.PARK): _S.PARKED,
        (_S.SERVING, _A.PARK): _S.PARKED,
        (_S.PARKED, _A.RESUME): _S.SERVING,
        (_S.CALLED, _A.TRANSFER): _S.TRANSFERRED,
        (_S.SERVING, _A.TRANSFER): _S.TRANSFERRED,
        (_S.PARKED, _A.TRANSFER): _S.TRANSFERRED,
        (_S.WAITING, _A.CANCEL): _S.CANCELLED,
        (_S.CALLED, _A.CANCEL): _S.CANCELLED,
        (_S.NO_SHOW, _A.CANCEL): _S.CANCELLED,
        (_S.PARKED, _A.CANCEL): _S.CANCELLED,
        (_S.WAITING, _A.DAY_END): _S.NOT_SERVED,
        (_S.CALLED, _A.DAY_END): _S.NOT_SERVED,
        (_S.SERVING, _A.DAY_END): _S.NOT_SERVED,
        (_S.PARKED, _A.DAY_END): _S.NOT_SERVED,
        (_S.NO_SHOW, _A.DAY_END): _S.NOT_SERVED,
    }
)

#: States no action leads out of.  DIVERTED is set when a ticket is redirected to
#: another channel at issue time; no table action produces it.
TERMINAL_TICKET_STATES: frozenset[TicketState] = frozenset(
    {_S.DONE, _S.CANCELLED, _S.TRANSFERRED, _S.DIVERTED, _S.NOT_SERVED}
)

#: States in which a ticket is held by one counter (at most one such ticket per counter).
ACTIVE_AT_COUNTER: frozenset[TicketState] = frozenset({_S.CALLED, _S.SERVING, _S.PARKED})


def ticket_next_state(state: TicketState, action: TicketAction) -> TicketState:
    """The state after ``action`` from ``state``; raises IllegalTransition if not allowed."""
    try:
        return TICKET_TRANSITIONS[(TicketState(state), TicketAction(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(state, action) from None


class PreOrderState(StrEnum):
    DRAFT = "draft"
    READY = "ready"
    CONFIRMED = "confirmed"
    EXECUTED = "executed"
    ABANDONED = "abandoned"


class PreOrderAction(StrEnum):
    MARK_READY = "mark_ready"
    REOPEN = "reopen"
    CONFIRM = "confirm"
    EXECUTE = "execute"
    ABANDON = "abandon"


_P = PreOrderState
_PA = PreOrderAction

PREORDER_TRANSITIONS: Mapping[tuple[PreOrderState, PreOrderAction], PreOrderState] = MappingProxyType(
    {
        (_P.DRAFT, _PA.MARK_READY): _P.READY,
        (_P.READY, _PA.REOPEN): _P.DRAFT,
        (_P.READY, _PA.CONFIRM): _P.CONFIRMED,
        (_P.CONFIRMED, _PA.EXECUTE): _P.EXECUTED,
        (_P.DRAFT, _PA.ABANDON): _P.ABANDONED,
        (_P.READY, _PA.ABANDON): _P.ABANDONED,
        (_P.CONFIRMED, _PA.ABANDON): _P.ABANDONED,
    }
)


def preorder_next_state(state: PreOrderState, action: PreOrderAction) -> PreOrderState:
    """The pre-order state after ``action``; raises IllegalTransition if not allowed."""
    try:
        return PREORDER_TRANSITIONS[(PreOrderState(state), PreOrderAction(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(state, action) from None


class Phase(StrEnum):
    """Phases of one transaction at a counter, in order."""

    CALLED = "called"
    ARRIVED = "arrived"
    COMMUNICATION = "communication"
    OPERATION = "operation"
    DONE = "done"


PHASE_ORDER: tuple[Phase, ...] = (
    Phase.CALLED,
    Phase.ARRIVED,
    Phase.COMMUNICATION,
    Phase.OPERATION,
    Phase.DONE,
)


def phase_next_allowed(current: Phase, target: Phase) -> bool:
    """True if a transaction in ``current`` may move to ``target``.

    Phases only move forward; ARRIVED, COMMUNICATION and OPERATION may be skipped
    (so called→operation and called→done are allowed), but a phase is never
    repeated and never goes back.
    """
    return PHASE_ORDER.index(Phase(target)) > PHASE_ORDER.index(Phase(current))
