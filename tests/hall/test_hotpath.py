"""The hot path of a ticket's lifecycle (hallops.hall.hotpath): plain, prepared statements on PostgreSQL.

These check what the one-statement phase change and the read-then-guarded-write actions must keep: the same
answers and records as the ORM path (SQLite runs that path, so every test here runs on both), a cached
counter-to-hall mapping that can never grant access, and a read made stale by waiting for the counter lock.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction

from hallops.audit.models import AuditLog
from hallops.hall import services
from hallops.hall.models import HallEvent, ServiceTransaction, Ticket
from hallops.organisation.models import Counter
from tests.api.helpers import assert_error, call_next, counter_post, issue, open_counter
from tests.factories import Setup, shanghai

T0 = shanghai(2026, 3, 2, 10, 0)


@pytest.fixture
def c1(setup: Setup, api: Any) -> int:
    counter = setup.counters[0].pk
    open_counter(api, counter)
    return counter


@pytest.mark.django_db
def test_a_phase_after_add_service_lists_the_extra_type(c1: int, api: Any) -> None:
    """The extra business type added to the visit is in every later answer, phase changes included."""
    issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "add-service", body={"service": "new_subscriber"}).status_code == 200
    for action in ("arrive", "start-communication", "start-operation", "complete"):
        tx = counter_post(api, c1, action).json()["transaction"]
        assert tx["extra_services"] == ["new_subscriber"], action
        assert tx["limit_seconds"] == 180 + 480, action


@pytest.mark.django_db
def test_each_phase_writes_one_event_and_one_audit_row(setup: Setup, c1: int, api: Any) -> None:
    """arrive, communication, operation: the ticket serving after arrival, one event and one audit row each."""
    ticket = issue(api)
    call_next(api, c1)
    for action, phase in (("arrive", "arrived"), ("start-communication", "communication")):
        events, audits = HallEvent.objects.count(), AuditLog.objects.count()
        body = counter_post(api, c1, action).json()["transaction"]
        assert body["phase"] == phase and body["ticket"] == ticket["number"]
        assert Ticket.objects.get(pk=ticket["id"]).status == "serving"
        event = HallEvent.objects.order_by("-seq").first()
        assert event is not None and HallEvent.objects.count() == events + 1
        assert (event.kind, event.ticket_id, event.counter_id) == (f"transaction.{phase}", ticket["id"], c1)
        assert event.transaction_id == body["id"] and event.data == {"number": ticket["number"]}
        audit = AuditLog.objects.order_by("-id").first()
        assert audit is not None and AuditLog.objects.count() == audits + 1
        assert (audit.action, audit.object_type, audit.object_id) == (f"ticket.{phase}", "ticket", str(ticket["id"]))
    seqs = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db
def test_a_walk_in_phase_has_an_event_and_no_audit_row(c1: int, api: Any) -> None:
    """A walk-in has no ticket: its phase change appends an event (no number) and writes no ticket audit row."""
    assert counter_post(api, c1, "walk-in", body={"service": "value_added"}).status_code == 200
    audits = AuditLog.objects.count()
    body = counter_post(api, c1, "start-communication").json()["transaction"]
    assert body["phase"] == "communication" and body["ticket"] is None
    event = HallEvent.objects.order_by("-seq").first()
    assert event is not None and event.kind == "transaction.communication" and event.data == {"number": None}
    assert AuditLog.objects.count() == audits


@pytest.mark.django_db
def test_a_counter_moved_to_another_hall_is_not_operated_from_the_old_one(setup: Setup, c1: int, api: Any) -> None:
    """After a phase change the process knows the counter's hall; once the counter belongs to a hall where the
    agent has no role, the next phase answers 404 and changes nothing."""
    issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "arrive").status_code == 200
    Counter.objects.filter(pk=c1).update(hall=setup.other_hall, number=99)
    before = ServiceTransaction.objects.get(counter_id=c1, done_at__isnull=True).phase
    assert_error(counter_post(api, c1, "start-communication"), 404, "counter")
    assert ServiceTransaction.objects.get(counter_id=c1, done_at__isnull=True).phase == before


@pytest.mark.django_db
def test_refusals_of_a_phase_change_are_those_of_the_orm_path(setup: Setup, c1: int, api: Any) -> None:
    """Another session 409 counter_in_use, a role without counter.operate 403, a phase going back 409."""
    from tests.api.helpers import second_session_header

    issue(api)
    call_next(api, c1)
    assert counter_post(api, c1, "start-operation").status_code == 200
    other = api.post(f"/counters/{c1}/arrive", headers=second_session_header("agent1"))
    assert_error(other, 409, "counter", "counter_in_use")
    assert_error(api.post(f"/counters/{c1}/arrive", as_user="display"), 403, None, "role_not_allowed")
    assert_error(counter_post(api, c1, "arrive"), 409, "phase", "illegal_transition")
    assert_error(counter_post(api, c1, "start-operation"), 409, "phase", "illegal_transition")


@pytest.mark.django_db
def test_a_phase_change_is_one_statement_on_postgresql(setup: Setup, django_assert_num_queries: Any) -> None:
    """On PostgreSQL a phase change is one statement (no BEGIN/COMMIT around it); SQLite takes the ORM path."""
    if connection.vendor != "postgresql":
        pytest.skip("the one-statement phase change is PostgreSQL's")
    agent, cid = setup.actor("agent1"), setup.counters[0].pk
    services.counter_open(actor=agent, counter_id=cid)
    services.ticket_issue(actor=setup.actor("kiosk"), hall=setup.hall, service_code="sim_replacement", channel="kiosk")
    services.counter_call_next(actor=agent, counter_id=cid)
    with django_assert_num_queries(1):
        tx = services.counter_arrive(actor=agent, counter_id=cid)
    with django_assert_num_queries(0):  # the answer is rendered from what the statement returned
        assert (tx.counter.number, tx.ticket.number, tx.service.code) == (1, "B001", "sim_replacement")
        assert list(tx.extra_services.all()) == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME"),
    reason="needs a file SQLite database (set HALLOPS_TEST_SQLITE) or PostgreSQL",
)
def test_complete_that_waited_for_the_counter_sees_the_phase_committed_meanwhile(setup: Setup) -> None:
    """complete waits for the counter while another request moves the transaction on: it completes the
    transaction as it is after that change (the communication time kept), once, with gap-free events."""
    agent = setup.actor("agent1")
    cid = setup.counters[0].pk
    services.counter_open(actor=agent, counter_id=cid, at=T0)
    services.ticket_issue(actor=setup.actor("kiosk"), hall=setup.hall, service_code="sim_replacement", channel="kiosk")
    services.counter_call_next(actor=agent, counter_id=cid)
    services.counter_arrive(actor=agent, counter_id=cid)
    holding, results = threading.Event(), {}

    def slow_communication() -> None:
        try:
            with transaction.atomic():
                services.counter_start_communication(actor=agent, counter_id=cid)
                holding.set()
                time.sleep(0.5)  # the counter stays locked; complete is waiting for it meanwhile
        finally:
            holding.set()
            connection.close()

    def complete() -> None:
        try:
            holding.wait(10)
            results["tx"] = services.counter_complete(actor=agent, counter_id=cid)
        except Exception as exc:
            results["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=slow_communication), threading.Thread(target=complete)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert "error" not in results, results
    tx = ServiceTransaction.objects.get(counter_id=cid)
    assert (tx.phase, tx.outcome) == ("done", "completed")
    assert tx.communication_at is not None and tx.communication_at <= tx.done_at
    assert results["tx"].communication_at == tx.communication_at
    kinds = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("kind", flat=True))
    assert kinds[-2:] == ["transaction.communication", "transaction.done"]
    seqs = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME"),
    reason="needs a file SQLite database (set HALLOPS_TEST_SQLITE) or PostgreSQL",
)
def test_call_next_that_waited_for_the_counter_sees_the_call_committed_meanwhile(setup: Setup) -> None:
    """A double-clicked "call next": the second waits for the counter while the first calls a ticket, then
    answers 409 transaction_open; one transaction is open and the second ticket still waits."""
    agent = setup.actor("agent1")
    cid = setup.counters[0].pk
    services.counter_open(actor=agent, counter_id=cid)
    kiosk = setup.actor("kiosk")
    _, _, third = (
        services.ticket_issue(actor=kiosk, hall=setup.hall, service_code="sim_replacement", channel="kiosk").ticket
        for _ in range(3)
    )
    services.counter_call_next(actor=agent, counter_id=cid)
    services.counter_complete(actor=agent, counter_id=cid)
    holding, results = threading.Event(), {}

    def slow_call() -> None:
        try:
            with transaction.atomic():
                results["first"] = services.counter_call_next(actor=agent, counter_id=cid)
                holding.set()
                time.sleep(0.5)  # the counter stays locked; the second call is waiting for it meanwhile
        finally:
            holding.set()
            connection.close()

    def second_call() -> None:
        try:
            holding.wait(10)
            results["second"] = services.counter_call_next(actor=agent, counter_id=cid)
        except Exception as exc:
            results["error"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=slow_call), threading.Thread(target=second_call)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    error = results.get("error")
    assert error is not None and getattr(error, "code", None) == "transaction_open", results
    assert ServiceTransaction.objects.filter(counter_id=cid, done_at__isnull=True).count() == 1
    assert Ticket.objects.get(pk=third.pk).status == "waiting"


@pytest.mark.django_db
def test_call_next_in_one_statement_answers_like_the_first_call(setup: Setup, c1: int, api: Any) -> None:
    """The second call at a counter (one statement on PostgreSQL) answers and records what the first did:
    the ticket called here, its transaction, the pre-order with its state, the event and the audit row."""
    issue(api)
    first = call_next(api, c1)
    assert counter_post(api, c1, "complete").status_code == 200
    ticket = issue(api, "new_subscriber")
    put = api.put(
        f"/tickets/{ticket['id']}/pre-order", as_user="clerk", body={"phone": "13800138000", "state": "ready"}
    )
    assert put.status_code == 200
    second = call_next(api, c1)
    assert set(second) == set(first) == {"ticket", "transaction", "pre_order"}
    assert set(second["ticket"]) == set(first["ticket"]) and set(second["transaction"]) == set(first["transaction"])
    assert (second["ticket"]["number"], second["ticket"]["status"], second["ticket"]["counter"]) == (
        "A001",
        "called",
        1,
    )
    assert second["ticket"]["hall"] == "h1" and second["ticket"]["service"] == "new_subscriber"
    tx = second["transaction"]
    assert (tx["ticket"], tx["phase"], tx["limit_seconds"], tx["extra_services"]) == ("A001", "called", 480, [])
    assert second["pre_order"]["state"] == "ready" and second["pre_order"]["phone"] == "13800138000"
    event = HallEvent.objects.filter(kind="ticket.called").order_by("-seq").first()
    assert event is not None and event.ticket_id == ticket["id"] and event.transaction_id == tx["id"]
    assert event.data == {"number": "A001", "counter": 1, "service": "new_subscriber", "pre_order": "ready"}
    audit = AuditLog.objects.filter(action="ticket.called").order_by("-id").first()
    assert audit is not None and audit.object_id == str(ticket["id"]) and audit.detail == {"counter": 1}
    assert Ticket.objects.get(pk=ticket["id"]).counter_id == c1
    seqs = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db
def test_the_limit_computed_in_sql_is_the_models(setup: Setup) -> None:
    """The one-statement call computes a transaction's limit in SQL; it equals int(limit_seconds) for every
    limit from 0.5 to 999.9 minutes."""
    if connection.vendor != "postgresql":
        pytest.skip("computed in SQL on PostgreSQL only")
    from decimal import Decimal

    from hallops.catalog.models import BusinessType

    with connection.cursor() as cur:
        cur.execute(
            "SELECT m, trunc(m::float8 * 60)::integer FROM "
            "(SELECT (g / 10.0)::numeric(5, 1) AS m FROM generate_series(5, 9999) g) s"
        )
        rows = cur.fetchall()
    assert len(rows) == 9995
    assert all(int(BusinessType(limit_minutes=Decimal(m)).limit_seconds) == sql for m, sql in rows)
