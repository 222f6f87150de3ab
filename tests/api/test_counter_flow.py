"""A counter's working day through /api/v1: open, call in queue order, call by number, recall, no-show, transfer,
park and resume, extra services, walk-ins and completion, checking the JSON each step answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from hallops.hall import services
from hallops.hall.models import HallEvent, PreOrder, ServiceTransaction, Ticket
from hallops.hall.selectors import hall_local_day
from tests.api.helpers import assert_error, call_next, counter_post, issue, open_counter
from tests.factories import Setup

pytestmark = pytest.mark.django_db

TICKET_KEYS = {
    "id",
    "number",
    "status",
    "hall",
    "service",
    "channel",
    "priority",
    "star_level",
    "phone",
    "issued_at",
    "called_at",
    "counter",
    "position",
    "people_ahead",
    "estimated_wait_seconds",
    "quoted_wait_seconds",
    "url",
}
TRANSACTION_KEYS = {
    "id",
    "counter",
    "ticket",
    "service",
    "extra_services",
    "phase",
    "limit_seconds",
    "called_at",
    "arrived_at",
    "communication_at",
    "operation_at",
    "done_at",
    "outcome",
    "reason",
    "service_seconds",
    "handling_seconds",
    "overrun",
}
COUNTER_KEYS = {"id", "number", "zone", "status", "pause_reason", "agent", "services", "current_ticket"}


@pytest.fixture
def c1(setup: Setup, api: Any) -> int:
    """Counter 1 (new_subscriber, sim_replacement, value_added), opened by agent1 through the API."""
    counter = setup.counters[0].pk
    open_counter(api, counter)
    return counter


def get_ticket(api: Any, ticket_id: int) -> dict[str, Any]:
    response = api.get(f"/tickets/{ticket_id}", as_user="agent1")
    assert response.status_code == 200
    return response.json()


def assert_call_shape(body: dict[str, Any], number: str, counter_number: int = 1) -> None:
    """A call answer: {ticket, transaction, pre_order}, the ticket called at this counter, the transaction new."""
    assert set(body) == {"ticket", "transaction", "pre_order"}
    assert set(body["ticket"]) >= TICKET_KEYS
    assert set(body["transaction"]) == TRANSACTION_KEYS
    assert body["ticket"]["number"] == number
    assert body["ticket"]["status"] == "called"
    assert body["ticket"]["counter"] == counter_number
    assert body["ticket"]["called_at"] is not None
    tx = body["transaction"]
    assert tx["ticket"] == number
    assert tx["counter"] == counter_number
    assert tx["phase"] == "called"
    assert tx["done_at"] is None
    assert tx["outcome"] == ""
    assert tx["overrun"] == "ok"


# --------------------------------------------------------------------------------------------- open and lists


def test_open_answers_the_counter(setup: Setup, api: Any) -> None:
    """POST open answers the counter: open, held by the caller, with the business types it serves."""
    body = open_counter(api, setup.counters[0].pk)
    assert set(body) == COUNTER_KEYS
    assert body["status"] == "open"
    assert body["agent"] == "agent1"
    assert body["services"] == ["new_subscriber", "sim_replacement", "value_added"]
    assert body["current_ticket"] is None


def test_call_next_with_nobody_waiting_is_204(c1: int, api: Any) -> None:
    """call-next at an open counter with an empty queue answers 204 with no body and writes no transaction."""
    response = api.post(f"/counters/{c1}/call-next", as_user="agent1")
    assert response.status_code == 204
    assert response.content == b""
    assert ServiceTransaction.objects.count() == 0


def test_call_next_ignores_types_the_counter_does_not_serve(setup: Setup, api: Any) -> None:
    """Counter 5 serves only sim_replacement: with only a value_added ticket waiting, call-next is 204."""
    issue(api, "value_added")
    counter = setup.counters[4].pk
    open_counter(api, counter)
    assert api.post(f"/counters/{counter}/call-next", as_user="agent1").status_code == 204
    assert Ticket.objects.get().status == "waiting"


def test_lists_answer_items_and_count(c1: int, api: Any) -> None:
    """Hall services, counters and queue answer {items, count} with count == len(items)."""
    issue(api)
    for what, expected in (("services", 4), ("counters", 5), ("queue", 4)):
        body = api.get(f"/halls/h1/{what}", as_user="display").json()
        assert body["count"] == len(body["items"]) == expected, what
    queue = api.get("/halls/h1/queue", as_user="display").json()
    assert queue["waiting_total"] == 1
    assert {ln["service"]: ln["waiting"] for ln in queue["items"]}["sim_replacement"] == 1


def test_counter_list_shows_the_current_ticket(c1: int, api: Any) -> None:
    """After a call, GET /halls/h1/counters shows counter 1 open with the called number as current_ticket."""
    issue(api)
    call_next(api, c1)
    items = {c["number"]: c for c in api.get("/halls/h1/counters", as_user="display").json()["items"]}
    assert items[1]["current_ticket"] == "B001"
    assert items[1]["agent"] == "agent1"
    assert items[2]["current_ticket"] is None


def test_issue_answers_position_and_wait(c1: int, api: Any) -> None:
    """A new ticket's answer gives its number, status waiting, position = people ahead + 1 and a wait estimate."""
    first = issue(api)
    second = issue(api)
    assert set(second) >= TICKET_KEYS
    assert (first["number"], second["number"]) == ("B001", "B002")
    assert second["status"] == "waiting"
    assert second["people_ahead"] == 1
    assert second["position"] == 2
    assert isinstance(second["estimated_wait_seconds"], int)
    assert second["quoted_wait_seconds"] == second["estimated_wait_seconds"]


