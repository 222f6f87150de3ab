"""The customer's ticket page /t/<token>/: no login, live attributes, position and wait from the one
estimator, "go to counter N" when called, transfers followed, cancel while waiting (confirm step), no
personal data. Also the service behind the cancel: ticket_cancel_by_customer."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from hallops.audit.models import AuditLog
from hallops.errors import Conflict, NotFound
from hallops.hall import services
from hallops.hall.models import HallEvent, Ticket
from hallops.hall.selectors import ticket_wait_quote
from hallops.web.pages.customer_selectors import wait_minutes
from tests.factories import Setup


def _issue(setup: Setup, service: str = "sim_replacement", **kw: object) -> Ticket:
    return services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code=service, channel="greeter", **kw
    ).ticket


def _page(ticket: Ticket, lang: str | None = None, path: str = "") -> str:
    client = Client()
    if lang:
        client.cookies["django_language"] = lang
    response = client.get(f"/t/{ticket.token}/{path}")
    assert response.status_code == 200
    return response.content.decode()


def test_an_unknown_token_answers_the_404_page(setup: Setup) -> None:
    """A made-up token: 404 with a page that says so (in Chinese by default)."""
    response = Client().get("/t/not-a-real-token/")
    assert response.status_code == 404
    assert "未找到该号码" in response.content.decode()
    assert Client().get("/t/not-a-real-token/status/").status_code == 404
    assert Client().post("/t/not-a-real-token/cancel/").status_code == 404


def test_a_waiting_ticket_shows_number_type_position_and_wait_in_chinese(setup: Setup) -> None:
    """No login needed; the page listens to the hall with the ticket's token; people ahead and the estimate
    come from ticket_wait_quote."""
    services.counter_open(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk)
    _issue(setup)
    ticket = _issue(setup)
    body = _page(ticket)
    assert '<html lang="zh-hans">' in body
    assert f'data-live-query="ticket={ticket.token}"' in body
    assert 'data-hall="h1"' in body
    assert "B002" in body and "等候中" in body
    assert '<strong id="people-ahead">1</strong>' in body
    quote = ticket_wait_quote(ticket=ticket, at=timezone.now())
    assert f"{wait_minutes(quote.estimated_wait_seconds)} 分钟" in body
    assert "取消排队" in body


def test_english_with_the_language_cookie(setup: Setup) -> None:
    """The language cookie switches the page to English."""
    body = _page(_issue(setup), lang="en")
    assert "People ahead" in body and "Leave the queue" in body


def test_no_personal_data_on_the_page(setup: Setup) -> None:
    """The phone given at issue never appears, not even masked."""
    body = _page(_issue(setup, phone="13812341234"))
    assert "13812341234" not in body
    assert "138****1234" not in body


def test_called_and_recalled_show_the_counter(setup: Setup) -> None:
    """Called to counter 3 → "请到 3 号窗口"; a recall keeps showing it."""
    agent = setup.actor("agent3")
    counter = setup.counters[2]
    services.counter_open(actor=agent, counter_id=counter.pk)
    ticket = _issue(setup)
    services.counter_call(actor=agent, counter_id=counter.pk, number=ticket.number)
    body = _page(ticket)
    assert "请到 3 号窗口" in body and 'id="called-banner"' in body
    assert "取消排队" not in body
    services.counter_recall(actor=agent, counter_id=counter.pk)
    assert "Please go to counter 3" in _page(ticket, lang="en")
    services.counter_arrive(actor=agent, counter_id=counter.pk)
    assert "正在 3 号窗口办理" in _page(ticket)


def test_after_a_transfer_the_original_token_follows_the_newest_ticket(setup: Setup) -> None:
    """Transferred twice: the token from the QR code shows the live grandchild (same number), waiting."""
    agent = setup.actor("agent1")
    c1 = setup.counters[0]
    services.counter_open(actor=agent, counter_id=c1.pk)
    original = _issue(setup)
    services.counter_call(actor=agent, counter_id=c1.pk, number=original.number)
    child = services.counter_transfer(actor=agent, counter_id=c1.pk, service_code="value_added")
    services.counter_call(actor=agent, counter_id=c1.pk, number=child.number)
    grandchild = services.counter_transfer(actor=agent, counter_id=c1.pk, to_counter_number=2)
    assert grandchild.parent_id == child.pk and child.parent_id == original.pk
    body = _page(original, lang="en")
    assert f'data-ticket-id="{grandchild.pk}"' in body
    assert original.number in body and "Waiting" in body and "transferred" in body
    # leaving the queue from the original token cancels the live ticket
    response = Client().post(f"/t/{original.token}/cancel/")
    assert response.status_code == 303
    grandchild.refresh_from_db()
    assert grandchild.status == "cancelled"


def test_cancel_asks_first_then_cancels_once(setup: Setup) -> None:
    """GET shows the confirm step (nothing changes); POST cancels, records ticket.cancelled by the customer;
    a second POST is refused with a message and writes nothing more."""
    ticket = _issue(setup)
    client = Client()
    confirm = client.get(f"/t/{ticket.token}/cancel/")
    assert confirm.status_code == 200 and "确定取消排队" in confirm.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    done = client.post(f"/t/{ticket.token}/cancel/")
    assert done.status_code == 303 and done["Location"] == f"/t/{ticket.token}/"
    ticket.refresh_from_db()
    assert ticket.status == "cancelled" and ticket.finished_at is not None
    event = HallEvent.objects.get(kind="ticket.cancelled")
    assert (event.ticket_id, event.data, event.actor_id) == (ticket.pk, {"by": "customer"}, None)
    assert "已取消" in _page(ticket)
    again = client.post(f"/t/{ticket.token}/cancel/")
    assert again.status_code == 409
    assert "只有等候中的号码可以取消" in again.content.decode()
    assert HallEvent.objects.filter(kind="ticket.cancelled").count() == 1


def test_a_called_ticket_cannot_be_cancelled_by_the_customer(setup: Setup) -> None:
    """Once called, the counter decides: the customer's cancel is refused and the ticket stays called."""
    agent = setup.actor("agent1")
    services.counter_open(actor=agent, counter_id=setup.counters[0].pk)
    ticket = _issue(setup)
    services.counter_call(actor=agent, counter_id=setup.counters[0].pk, number=ticket.number)
    response = Client().post(f"/t/{ticket.token}/cancel/")
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.status == "called"


def test_the_status_panel_refreshes_as_a_partial(setup: Setup) -> None:
    """The live refresh returns only the panel, with the current position."""
    first = _issue(setup)
    second = _issue(setup)
    body = _page(second, path="status/")
    assert "<html" not in body and '<strong id="people-ahead">1</strong>' in body
    services.ticket_cancel_by_customer(token=first.token)
    assert '<strong id="people-ahead">0</strong>' in _page(second, path="status/")


def test_the_service_cancels_only_waiting_tickets_and_audits_without_an_actor(setup: Setup) -> None:
    """ticket_cancel_by_customer: unknown token 404, waiting → cancelled with one audit row, else 409."""
    with pytest.raises(NotFound):
        services.ticket_cancel_by_customer(token="nope")
    with pytest.raises(NotFound):
        services.ticket_cancel_by_customer(token="")
    ticket = _issue(setup)
    result = services.ticket_cancel_by_customer(token=ticket.token)
    assert result.status == "cancelled"
    audit = AuditLog.objects.get(action="ticket.cancel_by_customer")
    assert (audit.object_id, audit.actor_id) == (str(ticket.pk), None)
    with pytest.raises(Conflict) as exc:
        services.ticket_cancel_by_customer(token=ticket.token)
    assert exc.value.code == "not_waiting"
