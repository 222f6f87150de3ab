"""The rating pad /hall/<code>/rate/<counter>/: the paired pad of that counter (or staff previewing it), idle until
the counter finishes a transaction, then the question; the rating stored once, for the transaction and its agent,
only at its counter and only within the rating window."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hallops.accounts.devices import COOKIE_NAME, device_create, device_pair
from hallops.audit.models import AuditLog
from hallops.feedback.models import Rating
from hallops.hall import services
from hallops.hall.models import HallEvent, ServiceTransaction
from hallops.organisation.models import Hall
from tests.api.helpers import snapshot
from tests.factories import Setup

pytestmark = pytest.mark.django_db

URL = "/hall/h1/rate/{n}/"


def midday(setup: Setup) -> dt.datetime:
    """Put the halls in a zone where it is about noon now, so that minutes ago is still today; return now."""
    now = timezone.now()
    offset = 12 - now.astimezone(dt.UTC).hour
    zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
    Hall.objects.update(timezone=zone)
    setup.hall.refresh_from_db()
    return now


def pad(setup: Setup, counter: int, hall: Hall | None = None, lang: str | None = "en") -> Client:
    """A browser paired as the rating pad of ``counter``."""
    _, code = device_create(
        actor=setup.actor("admin"), hall=hall or setup.hall, kind="rating_pad", counter_number=counter
    )
    _, cookie = device_pair(code=code)
    client = Client()
    client.cookies[COOKIE_NAME] = cookie
    if lang:
        client.cookies["django_language"] = lang
    return client


def staff(setup: Setup, username: str, lang: str | None = "en") -> Client:
    client = Client()
    client.force_login(setup.users[username])
    if lang:
        client.cookies["django_language"] = lang
    return client


def serve(setup: Setup, counter_index: int = 0, *, at: dt.datetime | None = None, outcome: str = "completed") -> Any:
    """agent1 serves one new-subscriber ticket at the counter from call to done; return the transaction."""
    agent = setup.actor("agent1", session=f"c{counter_index}")
    counter = setup.counters[counter_index].pk
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="new_subscriber", channel="greeter", at=at
    )
    services.counter_open(actor=agent, counter_id=counter, at=at)
    services.counter_call_next(actor=agent, counter_id=counter, at=at)
    reason = "system_fault" if outcome == "not_completed" else ""
    return services.counter_complete(actor=agent, counter_id=counter, outcome=outcome, reason=reason, at=at)


def submit(client: Client, n: int, tx: Any, score: int, **extra: Any) -> Any:
    return client.post(
        f"{URL.format(n=n)}submit/", {"transaction": tx.pk, "score": score, **extra}, HTTP_HX_REQUEST="true"
    )


def text(response: Any) -> str:
    return response.content.decode()


# --------------------------------------------------------------------------------------------------- access


def test_anonymous_visitors_go_to_the_login_page(setup: Setup) -> None:
    """No pad cookie and no login: redirect to /login/."""
    response = Client().get(URL.format(n=1))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("username", ["kiosk", "display", "greeter", "clerk"])
def test_staff_who_do_not_work_counters_get_403(setup: Setup, username: str) -> None:
    """Kiosk and display logins, greeters and clerks do not preview counter pads."""
    assert staff(setup, username).get(URL.format(n=1)).status_code == 403


def test_a_pad_of_another_counter_gets_404(setup: Setup) -> None:
    """The pad of counter 2 on /rate/1/ is 404 (also its submit); on /rate/2/ it is its own screen."""
    tx = serve(setup)
    other = pad(setup, 2)
    assert other.get(URL.format(n=1)).status_code == 404
    assert submit(other, 1, tx, 3).status_code == 404
    assert other.get(URL.format(n=2)).status_code == 200
    assert not Rating.objects.exists()


def test_another_halls_pad_and_agent_get_404(setup: Setup) -> None:
    """A pad paired in hall h2 and an agent of hall h2 do not reach hall h1's pad; counter 99 does not exist."""
    assert pad(setup, 1, hall=setup.other_hall).get(URL.format(n=1)).status_code == 404
    assert staff(setup, "agent_b").get(URL.format(n=1)).status_code == 404
    assert staff(setup, "agent1").get(URL.format(n=99)).status_code == 404