# --------------------------------------------------------------------------------------------------- order


def test_call_next_follows_issue_order(c1: int, api: Any) -> None:
    """Three normal tickets of different types are called first come, first served."""
    numbers = [issue(api, s)["number"] for s in ("value_added", "new_subscriber", "sim_replacement")]
    assert numbers == ["C001", "A001", "B001"]
    called = []
    for _ in numbers:
        body = call_next(api, c1)
        assert_call_shape(body, body["ticket"]["number"])
        called.append(body["ticket"]["number"])
        assert counter_post(api, c1, "complete").status_code == 200
    assert called == numbers
    assert api.post(f"/counters/{c1}/call-next", as_user="agent1").status_code == 204


def test_vip_issued_just_after_overtakes_a_normal_ticket(c1: int, api: Any) -> None:
    """A 5-star VIP issued after a normal ticket (well within 900 s) is called first."""
    normal = issue(api)
    vip = issue(api, priority="vip", star_level=5)
    assert (vip["priority"], vip["star_level"]) == ("vip", 5)
    assert vip["people_ahead"] == 0
    assert call_next(api, c1)["ticket"]["id"] == vip["id"]
    assert counter_post(api, c1, "complete").status_code == 200
    assert call_next(api, c1)["ticket"]["id"] == normal["id"]


def test_vip_does_not_overtake_a_ticket_issued_more_than_900_s_earlier(setup: Setup, c1: int, api: Any) -> None:
    """A normal ticket issued 1000 s before a 5-star VIP is still called first (the 900 s overtaking bound)."""
    now = timezone.now()
    early, late = now - dt.timedelta(seconds=1000), now - dt.timedelta(seconds=60)
    if hall_local_day(setup.hall, early) != hall_local_day(setup.hall, now):
        pytest.skip("too close to the hall's midnight for a 1000 s gap on one day")
    kiosk = setup.actor("kiosk")
    normal = services.ticket_issue(
        actor=kiosk, hall=setup.hall, service_code="sim_replacement", channel="kiosk", at=early
    ).ticket
    vip = services.ticket_issue(
        actor=kiosk,
        hall=setup.hall,
        service_code="sim_replacement",
        channel="kiosk",
        priority="vip",
        star_level=5,
        at=late,
    ).ticket
    assert call_next(api, c1)["ticket"]["id"] == normal.pk
    assert counter_post(api, c1, "complete").status_code == 200
    assert call_next(api, c1)["ticket"]["id"] == vip.pk


# ------------------------------------------------------------------------------------------ call and recall


