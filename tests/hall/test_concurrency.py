"""Real threads against a real database (file SQLite or PostgreSQL): numbering, calling and idempotent retries.

Every worker waits on a barrier so that all of them hit the database together, and closes its own connection
when done. Run with ``HALLOPS_TEST_SQLITE=/tmp/x.sqlite3`` on SQLite: the in-memory test database hides locking.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter as Tally
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count
from django.test import Client

from hallops.accounts.services import token_create
from hallops.core.roles import Role
from hallops.errors import Conflict
from hallops.hall import services
from hallops.hall.models import HallEvent, IdempotencyRecord, ServiceTransaction, Ticket, TicketSequence
from hallops.organisation.models import Counter, Hall
from tests.factories import Setup, business_type, shanghai, user_with_role

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME"),
        reason="concurrency tests need a file SQLite database (set HALLOPS_TEST_SQLITE) or PostgreSQL",
    ),
]

T0 = shanghai(2026, 3, 2, 10, 0)


def run_together(tasks: list[Callable[[], Any]]) -> list[Any]:
    """Run each task in its own thread, all released at once; return each result or the exception it raised."""
    barrier = threading.Barrier(len(tasks))

    def worker(task: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=30)
            return task()
        except Exception as exc:
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(worker, tasks))


def no_errors(results: list[Any]) -> None:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, f"{len(errors)} workers failed, first: {errors[0]!r}"


def issue_task(setup: Setup, service_code: str, session: str) -> Callable[[], Any]:
    actor = setup.actor("kiosk", session=session)
    return lambda: services.ticket_issue(
        actor=actor, hall=setup.hall, service_code=service_code, channel="kiosk", at=T0
    )


def numbers(hall: Hall, prefix: str) -> list[int]:
    return sorted(Ticket.objects.filter(hall=hall, prefix=prefix).values_list("seq", flat=True))


# ------------------------------------------------------------------------------------------------ numbering


def test_fifty_concurrent_issues_number_one_service_without_gaps(setup: Setup) -> None:
    """50 kiosks issuing one business type at once get B001..B050, one event each, and a gap-free event log."""
    results = run_together([issue_task(setup, "sim_replacement", f"k{i}") for i in range(50)])
    no_errors(results)
    assert sorted(r.ticket.seq for r in results) == list(range(1, 51))
    assert sorted(r.ticket.number for r in results) == [f"B{n:03d}" for n in range(1, 51)]
    assert numbers(setup.hall, "B") == list(range(1, 51))
    assert TicketSequence.objects.get(hall=setup.hall, prefix="B", day=T0.date()).last == 50
    assert HallEvent.objects.filter(hall=setup.hall, kind="ticket.issued").count() == 50
    seqs = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert Hall.objects.get(pk=setup.hall.pk).event_seq == len(seqs) == 50


def test_four_services_issued_concurrently_each_number_without_gaps(setup: Setup) -> None:
    """4 business types × 25 concurrent issues: each prefix is numbered 1..25 and the event log has no gap."""
    business_type("broadband", "E", "3", kiosk=True)
    codes = {"new_subscriber": "A", "sim_replacement": "B", "value_added": "C", "broadband": "E"}
    tasks = [issue_task(setup, code, f"{code}-{i}") for code in codes for i in range(25)]
    results = run_together(tasks)
    no_errors(results)
    for code, prefix in codes.items():
        assert numbers(setup.hall, prefix) == list(range(1, 26)), code
        assert TicketSequence.objects.get(hall=setup.hall, prefix=prefix, day=T0.date()).last == 25
    assert Tally(r.ticket.number for r in results).most_common(1)[0][1] == 1
    seqs = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 101))


# --------------------------------------------------------------------------------------------------- calling


def eight_open_counters(setup: Setup) -> list[tuple[Counter, str]]:
    """Counters 1–8 of the hall, each opened by its own agent; counters 6–8 are added for the test."""
    for n in (6, 7, 8):
        c = Counter.objects.create(hall=setup.hall, number=n)
        c.services.set([setup.services["sim"]])
    for n in (5, 6, 7, 8):
        setup.users[f"agent{n}"] = user_with_role(f"agent{n}", Role.AGENT, setup.hall)
    counters = list(Counter.objects.filter(hall=setup.hall).order_by("number"))
    assert len(counters) == 8
    held = []
    for n, counter in enumerate(counters, start=1):
        services.counter_open(actor=setup.actor(f"agent{n}"), counter_id=counter.pk, at=T0)
        held.append((counter, f"agent{n}"))
    return held


def issue_waiting(setup: Setup, n: int) -> list[int]:
    kiosk = setup.actor("kiosk")
    return [
        services.ticket_issue(
            actor=kiosk, hall=setup.hall, service_code="sim_replacement", channel="kiosk", at=T0
        ).ticket.pk
        for _ in range(n)
    ]


def call_task(setup: Setup, counter: Counter, username: str, session: str = "s1") -> Callable[[], Any]:
    actor = setup.actor(username, session=session)
    at = T0 + dt.timedelta(minutes=1)
    return lambda: services.counter_call_next(actor=actor, counter_id=counter.pk, at=at)


def assert_called_once_each(hall: Hall) -> None:
    """No ticket has two transactions or two call events; no counter has two open transactions."""
    per_ticket = Tally(ServiceTransaction.objects.filter(hall=hall).values_list("ticket_id", flat=True))
    assert all(n == 1 for n in per_ticket.values()), per_ticket
    calls = Tally(HallEvent.objects.filter(hall=hall, kind="ticket.called").values_list("ticket_id", flat=True))
    assert all(n == 1 for n in calls.values()), calls
    open_per_counter = (
        ServiceTransaction.objects.filter(hall=hall, done_at__isnull=True).values("counter").annotate(n=Count("id"))
    )
    assert all(row["n"] <= 1 for row in open_per_counter)
    for tx in ServiceTransaction.objects.filter(hall=hall, done_at__isnull=True).select_related("ticket"):
        assert tx.ticket.counter_id == tx.counter_id


def test_eight_counters_call_next_at_once_each_get_a_different_ticket(setup: Setup) -> None:
    """8 counters press "call next" together with 8 waiting: every ticket is called exactly once."""
    held = eight_open_counters(setup)
    waiting = issue_waiting(setup, 8)
    results = run_together([call_task(setup, c, agent) for c, agent in held])
    no_errors(results)
    called = [r.ticket.pk for r in results if r is not None]
    assert sorted(called) == sorted(waiting)
    assert set(Ticket.objects.filter(pk__in=waiting).values_list("status", flat=True)) == {"called"}
    assert_called_once_each(setup.hall)


def test_eight_counters_call_next_with_three_waiting_call_each_once(setup: Setup) -> None:
    """8 counters press "call next" together with 3 waiting: 3 calls succeed, 5 find nobody, none twice."""
    held = eight_open_counters(setup)
    waiting = issue_waiting(setup, 3)
    results = run_together([call_task(setup, c, agent) for c, agent in held])
    no_errors(results)
    called = [r.ticket.pk for r in results if r is not None]
    assert sorted(called) == sorted(waiting)
    assert sum(r is None for r in results) == 5
    assert ServiceTransaction.objects.filter(hall=setup.hall).count() == 3
    assert_called_once_each(setup.hall)


def test_second_session_on_a_counter_is_refused_while_others_call(setup: Setup) -> None:
    """A second session of counter 1's agent calls at the same moment as the 8 holders: 409 counter_in_use."""
    held = eight_open_counters(setup)
    waiting = issue_waiting(setup, 8)
    counter1, agent1 = held[0]
    tasks = [call_task(setup, c, agent) for c, agent in held]
    tasks.append(call_task(setup, counter1, agent1, session="s2"))
    results = run_together(tasks)
    intruder = results[-1]
    assert isinstance(intruder, Conflict) and intruder.code == "counter_in_use"
    no_errors(results[:-1])
    assert sorted(r.ticket.pk for r in results[:-1]) == sorted(waiting)
    assert ServiceTransaction.objects.filter(counter=counter1).count() == 1
    assert_called_once_each(setup.hall)