def test_a_kiosk_device_is_not_a_pad(setup: Setup) -> None:
    """A paired kiosk opening a pad page is treated as nobody: sent to log in."""
    _, code = device_create(actor=setup.actor("admin"), hall=setup.hall, kind="kiosk")
    _, cookie = device_pair(code=code)
    client = Client()
    client.cookies[COOKIE_NAME] = cookie
    assert client.get(URL.format(n=1)).status_code == 302


def test_chinese_by_default_and_english_with_the_cookie(setup: Setup) -> None:
    """The pad greets in Chinese; with the language cookie in English."""
    assert "欢迎光临" in text(pad(setup, 1, lang=None).get(URL.format(n=1)))
    assert "Welcome" in text(pad(setup, 1).get(URL.format(n=1)))


# ------------------------------------------------------------------------------------------ what it shows


def test_idle_until_the_counter_finishes_then_the_question(setup: Setup) -> None:
    """Idle while nothing is finished; after done at its counter the pad asks, naming the number and the agent;
    it listens to the hall's events."""
    client = pad(setup, 1)
    body = text(client.get(URL.format(n=1)))
    assert 'data-state="idle"' in body and 'data-hall="h1"' in body and "hallops/rating.js" in body
    tx = serve(setup)
    body = text(client.get(f"{URL.format(n=1)}state/"))
    assert 'data-state="question"' in body
    assert f'name="transaction" value="{tx.pk}"' in body and tx.ticket.number in body and "agent1" in body
    assert "very satisfied" in body and "waited too long" in body
    assert 'data-state="idle"' in text(pad(setup, 2).get(URL.format(n=2)))


def test_no_question_while_the_next_transaction_runs(setup: Setup) -> None:
    """Once the counter calls the next customer the pad is idle again (the previous one can no longer be rated)."""
    serve(setup)
    agent = setup.actor("agent1", session="c0")
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="new_subscriber", channel="greeter"
    )
    services.counter_call_next(actor=agent, counter_id=setup.counters[0].pk)
    assert 'data-state="idle"' in text(pad(setup, 1).get(URL.format(n=1)))


def test_a_no_show_is_not_rated(setup: Setup) -> None:
    """The customer never came: no question."""
    agent = setup.actor("agent1")
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="new_subscriber", channel="greeter"
    )
    services.counter_open(actor=agent, counter_id=setup.counters[0].pk)
    services.counter_call_next(actor=agent, counter_id=setup.counters[0].pk)
    services.counter_no_show(actor=agent, counter_id=setup.counters[0].pk)
    assert 'data-state="idle"' in text(pad(setup, 1).get(URL.format(n=1)))


# ------------------------------------------------------------------------------------------------- rating


def test_the_pad_stores_the_rating_for_the_transaction_and_its_agent(setup: Setup) -> None:
    """Very satisfied: stored with the transaction, counter and agent; an event and an audit row; thank-you."""
    tx = serve(setup)
    events = HallEvent.objects.count()
    response = submit(pad(setup, 1), 1, tx, 3)
    assert response.status_code == 200
    assert 'data-state="thanks"' in text(response) and "Thank you for your rating!" in text(response)
    rating = Rating.objects.get()
    assert (rating.transaction_id, rating.counter_id, rating.agent_id, rating.score, rating.reasons) == (
        tx.pk,
        setup.counters[0].pk,
        setup.users["agent1"].pk,
        3,
        [],
    )
    event = HallEvent.objects.get(kind="rating.submitted")
    assert HallEvent.objects.count() == events + 1
    assert (event.counter_id, event.transaction_id, event.data["score"]) == (setup.counters[0].pk, tx.pk, 3)
    assert AuditLog.objects.filter(action="rating.submit", object_id=str(rating.pk)).exists()