def test_call_a_specific_number(c1: int, api: Any) -> None:
    """Calling B002 by number skips B001: the answer is B002's call, and B001 keeps waiting."""
    first = issue(api)
    issue(api)
    response = counter_post(api, c1, "call", body={"number": "B002"})
    assert response.status_code == 200
    assert_call_shape(response.json(), "B002")
    assert get_ticket(api, first["id"])["status"] == "waiting"


def test_call_number_tolerates_case_and_spaces(c1: int, api: Any) -> None:
    """A number typed as " b 001" calls B001 (numbers are read case- and space-insensitively)."""
    issue(api)
    response = counter_post(api, c1, "call", body={"number": " b 001"})
    assert response.status_code == 200, response.content
    assert_call_shape(response.json(), "B001")


def test_recall_keeps_the_transaction(c1: int, api: Any) -> None:
    """recall answers {transaction} with the same transaction still at phase called, and logs ticket.recalled."""
    issue(api)
    call = call_next(api, c1)
    response = counter_post(api, c1, "recall")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"transaction"}
    assert set(body["transaction"]) == TRANSACTION_KEYS
    assert body["transaction"]["id"] == call["transaction"]["id"]
    assert body["transaction"]["phase"] == "called"
    assert HallEvent.objects.filter(kind="ticket.recalled").count() == 1
    assert counter_post(api, c1, "recall").status_code == 200
    assert HallEvent.objects.filter(kind="ticket.recalled").count() == 2


def test_recall_after_arrival_is_409(c1: int, api: Any) -> None:
    """Once the customer arrived there is nobody to recall: 409."""
    issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "arrive").status_code == 200
    assert_error(counter_post(api, c1, "recall"), 409, "status", "illegal_transition")


# ------------------------------------------------------------------------------------------------- no-show


def test_no_show_keeps_the_number_and_it_can_be_called_again(c1: int, api: Any) -> None:
    """Under the keep policy a missed B001 answers status no_show, and calling B001 again works within the window."""
    ticket = issue(api)
    call_next(api, c1)
    response = counter_post(api, c1, "no-show")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"ticket"}
    assert body["ticket"]["status"] == "no_show"
    assert body["ticket"]["counter"] is None
    assert ServiceTransaction.objects.get().outcome == "no_show"
    again = counter_post(api, c1, "call", body={"number": "B001"})
    assert again.status_code == 200
    assert_call_shape(again.json(), "B001")
    assert again.json()["ticket"]["id"] == ticket["id"]
    assert ServiceTransaction.objects.count() == 2


def test_no_show_is_not_called_by_call_next(c1: int, api: Any) -> None:
    """A kept no-show is not in the waiting queue: call-next after it answers 204."""
    issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "no-show").status_code == 200
    assert api.post(f"/counters/{c1}/call-next", as_user="agent1").status_code == 204


def test_no_show_past_the_keep_window_cannot_be_called(setup: Setup, c1: int, api: Any) -> None:
    """After the hall's keep minutes the missed number answers 409 no_show_expired."""
    issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "no-show").status_code == 200
    keep = setup.hall.no_show_keep_minutes
    Ticket.objects.update(no_show_at=timezone.now() - dt.timedelta(minutes=keep, seconds=5))
    assert_error(counter_post(api, c1, "call", body={"number": "B001"}), 409, "number", "no_show_expired")


# ------------------------------------------------------------------------------------------------ transfer


def test_transfer_keeps_number_and_issue_time(setup: Setup, c1: int, api: Any) -> None:
    """Transfer to value_added answers a waiting ticket with the same number and issued_at, for the new type."""
    original = issue(api)
    call_next(api, c1)
    response = counter_post(api, c1, "transfer", body={"service": "value_added"})
    assert response.status_code == 200
    child = response.json()["ticket"]
    assert child["id"] != original["id"]
    assert child["number"] == "B001"
    assert child["issued_at"] == original["issued_at"]
    assert child["service"] == "value_added"
    assert child["status"] == "waiting"
    assert get_ticket(api, original["id"])["status"] == "transferred"
    assert ServiceTransaction.objects.get().outcome == "transferred"
    other = setup.counters[1].pk
    open_counter(api, other, as_user="agent2")
    called = call_next(api, other, as_user="agent2")
    assert called["ticket"]["id"] == child["id"]
    assert called["transaction"]["service"] == "value_added"