# ------------------------------------------------------------------------------------------- idempotency


def test_ten_concurrent_retries_of_one_idempotency_key_issue_one_ticket(setup: Setup) -> None:
    """10 kiosk retries with one Idempotency-Key at once: 1 ticket; every 201 has its id; the rest are 409."""
    _, raw = token_create(user=setup.users["kiosk"], name="kiosk")
    body = '{"service": "sim_replacement", "channel": "kiosk"}'
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_IDEMPOTENCY_KEY": "kiosk-7-retry"}

    def post() -> tuple[int, dict[str, Any]]:
        reply = Client().post(
            f"/api/v1/halls/{setup.hall.code}/tickets", data=body, content_type="application/json", **headers
        )
        return reply.status_code, reply.json()

    results = run_together([post] * 10)
    no_errors(results)
    statuses = Tally(status for status, _ in results)
    assert set(statuses) <= {201, 409}, statuses
    assert statuses[201] >= 1
    assert all(b["code"] == "idempotency_in_flight" for status, b in results if status == 409)
    assert Ticket.objects.filter(hall=setup.hall).count() == 1
    ticket = Ticket.objects.get(hall=setup.hall)
    assert {b["id"] for status, b in results if status == 201} == {ticket.pk}
    assert ticket.number == "B001"
    record = IdempotencyRecord.objects.get(key="kiosk-7-retry")
    assert record.done and record.response["id"] == ticket.pk
    retry_status, retry_body = post()
    assert (retry_status, retry_body["id"]) == (201, ticket.pk)


