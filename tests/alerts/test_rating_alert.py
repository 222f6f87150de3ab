"""A dissatisfied rating raises an alert at once, in the rating's own transaction."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.accounts.devices import device_create
from hallops.alerts.models import Alert
from hallops.errors import Conflict
from hallops.feedback.services import rating_submit
from hallops.hall import services
from hallops.hall.models import HallEvent, ServiceTransaction
from hallops.organisation.access import Actor, actor_for_user
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db

T0 = shanghai(2026, 3, 2, 10, 0)


def served(setup: Setup) -> ServiceTransaction:
    agent = setup.actor("agent1")
    counter = setup.counters[0].pk
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="sim_replacement", channel="greeter", at=T0
    )
    services.counter_open(actor=agent, counter_id=counter, at=T0)
    services.counter_call_next(actor=agent, counter_id=counter, at=T0)
    return services.counter_complete(actor=agent, counter_id=counter, at=T0 + dt.timedelta(minutes=2))


def pad(setup: Setup) -> Actor:
    device, _ = device_create(actor=setup.actor("admin"), hall=setup.hall, kind="rating_pad", counter_number=1)
    return actor_for_user(device.user, session_ref=f"device:{device.pk}", token_hall_id=setup.hall.pk)


def test_dissatisfied_rating_raises_an_alert_about_the_counter(setup: Setup) -> None:
    """Score 1 with reasons: a warning alert on counter 1 naming the ticket and reasons, after rating.submitted."""
    tx = served(setup)
    rating = rating_submit(
        actor=pad(setup), hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=1,
        reasons=["long_wait"], at=tx.done_at,
    )  # fmt: skip
    alert = Alert.objects.get()
    assert alert.kind == "dissatisfied_rating" and alert.severity == "warning"
    assert alert.key == f"dissatisfied_rating:rating:{rating.pk}"
    assert alert.counter_id == setup.counters[0].pk and alert.ticket_id == tx.ticket_id
    assert alert.data == {"counter": 1, "number": "B001", "reasons": ["long_wait"], "rating": rating.pk}
    kinds = list(HallEvent.objects.filter(at=tx.done_at).order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["rating.submitted", "alert.raised"]


@pytest.mark.parametrize("score", [2, 3])
def test_satisfied_ratings_raise_nothing(setup: Setup, score: int) -> None:
    """Scores 2 and 3: no alert."""
    tx = served(setup)
    rating_submit(actor=pad(setup), hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=score, at=tx.done_at)
    assert not Alert.objects.exists()


def test_a_refused_rating_raises_nothing(setup: Setup) -> None:
    """A second rating of the same transaction is refused and no second alert appears."""
    tx = served(setup)
    actor = pad(setup)
    rating_submit(actor=actor, hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=1, at=tx.done_at)
    with pytest.raises(Conflict):
        rating_submit(actor=actor, hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=1, at=tx.done_at)
    assert Alert.objects.count() == 1