def test_transfer_keeps_the_place_in_the_queue(setup: Setup, c1: int, api: Any) -> None:
    """A transferred ticket keeps its rank: it is called before a value_added ticket issued after it."""
    issue(api)
    call_next(api, c1)
    later = issue(api, "value_added")
    child = counter_post(api, c1, "transfer", body={"service": "value_added"}).json()["ticket"]
    assert child["people_ahead"] == 0
    assert counter_post(api, c1, "call-next").json()["ticket"]["id"] == child["id"]
    assert counter_post(api, c1, "complete").status_code == 200
    assert call_next(api, c1)["ticket"]["id"] == later["id"]


def test_transfer_to_a_counter_only_that_counter_calls_it(setup: Setup, c1: int, api: Any) -> None:
    """A transfer to counter 5 is skipped by counter 2's call-next and called by counter 5."""
    issue(api)
    call_next(api, c1)
    child = counter_post(api, c1, "transfer", body={"counter": 5}).json()["ticket"]
    c2, c5 = setup.counters[1].pk, setup.counters[4].pk
    open_counter(api, c2, as_user="agent2")
    open_counter(api, c5, as_user="agent3")
    assert api.post(f"/counters/{c2}/call-next", as_user="agent2").status_code == 204
    assert call_next(api, c5, as_user="agent3")["ticket"]["id"] == child["id"]


def test_transfer_carries_the_pre_order(setup: Setup, c1: int, api: Any) -> None:
    """The pre-order travels with the transferred ticket and is shown with the next call."""
    ticket = issue(api, "new_subscriber")
    put = api.put(f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body={"notes": "two SIMs"})
    assert put.status_code == 200
    call_next(api, c1)
    child = counter_post(api, c1, "transfer", body={"service": "value_added"}).json()["ticket"]
    assert PreOrder.objects.get().ticket_id == child["id"]
    assert counter_post(api, c1, "call-next").json()["pre_order"]["notes"] == "two SIMs"


# ---------------------------------------------------------------------------------------------- park/resume


def test_park_frees_the_counter_and_resume_brings_the_customer_back(c1: int, api: Any) -> None:
    """park answers the ticket parked; the counter serves someone else; resume answers a call at phase arrived."""
    first = issue(api)
    second = issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "arrive").status_code == 200
    response = counter_post(api, c1, "park")
    assert response.status_code == 200
    parked = response.json()["ticket"]
    assert (parked["id"], parked["status"], parked["counter"]) == (first["id"], "parked", 1)
    assert call_next(api, c1)["ticket"]["id"] == second["id"]
    assert counter_post(api, c1, "complete").status_code == 200
    resumed = counter_post(api, c1, "resume", body={"ticket": first["id"]})
    assert resumed.status_code == 200
    body = resumed.json()
    assert set(body) == {"ticket", "transaction", "pre_order"}
    assert body["ticket"]["status"] == "serving"
    assert body["transaction"]["phase"] == "arrived"
    assert body["transaction"]["arrived_at"] is not None
    outcomes = list(ServiceTransaction.objects.filter(ticket_id=first["id"]).values_list("outcome", flat=True))
    assert outcomes == ["parked", ""]


def test_parked_ticket_blocks_closing_the_counter(c1: int, api: Any) -> None:
    """A counter holding a parked ticket cannot be closed: 409 parked_tickets."""
    issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "park").status_code == 200
    assert_error(api.post(f"/counters/{c1}/close", as_user="agent1"), 409, "counter", "parked_tickets")


def test_resume_at_another_counter_is_409(setup: Setup, c1: int, api: Any) -> None:
    """A ticket parked at counter 1 cannot be resumed at counter 2: 409 held_elsewhere."""
    ticket = issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "park").status_code == 200
    c2 = setup.counters[1].pk
    open_counter(api, c2, as_user="agent2")
    response = counter_post(api, c2, "resume", as_user="agent2", body={"ticket": ticket["id"]})
    assert_error(response, 409, "ticket", "held_elsewhere")