# ------------------------------------------------------------------------------------------------ day end


def test_two_concurrent_day_ends_close_each_ticket_and_transaction_once(setup: Setup) -> None:
    """The day-end job started twice at once: one not_served event per ticket, each transaction closed once."""
    held = eight_open_counters(setup)
    issue_waiting(setup, 12)
    for counter, agent in held:
        services.counter_call_next(actor=setup.actor(agent), counter_id=counter.pk, at=T0)
    day = T0.date()
    ends = [T0 + dt.timedelta(hours=14), T0 + dt.timedelta(hours=15)]
    results = run_together([lambda at=at: services.hall_day_end(hall=setup.hall, day=day, at=at) for at in ends])
    no_errors(results)
    assert sum(results) == 12
    assert HallEvent.objects.filter(hall=setup.hall, kind="ticket.not_served").count() == 12
    for tx in ServiceTransaction.objects.filter(hall=setup.hall).select_related("ticket"):
        assert tx.outcome == "not_served"
        assert tx.done_at == tx.ticket.finished_at, "transaction and ticket closed by different runs"


def test_day_end_racing_counter_actions_neither_deadlocks_nor_double_closes(setup: Setup) -> None:
    """Day end at midnight while 8 counters complete, park or miss their customer: no deadlock, no error but
    a 409 for the counter that came too late, and every ticket ends closed exactly once."""
    held = eight_open_counters(setup)
    issue_waiting(setup, 8)
    for counter, agent in held:
        services.counter_call_next(actor=setup.actor(agent), counter_id=counter.pk, at=T0)
    midnight = T0 + dt.timedelta(hours=14)
    actions = [services.counter_complete, services.counter_park, services.counter_no_show]
    tasks: list[Callable[[], Any]] = [lambda: services.hall_day_end(hall=setup.hall, day=T0.date(), at=midnight)]
    for i, (counter, agent) in enumerate(held):
        action, actor = actions[i % 3], setup.actor(agent)
        tasks.append(lambda action=action, actor=actor, pk=counter.pk: action(actor=actor, counter_id=pk, at=midnight))
    results = run_together(tasks)
    errors = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(e, Conflict) and e.code == "no_transaction" for e in errors), errors
    assert not ServiceTransaction.objects.filter(hall=setup.hall, done_at__isnull=True).exists()
    statuses = Tally(Ticket.objects.filter(hall=setup.hall).values_list("status", flat=True))
    assert set(statuses) <= {"done", "not_served"}, statuses
    not_served = HallEvent.objects.filter(hall=setup.hall, kind="ticket.not_served")
    assert not_served.count() == statuses["not_served"] == results[0]


def test_the_same_phase_sent_twice_at_once_is_applied_once(setup: Setup) -> None:
    """A double-clicked "arrive" from the counter's own session: one succeeds, the other is a 409, one event."""
    held = eight_open_counters(setup)
    issue_waiting(setup, 1)
    counter, agent = held[0]
    services.counter_call_next(actor=setup.actor(agent), counter_id=counter.pk, at=T0)
    results = run_together([lambda: services.counter_arrive(actor=setup.actor(agent), counter_id=counter.pk)] * 4)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 3 and all(isinstance(e, Conflict) and e.code == "illegal_transition" for e in errors)
    assert HallEvent.objects.filter(hall=setup.hall, kind="transaction.arrived").count() == 1
