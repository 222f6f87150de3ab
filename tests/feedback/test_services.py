"""rating_submit and transaction_awaiting_rating: the rules of a customer rating, at the service level."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.accounts.devices import device_create
from hallops.errors import Conflict, Forbidden, Invalid, NotFound
from hallops.feedback.models import Rating
from hallops.feedback.selectors import RATING_WINDOW, transaction_awaiting_rating
from hallops.feedback.services import rating_submit
from hallops.hall import services
from hallops.hall.models import ServiceTransaction
from hallops.organisation.access import Actor, actor_for_user
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db

T0 = shanghai(2026, 3, 2, 10, 0)


def served(setup: Setup, counter_index: int = 0, at: dt.datetime = T0) -> ServiceTransaction:
    agent = setup.actor("agent1", session=f"c{counter_index}")
    counter = setup.counters[counter_index].pk
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="new_subscriber", channel="greeter", at=at
    )
    services.counter_open(actor=agent, counter_id=counter, at=at)
    services.counter_call_next(actor=agent, counter_id=counter, at=at)
    services.counter_arrive(actor=agent, counter_id=counter, at=at + dt.timedelta(seconds=20))
    return services.counter_complete(actor=agent, counter_id=counter, at=at + dt.timedelta(minutes=4))


def pad_actor(setup: Setup, counter: int) -> Actor:
    device, _ = device_create(actor=setup.actor("admin"), hall=setup.hall, kind="rating_pad", counter_number=counter)
    return actor_for_user(device.user, session_ref=f"device:{device.pk}", token_hall_id=setup.hall.pk)


def test_the_window_is_inclusive_of_its_last_second(setup: Setup) -> None:
    """Exactly RATING_WINDOW after done is still accepted; one second later is refused (window_closed)."""
    tx = served(setup)
    actor = pad_actor(setup, 1)
    late = tx.done_at + RATING_WINDOW + dt.timedelta(seconds=1)
    with pytest.raises(Conflict) as exc:
        rating_submit(actor=actor, hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=3, at=late)
    assert exc.value.code == "window_closed"
    rating = rating_submit(
        actor=actor, hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=3, at=tx.done_at + RATING_WINDOW
    )
    assert rating.agent_id == setup.users["agent1"].pk and rating.hall_id == setup.hall.pk


def test_the_selector_follows_the_window_and_the_next_call(setup: Setup) -> None:
    """Awaiting a rating right after done, not after the window, not once rated."""
    tx = served(setup)
    assert transaction_awaiting_rating(hall=setup.hall, counter_number=1, at=tx.done_at) == tx
    assert transaction_awaiting_rating(hall=setup.hall, counter_number=1, at=tx.done_at + RATING_WINDOW * 2) is None
    assert transaction_awaiting_rating(hall=setup.hall, counter_number=2, at=tx.done_at) is None
    rating_submit(
        actor=pad_actor(setup, 1), hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=2, at=tx.done_at
    )
    assert transaction_awaiting_rating(hall=setup.hall, counter_number=1, at=tx.done_at) is None


def test_a_pad_rates_only_at_its_own_counter_even_through_the_service(setup: Setup) -> None:
    """The pad of counter 2 naming counter 1: not found, whatever page it came through."""
    tx = served(setup)
    with pytest.raises(NotFound):
        rating_submit(
            actor=pad_actor(setup, 2), hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=3, at=tx.done_at
        )
    assert not Rating.objects.exists()


def test_the_transaction_must_be_of_that_counter(setup: Setup) -> None:
    """Counter 2's transaction named at counter 1: not found."""
    tx = served(setup, counter_index=1)
    with pytest.raises(NotFound):
        rating_submit(
            actor=pad_actor(setup, 1), hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=3, at=tx.done_at
        )


@pytest.mark.parametrize("username", ["agent1", "manager", "kiosk", "display"])
def test_only_rating_pads_and_admins_may_rate(setup: Setup, username: str) -> None:
    """rating.submit belongs to the rating pad role (and admin): staff get Forbidden."""
    tx = served(setup)
    with pytest.raises(Forbidden):
        rating_submit(
            actor=setup.actor(username), hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=3, at=tx.done_at
        )
    rating_submit(
        actor=setup.actor("admin"), hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=3, at=tx.done_at
    )
    assert Rating.objects.count() == 1


def test_a_not_completed_transaction_is_rated_too(setup: Setup) -> None:
    """The customer was served even when the business was not completed: they may rate it."""
    agent = setup.actor("agent1")
    counter = setup.counters[0].pk
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="new_subscriber", channel="greeter", at=T0
    )
    services.counter_open(actor=agent, counter_id=counter, at=T0)
    services.counter_call_next(actor=agent, counter_id=counter, at=T0)
    tx = services.counter_complete(
        actor=agent, counter_id=counter, outcome="not_completed", reason="missing_documents", at=T0
    )
    rating = rating_submit(
        actor=pad_actor(setup, 1),
        hall=setup.hall,
        counter_number=1,
        transaction_id=tx.pk,
        score=1,
        reasons=["not_solved"],
        at=T0,
    )
    assert rating.reasons == ["not_solved"]


def test_a_comment_longer_than_500_characters_is_refused(setup: Setup) -> None:
    """The comment is bounded; duplicates in the reasons are stored once."""
    tx = served(setup)
    actor = pad_actor(setup, 1)
    with pytest.raises(Invalid):
        rating_submit(
            actor=actor,
            hall=setup.hall,
            counter_number=1,
            transaction_id=tx.pk,
            score=1,
            comment="x" * 501,
            at=tx.done_at,
        )
    rating = rating_submit(
        actor=actor,
        hall=setup.hall,
        counter_number=1,
        transaction_id=tx.pk,
        score=1,
        reasons=["attitude", "attitude"],
        at=tx.done_at,
    )
    assert rating.reasons == ["attitude"]