# --------------------------------------------------------------------------------------- phases and completion


def test_phases_in_order_and_complete(c1: int, api: Any) -> None:
    """arrive → start-communication → start-operation → complete each answer {transaction} at that phase."""
    ticket = issue(api)
    call_next(api, c1)
    for action, phase, stamp in (
        ("arrive", "arrived", "arrived_at"),
        ("start-communication", "communication", "communication_at"),
        ("start-operation", "operation", "operation_at"),
    ):
        response = counter_post(api, c1, action)
        assert response.status_code == 200, action
        tx = response.json()["transaction"]
        assert tx["phase"] == phase
        assert tx[stamp] is not None
        assert tx["done_at"] is None
    done = counter_post(api, c1, "complete").json()["transaction"]
    assert done["phase"] == "done"
    assert done["outcome"] == "completed"
    assert done["reason"] == ""
    assert done["done_at"] is not None
    assert done["service_seconds"] is not None and done["service_seconds"] >= 0
    assert done["handling_seconds"] >= done["service_seconds"]
    assert done["overrun"] == "ok"
    assert get_ticket(api, ticket["id"])["status"] == "done"
    assert api.get(f"/counters/{c1}", as_user="agent1").json()["transaction"] is None


def test_complete_with_an_empty_body_means_completed(c1: int, api: Any) -> None:
    """POST complete with no body at all (Content-Length 0) completes the transaction as completed."""
    issue(api)
    call_next(api, c1)
    response = api.post(f"/counters/{c1}/complete", as_user="agent1", raw="")
    assert response.status_code == 200, response.content
    assert response.json()["transaction"]["outcome"] == "completed"


def test_complete_not_completed_with_reason(c1: int, api: Any) -> None:
    """complete with outcome not_completed and a coded reason records both; the ticket is done."""
    ticket = issue(api)
    call_next(api, c1)
    body = {"outcome": "not_completed", "reason": "missing_documents"}
    tx = counter_post(api, c1, "complete", body=body).json()["transaction"]
    assert (tx["phase"], tx["outcome"], tx["reason"]) == ("done", "not_completed", "missing_documents")
    assert get_ticket(api, ticket["id"])["status"] == "done"
    event = HallEvent.objects.get(kind="transaction.done")
    assert event.data["outcome"] == "not_completed"
    assert event.data["reason"] == "missing_documents"


def test_completed_outcome_drops_a_reason(c1: int, api: Any) -> None:
    """A reason sent with outcome completed is not stored."""
    issue(api)
    call_next(api, c1)
    tx = counter_post(api, c1, "complete", body={"outcome": "completed", "reason": "other"}).json()["transaction"]
    assert (tx["outcome"], tx["reason"]) == ("completed", "")


@pytest.mark.parametrize(("seconds_ago", "overrun"), [(30, "ok"), (150, "near"), (600, "over")])
def test_open_transaction_shows_its_overrun(c1: int, api: Any, seconds_ago: int, overrun: str) -> None:
    """GET /counters/{id} shows the open transaction's overrun against the 180 s limit: ok, near (≥80 %), over."""
    issue(api)
    call_next(api, c1)
    ServiceTransaction.objects.update(called_at=timezone.now() - dt.timedelta(seconds=seconds_ago))
    tx = api.get(f"/counters/{c1}", as_user="agent1").json()["transaction"]
    assert tx["limit_seconds"] == 180
    assert tx["overrun"] == overrun


def test_completed_transaction_over_the_limit_says_over(c1: int, api: Any) -> None:
    """A transaction completed 10 minutes after the call answers overrun over and service_seconds ≥ 600."""
    issue(api)
    call_next(api, c1)
    ServiceTransaction.objects.update(called_at=timezone.now() - dt.timedelta(minutes=10))
    tx = counter_post(api, c1, "complete").json()["transaction"]
    assert tx["service_seconds"] >= 600
    assert tx["overrun"] == "over"


