"""Transition tables for tickets, pre-orders and transaction phases."""

from __future__ import annotations

import itertools

import pytest

from hallops.core.states import (
    ACTIVE_AT_COUNTER,
    PHASE_ORDER,
    PREORDER_TRANSITIONS,
    TERMINAL_TICKET_STATES,
    TICKET_TRANSITIONS,
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

S = TicketState
A = TicketAction

# Written out independently of the module so that a change to either is caught.
EXPECTED_TICKET = {
    (S.WAITING, A.CALL): S.CALLED,
    (S.CALLED, A.RECALL): S.CALLED,
    (S.NO_SHOW, A.RECALL): S.CALLED,
    (S.CALLED, A.ARRIVE): S.SERVING,
    (S.SERVING, A.COMPLETE): S.DONE,
    (S.CALLED, A.COMPLETE): S.DONE,
    (S.CALLED, A.NO_SHOW): S.NO_SHOW,
    (S.NO_SHOW, A.REQUEUE): S.WAITING,
    (S.CALLED, A.PARK): S.PARKED,
    (S.SERVING, A.PARK): S.PARKED,
    (S.PARKED, A.RESUME): S.SERVING,
    (S.CALLED, A.TRANSFER): S.TRANSFERRED,
    (S.SERVING, A.TRANSFER): S.TRANSFERRED,
    (S.PARKED, A.TRANSFER): S.TRANSFERRED,
    (S.WAITING, A.CANCEL): S.CANCELLED,
    (S.CALLED, A.CANCEL): S.CANCELLED,
    (S.NO_SHOW, A.CANCEL): S.CANCELLED,
    (S.PARKED, A.CANCEL): S.CANCELLED,
    (S.WAITING, A.DAY_END): S.NOT_SERVED,
    (S.CALLED, A.DAY_END): S.NOT_SERVED,
    (S.SERVING, A.DAY_END): S.NOT_SERVED,
    (S.PARKED, A.DAY_END): S.NOT_SERVED,
    (S.NO_SHOW, A.DAY_END): S.NOT_SERVED,
}

P = PreOrderState
PA = PreOrderAction
EXPECTED_PREORDER = {
    (P.DRAFT, PA.MARK_READY): P.READY,
    (P.READY, PA.REOPEN): P.DRAFT,
    (P.READY, PA.CONFIRM): P.CONFIRMED,
    (P.CONFIRMED, PA.EXECUTE): P.EXECUTED,
    (P.DRAFT, PA.ABANDON): P.ABANDONED,
    (P.READY, PA.ABANDON): P.ABANDONED,
    (P.CONFIRMED, PA.ABANDON): P.ABANDONED,
}


def test_enum_values_are_the_stored_strings() -> None:
    """The enum values are the exact strings stored in the database."""
    assert [s.value for s in TicketState] == [
        "waiting",
        "called",
        "serving",
        "parked",
        "done",
        "no_show",
        "cancelled",
        "transferred",
        "diverted",
        "not_served",
    ]
    assert [a.value for a in TicketAction] == [
        "call",
        "recall",
        "arrive",
        "complete",
        "no_show",
        "requeue",
        "park",
        "resume",
        "transfer",
        "cancel",
        "day_end",
    ]
    assert [s.value for s in PreOrderState] == ["draft", "ready", "confirmed", "executed", "abandoned"]
    assert [p.value for p in Phase] == ["called", "arrived", "communication", "operation", "done"]


def test_ticket_table_matches_expected() -> None:
    """The ticket transition table is exactly the specified one."""
    assert dict(TICKET_TRANSITIONS) == EXPECTED_TICKET


@pytest.mark.parametrize(("state", "action"), list(itertools.product(TicketState, TicketAction)))
def test_ticket_next_state_every_pair(state: TicketState, action: TicketAction) -> None:
    """Every (state, action) pair either yields the table's state or raises IllegalTransition."""
    if (state, action) in EXPECTED_TICKET:
        assert ticket_next_state(state, action) is EXPECTED_TICKET[(state, action)]
    else:
        with pytest.raises(IllegalTransition) as info:
            ticket_next_state(state, action)
        assert info.value.state == state
        assert info.value.action == action
        assert state.value in str(info.value)
        assert action.value in str(info.value)


def test_terminal_states_have_no_exit() -> None:
    """No action leads out of a terminal ticket state."""
    assert {s for s, _ in TICKET_TRANSITIONS} & TERMINAL_TICKET_STATES == set()


def test_terminal_and_active_sets() -> None:
    """The terminal and active-at-counter sets are the specified ones."""
    assert {S.DONE, S.CANCELLED, S.TRANSFERRED, S.DIVERTED, S.NOT_SERVED} == TERMINAL_TICKET_STATES
    assert {S.CALLED, S.SERVING, S.PARKED} == ACTIVE_AT_COUNTER


def test_every_non_terminal_state_can_end() -> None:
    """Day end or another action leads out of every non-terminal state."""
    for state in set(TicketState) - TERMINAL_TICKET_STATES:
        assert any(s is state for s, _ in TICKET_TRANSITIONS), state


def test_tables_are_read_only() -> None:
    """The transition tables cannot be modified at run time."""
    with pytest.raises(TypeError):
        TICKET_TRANSITIONS[(S.DONE, A.CALL)] = S.CALLED  # type: ignore[index]
    with pytest.raises(TypeError):
        PREORDER_TRANSITIONS[(P.EXECUTED, PA.REOPEN)] = P.DRAFT  # type: ignore[index]


def test_unknown_action_string_is_illegal() -> None:
    """A string that is no action raises IllegalTransition, not KeyError/ValueError."""
    with pytest.raises(IllegalTransition):
        ticket_next_state(S.WAITING, "teleport")  # type: ignore[arg-type]


def test_preorder_table_matches_expected() -> None:
    """The pre-order transition table is exactly the specified one."""
    assert dict(PREORDER_TRANSITIONS) == EXPECTED_PREORDER


@pytest.mark.parametrize(("state", "action"), list(itertools.product(PreOrderState, PreOrderAction)))
def test_preorder_next_state_every_pair(state: PreOrderState, action: PreOrderAction) -> None:
    """Every pre-order pair either yields the table's state or raises IllegalTransition."""
    if (state, action) in EXPECTED_PREORDER:
        assert preorder_next_state(state, action) is EXPECTED_PREORDER[(state, action)]
    else:
        with pytest.raises(IllegalTransition):
            preorder_next_state(state, action)


def test_phase_order() -> None:
    """Phases are ordered called, arrived, communication, operation, done."""
    assert PHASE_ORDER == (Phase.CALLED, Phase.ARRIVED, Phase.COMMUNICATION, Phase.OPERATION, Phase.DONE)


@pytest.mark.parametrize(("current", "target"), list(itertools.product(Phase, Phase)))
def test_phase_moves_forward_only(current: Phase, target: Phase) -> None:
    """A phase move is allowed exactly when it goes forward (skips allowed, no repeat, no going back)."""
    forward = PHASE_ORDER.index(target) > PHASE_ORDER.index(current)
    assert phase_next_allowed(current, target) is forward


def test_phase_examples() -> None:
    """Called→operation and called→done are allowed; operation→communication and done→done are not."""
    assert phase_next_allowed(Phase.CALLED, Phase.OPERATION)
    assert phase_next_allowed(Phase.CALLED, Phase.DONE)
    assert not phase_next_allowed(Phase.OPERATION, Phase.COMMUNICATION)
    assert not phase_next_allowed(Phase.DONE, Phase.DONE)