def test_dissatisfied_with_reasons_and_a_comment(setup: Setup) -> None:
    """Dissatisfied carries the chosen reason codes and the free text."""
    tx = serve(setup)
    submit(pad(setup, 1), 1, tx, 1, reasons=["long_wait", "too_slow"], comment="排队太久")
    rating = Rating.objects.get()
    assert (rating.score, rating.reasons, rating.comment) == (1, ["long_wait", "too_slow"], "排队太久")


def test_reasons_only_with_dissatisfied_and_known(setup: Setup) -> None:
    """Reasons with a satisfied score, or an unknown reason code: 422 shown on the pad, nothing stored."""
    tx = serve(setup)
    client = pad(setup, 1)
    before = snapshot()
    assert submit(client, 1, tx, 2, reasons=["attitude"]).status_code == 422
    assert submit(client, 1, tx, 1, reasons=["bribery"]).status_code == 422
    assert submit(client, 1, tx, 7).status_code == 422
    assert snapshot() == before and not Rating.objects.exists()


def test_only_once_per_transaction(setup: Setup) -> None:
    """A second rating of the same transaction is refused inline (409); the first stays."""
    tx = serve(setup)
    client = pad(setup, 1)
    submit(client, 1, tx, 3)
    before = snapshot()
    again = submit(client, 1, tx, 1)
    assert again.status_code == 409
    assert "This service has already been rated." in text(again)
    assert snapshot() == before
    assert list(Rating.objects.values_list("score", flat=True)) == [3]


def test_only_at_its_counter(setup: Setup) -> None:
    """Counter 2's pad cannot rate a transaction of counter 1 through its own page: not found, nothing stored."""
    tx = serve(setup)
    response = submit(pad(setup, 2), 2, tx, 1)
    assert response.status_code == 404
    assert not Rating.objects.exists()


def test_refused_after_the_rating_window(setup: Setup) -> None:
    """A transaction finished 11 minutes ago is no longer asked about, and a late rating is refused (409)."""
    now = midday(setup)
    tx = serve(setup, at=now - dt.timedelta(minutes=11))
    client = pad(setup, 1)
    assert 'data-state="idle"' in text(client.get(URL.format(n=1)))
    late = submit(client, 1, tx, 3)
    assert late.status_code == 409 and "The time to rate this service is over." in text(late)
    assert not Rating.objects.exists()


def test_a_transaction_in_progress_cannot_be_rated(setup: Setup) -> None:
    """The open transaction of the counter: 409, not rated."""
    agent = setup.actor("agent1")
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="new_subscriber", channel="greeter"
    )
    services.counter_open(actor=agent, counter_id=setup.counters[0].pk)
    services.counter_call_next(actor=agent, counter_id=setup.counters[0].pk)
    tx = ServiceTransaction.objects.get(done_at__isnull=True)
    assert submit(pad(setup, 1), 1, tx, 3).status_code == 409
    assert not Rating.objects.exists()


def test_staff_preview_shows_the_pad_but_does_not_rate(setup: Setup) -> None:
    """A manager previews the pad (banner, buttons disabled); a rating posted by them is refused with 403."""
    tx = serve(setup)
    client = staff(setup, "manager")
    body = text(client.get(URL.format(n=1)))
    assert 'id="pad-preview"' in body and 'id="score-3" disabled' in body.replace('data-score="3" ', "")
    response = submit(client, 1, tx, 3)
    assert response.status_code == 403 and "Preview only" in text(response)
    assert not Rating.objects.exists()


def test_the_counter_page_shows_the_rating(setup: Setup) -> None:
    """The agent sees the customer's rating in the counter's last transactions."""
    client = staff(setup, "agent1")
    client.post("/hall/h1/counter/1/do/open/", HTTP_HX_REQUEST="true")
    services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code="new_subscriber", channel="greeter"
    )
    client.post("/hall/h1/counter/1/do/call-next/", HTTP_HX_REQUEST="true")
    client.post("/hall/h1/counter/1/do/done/", HTTP_HX_REQUEST="true")
    tx = ServiceTransaction.objects.get()
    submit(pad(setup, 1), 1, tx, 2)
    body = text(client.get("/hall/h1/counter/1/panel/"))
    assert f'data-transaction="{tx.pk}"' in body and '<td class="rating">satisfied</td>' in body