def test_add_service_extends_the_visit(c1: int, api: Any) -> None:
    """add-service answers the transaction with the extra type listed and its limit added to the time limit."""
    issue(api)
    call_next(api, c1)
    response = counter_post(api, c1, "add-service", body={"service": "new_subscriber"})
    assert response.status_code == 200
    tx = response.json()["transaction"]
    assert tx["service"] == "sim_replacement"
    assert tx["extra_services"] == ["new_subscriber"]
    assert tx["limit_seconds"] == 180 + 480
    assert_error(counter_post(api, c1, "add-service", body={"service": "new_subscriber"}), 409, "service")


def test_walk_in_is_a_timed_transaction_without_ticket(c1: int, api: Any) -> None:
    """walk-in at an idle counter answers a transaction with no ticket, at phase arrived; complete closes it."""
    response = counter_post(api, c1, "walk-in", body={"service": "sim_replacement"})
    assert response.status_code == 200
    tx = response.json()["transaction"]
    assert (tx["ticket"], tx["service"], tx["phase"]) == (None, "sim_replacement", "arrived")
    assert tx["arrived_at"] is not None
    assert Ticket.objects.count() == 0
    done = counter_post(api, c1, "complete").json()["transaction"]
    assert (done["id"], done["outcome"]) == (tx["id"], "completed")


def test_walk_in_while_serving_is_409(c1: int, api: Any) -> None:
    """A walk-in at a counter already serving someone answers 409 transaction_open."""
    issue(api)
    call_next(api, c1)
    assert_error(counter_post(api, c1, "walk-in", body={"service": "sim_replacement"}), 409, "counter")


# --------------------------------------------------------------------------------------------- pause and close


def test_pause_and_unpause(c1: int, api: Any) -> None:
    """pause answers the counter paused with its reason; open again unpauses it and clears the reason."""
    paused = counter_post(api, c1, "pause", body={"reason": "lunch"})
    assert paused.status_code == 200
    assert (paused.json()["status"], paused.json()["pause_reason"]) == ("paused", "lunch")
    reopened = open_counter(api, c1)
    assert (reopened["status"], reopened["pause_reason"]) == ("open", "")


def test_close_frees_the_counter(c1: int, api: Any) -> None:
    """close answers the counter closed with no agent, and another agent may then open it."""
    closed = api.post(f"/counters/{c1}/close", as_user="agent1")
    assert closed.status_code == 200
    assert (closed.json()["status"], closed.json()["agent"]) == ("closed", None)
    assert open_counter(api, c1, as_user="agent2")["agent"] == "agent2"


# ------------------------------------------------------------------------------------------------ pre-orders


def test_call_shows_the_pre_order_unmasked_to_the_agent_and_audits_it(c1: int, api: Any) -> None:
    """The call answer carries the pre-order with the phone unmasked for the agent, and that view is audited."""
    from hallops.audit.models import AuditLog

    ticket = issue(api, "new_subscriber")
    body = {"customer_name": "张三", "phone": "13800138000", "state": "ready"}
    put = api.put(f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body=body)
    assert put.status_code == 200
    assert put.json()["state"] == "ready"
    before = AuditLog.objects.filter(action="customer.view_pii").count()
    call = call_next(api, c1)
    assert call["pre_order"]["phone"] == "13800138000"
    assert call["pre_order"]["state"] == "ready"
    assert AuditLog.objects.filter(action="customer.view_pii").count() == before + 1


def test_pre_order_is_executed_when_the_visit_completes(c1: int, api: Any) -> None:
    """A ready pre-order becomes executed when the transaction completes."""
    ticket = issue(api, "new_subscriber")
    api.put(f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body={"state": "ready"})
    call_next(api, c1)
    assert counter_post(api, c1, "complete").status_code == 200
    assert PreOrder.objects.get().state == "executed"


def test_ticket_phone_is_masked_in_answers(c1: int, api: Any) -> None:
    """A ticket's phone is masked in the issue answer and in GET /tickets/{id}."""
    ticket = issue(api, phone="13800138000")
    assert ticket["phone"] != "13800138000" and ticket["phone"]
    assert get_ticket(api, ticket["id"])["phone"] == ticket["phone"]
