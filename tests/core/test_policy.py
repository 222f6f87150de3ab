"""Calling policy: bonuses, queue order, pick_next and push-back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hallops.core.policy import (
    MAX_PRIORITY_BONUS_SECONDS,
    NoShowPolicy,
    Priority,
    QueueEntry,
    order_queue,
    pick_next,
    priority_bonus_seconds,
    push_back_rank,
    queue_rank,
)

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
US = timedelta(microseconds=1)
SERVICES = ("A", "B", "C", "D")


def entry(
    id: int, issued_s: float, priority: Priority = Priority.NORMAL, star: int = 0, service: str = "A"
) -> QueueEntry:
    issued = T0 + timedelta(seconds=issued_s)
    return QueueEntry(
        id=id,
        service=service,
        rank=queue_rank(issued, priority, star),
        issued_at=issued,
        priority=priority,
        star_level=star,
    )


priority_and_star = st.one_of(
    st.tuples(st.sampled_from([Priority.NORMAL, Priority.ELDERLY, Priority.APPOINTMENT]), st.just(0)),
    st.tuples(st.just(Priority.VIP), st.integers(1, 5)),
)


@st.composite
def queues(draw: st.DrawFn, max_size: int = 25) -> list[QueueEntry]:
    """Tickets issued at non-decreasing times (ids in issue order), random priorities/services."""
    n = draw(st.integers(0, max_size))
    t = 0.0
    out = []
    for i in range(1, n + 1):
        t += draw(st.sampled_from([0, 0.000001, 1, 30, 200, 901]))
        prio, star = draw(priority_and_star)
        out.append(entry(i, t, prio, star, draw(st.sampled_from(SERVICES))))
    return out


@pytest.mark.parametrize(
    ("priority", "star", "bonus"),
    [
        (Priority.NORMAL, 0, 0),
        (Priority.ELDERLY, 0, 300),
        (Priority.APPOINTMENT, 0, 600),
        (Priority.VIP, 1, 420),
        (Priority.VIP, 3, 660),
        (Priority.VIP, 5, 900),
    ],
)
def test_bonus_values(priority: Priority, star: int, bonus: int) -> None:
    """Bonuses: normal 0, elderly 300, appointment 600, vip 300 + 120 per star."""
    assert priority_bonus_seconds(priority, star) == bonus


def test_max_bonus_is_b() -> None:
    """B is the largest bonus any ticket can get."""
    assert MAX_PRIORITY_BONUS_SECONDS == 900
    assert max(priority_bonus_seconds(Priority.VIP, s) for s in range(1, 6)) == MAX_PRIORITY_BONUS_SECONDS


@pytest.mark.parametrize("star", [0, 6, -1])
def test_vip_needs_valid_star(star: int) -> None:
    """A VIP star level outside 1..5 is rejected."""
    with pytest.raises(ValueError):
        priority_bonus_seconds(Priority.VIP, star)


def test_star_on_non_vip_rejected() -> None:
    """A star level on a non-VIP ticket is rejected."""
    with pytest.raises(ValueError):
        priority_bonus_seconds(Priority.ELDERLY, 2)


def test_queue_rank_subtracts_bonus() -> None:
    """The rank is issue time minus the bonus."""
    assert queue_rank(T0, Priority.APPOINTMENT) == T0 - timedelta(seconds=600)
    assert queue_rank(T0, Priority.VIP, 2) == T0 - timedelta(seconds=540)


def test_order_ties_broken_by_id() -> None:
    """Equal ranks are ordered by id."""
    a, b = entry(2, 0), entry(1, 0)
    assert [e.id for e in order_queue([a, b])] == [1, 2]


def test_elderly_overtakes_recent_normal() -> None:
    """An elderly ticket issued 200 s after a normal one is called first."""
    normal, elderly = entry(1, 0), entry(2, 200, Priority.ELDERLY)
    assert pick_next([normal, elderly], {"A"}) == elderly


def test_pick_next_skips_other_services() -> None:
    """A counter skips tickets for business types it does not serve."""
    a, b = entry(1, 0, service="A"), entry(2, 10, service="B")
    assert pick_next([a, b], {"B"}) == b


def test_pick_next_none_when_nothing_served() -> None:
    """With no ticket the counter can serve, there is nothing to call."""
    assert pick_next([entry(1, 0, service="A")], {"B"}) is None
    assert pick_next([], {"A"}) is None


def test_no_show_policy_values() -> None:
    """The no-show policy values are the stored strings."""
    assert [p.value for p in NoShowPolicy] == ["keep", "push_back", "cancel"]


@given(q=queues(), served=st.sets(st.sampled_from(SERVICES)))
def test_pick_next_serves_only_counter_services(q: list[QueueEntry], served: set[str]) -> None:
    """pick_next never returns a ticket of a service the counter does not serve, and finds one if any exists."""
    picked = pick_next(q, served)
    eligible = [e for e in q if e.service in served]
    if picked is None:
        assert eligible == []
    else:
        assert picked.service in served
        assert picked == order_queue(eligible)[0]


@given(q=queues())
def test_pick_next_ignores_input_order(q: list[QueueEntry]) -> None:
    """The choice does not depend on the order the entries are passed in."""
    assert pick_next(q, SERVICES) == pick_next(list(reversed(q)), SERVICES)


@given(q=queues(), served=st.sets(st.sampled_from(SERVICES), min_size=1))
def test_fifo_within_priority(q: list[QueueEntry], served: set[str]) -> None:
    """Among tickets of the same priority and star level, the earlier issued is ordered first."""
    ordered = order_queue(q)
    pos = {e.id: i for i, e in enumerate(ordered)}
    for x in q:
        for y in q:
            if (x.priority, x.star_level) == (y.priority, y.star_level) and (x.issued_at, x.id) < (y.issued_at, y.id):
                assert pos[x.id] < pos[y.id]


@given(
    a=priority_and_star,
    b=priority_and_star,
    ta=st.integers(0, 10_000),
    gap_us=st.integers(1, 10**10),
)
def test_overtaking_bound(a: tuple[Priority, int], b: tuple[Priority, int], ta: int, gap_us: int) -> None:
    """A ticket is never overtaken by one issued more than B seconds later, whatever the priorities."""
    t_a = T0 + timedelta(seconds=ta)
    t_b = t_a + timedelta(seconds=MAX_PRIORITY_BONUS_SECONDS, microseconds=gap_us)
    first = QueueEntry(id=2, service="A", rank=queue_rank(t_a, *a), issued_at=t_a)
    later = QueueEntry(id=1, service="A", rank=queue_rank(t_b, *b), issued_at=t_b)
    assert order_queue([later, first])[0] == first


def test_overtaking_exactly_at_b_can_tie() -> None:
    """At exactly B seconds later a 5-star VIP ties on rank with a normal ticket (so the bound is strict)."""
    assert queue_rank(T0, Priority.NORMAL) == queue_rank(T0 + timedelta(seconds=900), Priority.VIP, 5)


# --- push-back -------------------------------------------------------------------


def position_after_insert(q: list[QueueEntry], ticket_id: int, rank: datetime) -> int:
    me = QueueEntry(id=ticket_id, service="A", rank=rank, issued_at=T0)
    return [e.id for e in order_queue([*q, me])].index(ticket_id)


@st.composite
def spaced_queues(draw: st.DrawFn) -> list[QueueEntry]:
    """Queues whose ranks are distinct and at least 2 µs apart, ids in any order."""
    offsets = draw(st.lists(st.integers(0, 10**7), max_size=20, unique=True))
    offsets = sorted({o - o % 2 for o in offsets})
    ids = draw(st.permutations(list(range(1, len(offsets) + 1))))
    return [
        QueueEntry(id=i, service="A", rank=T0 + o * US, issued_at=T0 + o * US)
        for i, o in zip(ids, offsets, strict=True)
    ]


@given(q=spaced_queues(), places=st.integers(0, 25), ticket_id=st.integers(-5, 100))
def test_push_back_lands_exactly_k_back(q: list[QueueEntry], places: int, ticket_id: int) -> None:
    """A pushed-back ticket has exactly min(k, queue length) tickets ahead of it."""
    assume(ticket_id not in {e.id for e in q})
    rank = push_back_rank(q, places, now_rank_floor=T0)
    assert position_after_insert(q, ticket_id, rank) == min(places, len(q))


@given(q=queues(), places=st.integers(0, 30), ticket_id=st.integers(-5, 40), give_id=st.booleans())
def test_push_back_never_ahead_of_due_place(q: list[QueueEntry], places: int, ticket_id: int, give_id: bool) -> None:
    """Even with tied ranks, a pushed-back ticket never lands ahead of k places back."""
    assume(ticket_id not in {e.id for e in q})
    rank = push_back_rank(q, places, now_rank_floor=T0, ticket_id=ticket_id if give_id else None)
    assert position_after_insert(q, ticket_id, rank) >= min(places, len(q))


def test_push_back_midpoint() -> None:
    """Between neighbours 10 s apart the rank is the midpoint."""
    q = [entry(1, 0), entry(2, 10), entry(3, 20)]
    assert push_back_rank(q, 2) == T0 + timedelta(seconds=15)


def test_push_back_short_queue_goes_to_end() -> None:
    """With fewer than k tickets waiting the ticket goes after the last, 1 µs later."""
    q = [entry(1, 0), entry(2, 10)]
    assert push_back_rank(q, 5) == T0 + timedelta(seconds=10) + US


def test_push_back_end_respects_floor() -> None:
    """At the end, the floor wins when it is later than the last rank."""
    floor = T0 + timedelta(seconds=60)
    assert push_back_rank([entry(1, 0)], 3, now_rank_floor=floor) == floor


def test_push_back_empty_queue_uses_floor() -> None:
    """With nobody waiting the floor is the rank; without a floor it is an error."""
    assert push_back_rank([], 3, now_rank_floor=T0) == T0
    with pytest.raises(ValueError):
        push_back_rank([], 3)


def test_push_back_tie_uses_ticket_id() -> None:
    """Neighbours 1 µs apart: with a larger id than the earlier neighbour the rank ties with it."""
    q = [QueueEntry(1, "A", T0, T0), QueueEntry(2, "A", T0 + US, T0)]
    rank = push_back_rank(q, 1, ticket_id=9)
    assert rank == T0
    assert position_after_insert(q, 9, rank) == 1


def test_push_back_tie_with_smaller_id_goes_after_earlier_neighbour() -> None:
    """Neighbours 1 µs apart: with a smaller id than the earlier neighbour the rank moves 1 µs later."""
    q = [QueueEntry(5, "A", T0, T0), QueueEntry(6, "A", T0 + US, T0)]
    rank = push_back_rank(q, 1, ticket_id=3)
    assert rank == T0 + US
    assert position_after_insert(q, 3, rank) == 1


def test_push_back_negative_places_rejected() -> None:
    """A negative number of places is an error."""
    with pytest.raises(ValueError):
        push_back_rank([entry(1, 0)], -1)
