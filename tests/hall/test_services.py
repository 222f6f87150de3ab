"""Hall services: queue order, estimates, missed numbers, transfer, park, walk-in, pre-orders, audit."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.audit.models import AuditLog
from hallops.core.policy import NoShowPolicy
from hallops.errors import Conflict, NotFound
from hallops.hall import services
from hallops.hall.models import HallEvent, PreOrder, ServiceTransaction, Ticket, TicketSequence
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db

T0 = shanghai(2026, 11, 23, 10, 0)


def sec(n: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=n)


def issue(setup: Setup, code: str = "sim_replacement", at: dt.datetime = T0, **kw: object) -> Ticket:
    channel = str(kw.pop("channel", "kiosk"))
    user = "kiosk" if channel == "kiosk" else "greeter"
    return services.ticket_issue(
        actor=setup.actor(user), hall=setup.hall, service_code=code, channel=channel, at=at, **kw
    ).ticket


def open_counter(setup: Setup, index: int = 0, user: str = "agent1", at: dt.datetime = T0) -> int:
    counter = setup.counters[index]
    services.counter_open(actor=setup.actor(user), counter_id=counter.pk, at=at)
    return counter.pk


def test_vip_overtakes_within_the_bound_but_not_beyond(setup: Setup) -> None:
    """A 5-star VIP issued 10 minutes after a normal ticket is called first; one issued 16 minutes later is not."""
    normal = issue(setup, at=sec(0))
    vip_soon = issue(setup, at=sec(600), priority="vip", star_level=5, channel="greeter")
    vip_late = issue(setup, at=sec(960), priority="vip", star_level=5, channel="greeter")
    cid = open_counter(setup)
    agent = setup.actor("agent1")
    order = []
    for i in range(3):
        call = services.counter_call_next(actor=agent, counter_id=cid, at=sec(1000 + i))
        assert call is not None
        order.append(call.ticket.pk)
        services.counter_complete(actor=agent, counter_id=cid, at=sec(1000 + i))
    assert order == [vip_soon.pk, normal.pk, vip_late.pk]


def test_quote_counts_people_ahead_and_open_counters(setup: Setup) -> None:
    """With one open counter and two 3-minute tickets ahead, the third ticket is quoted 360 s and stored."""
    open_counter(setup)
    issue(setup, at=sec(0))
    issue(setup, at=sec(1))
    result = services.ticket_issue(
        actor=setup.actor("kiosk"), hall=setup.hall, service_code="sim_replacement", channel="kiosk", at=sec(2)
    )
    assert result.people_ahead == 2
    assert result.estimated_wait_seconds == 360
    assert Ticket.objects.get(pk=result.ticket.pk).quoted_wait_seconds == 360


def test_no_open_counter_gives_no_estimate(setup: Setup) -> None:
    """Nobody can serve the ticket yet: the estimate is unknown (None), not zero."""
    result = services.ticket_issue(
        actor=setup.actor("kiosk"), hall=setup.hall, service_code="sim_replacement", channel="kiosk", at=T0
    )
    assert result.estimated_wait_seconds is None


def test_forced_self_service_is_diverted_without_using_a_number(setup: Setup) -> None:
    """A forced self-service type is diverted (no number); an override by a greeter gets the first number."""
    diverted = services.ticket_issue(
        actor=setup.actor("kiosk"), hall=setup.hall, service_code="payment", channel="kiosk", at=T0
    )
    assert diverted.diverted and diverted.ticket.number == "" and diverted.ticket.status == "diverted"
    real = services.ticket_issue(
        actor=setup.actor("greeter"),
        hall=setup.hall,
        service_code="payment",
        channel="greeter",
        override_reason="elderly customer cannot use the kiosk",
        at=sec(1),
    )
    assert real.ticket.number == "D001" and real.ticket.status == "waiting"
    assert TicketSequence.objects.get(hall=setup.hall, prefix="D").last == 1


def _miss(setup: Setup, policy: NoShowPolicy) -> tuple[Ticket, int]:
    setup.hall.no_show_policy = policy.value
    setup.hall.no_show_keep_minutes = 10
    setup.hall.no_show_push_back_places = 2
    setup.hall.save()
    first = issue(setup, at=sec(0))
    for i in range(1, 5):
        issue(setup, at=sec(i))
    cid = open_counter(setup)
    services.counter_call_next(actor=setup.actor("agent1"), counter_id=cid, at=sec(10))
    ticket = services.counter_no_show(actor=setup.actor("agent1"), counter_id=cid, at=sec(70))
    assert ticket.pk == first.pk
    return ticket, cid


def test_no_show_keep_can_be_called_back_within_the_window_only(setup: Setup) -> None:
    """Keep policy: the missed number can be called by number for N minutes, then it has expired."""
    ticket, cid = _miss(setup, NoShowPolicy.KEEP)
    assert ticket.status == "no_show"
    with pytest.raises(Conflict) as exc:
        services.counter_call(actor=setup.actor("agent1"), counter_id=cid, number="B001", at=sec(70 + 601))
    assert exc.value.code == "no_show_expired"
    call = services.counter_call(actor=setup.actor("agent1"), counter_id=cid, number="b001", at=sec(70 + 599))
    assert call.ticket.pk == ticket.pk and call.ticket.status == "called"


def test_no_show_push_back_lands_k_places_back(setup: Setup) -> None:
    """Push-back policy: the missed ticket waits again, behind exactly two of the tickets that were behind it."""
    ticket, _cid = _miss(setup, NoShowPolicy.PUSH_BACK)
    assert ticket.status == "waiting"
    order = list(
        Ticket.objects.filter(hall=setup.hall, status="waiting").order_by("rank", "id").values_list("number", flat=True)
    )
    assert order == ["B002", "B003", "B001", "B004", "B005"]


def test_no_show_cancel_ends_the_ticket(setup: Setup) -> None:
    """Cancel policy: the missed ticket is cancelled and cannot be called again."""
    ticket, cid = _miss(setup, NoShowPolicy.CANCEL)
    assert ticket.status == "cancelled"
    with pytest.raises(Conflict):
        services.counter_call(actor=setup.actor("agent1"), counter_id=cid, number="B001", at=sec(80))


def test_transfer_keeps_number_and_issue_time_and_targets_the_counter(setup: Setup) -> None:
    """Transfer to counter 2 for another type: same number and issue time; only counter 2 may call it."""
    original = issue(setup, at=sec(0))
    c1 = open_counter(setup, 0, "agent1")
    c3 = open_counter(setup, 2, "agent3")
    services.counter_call_next(actor=setup.actor("agent1"), counter_id=c1, at=sec(10))
    child = services.counter_transfer(
        actor=setup.actor("agent1"), counter_id=c1, service_code="new_subscriber", to_counter_number=2, at=sec(40)
    )
    assert child.number == original.number and child.issued_at == original.issued_at
    assert child.service.code == "new_subscriber" and child.parent_id == original.pk
    assert Ticket.objects.get(pk=original.pk).status == "transferred"
    assert services.counter_call_next(actor=setup.actor("agent3"), counter_id=c3, at=sec(50)) is None
    c2 = open_counter(setup, 1, "agent2")
    call = services.counter_call_next(actor=setup.actor("agent2"), counter_id=c2, at=sec(60))
    assert call is not None and call.ticket.pk == child.pk


def test_park_frees_the_counter_and_resume_times_a_new_transaction(setup: Setup) -> None:
    """Parking ends the transaction and frees the counter; resume serves the same ticket; close waits for it."""
    first = issue(setup, at=sec(0))
    second = issue(setup, at=sec(1))
    cid = open_counter(setup)
    agent = setup.actor("agent1")
    services.counter_call_next(actor=agent, counter_id=cid, at=sec(10))
    services.counter_arrive(actor=agent, counter_id=cid, at=sec(20))
    parked = services.counter_park(actor=agent, counter_id=cid, at=sec(30))
    assert parked.status == "parked"
    with pytest.raises(Conflict) as exc:
        services.counter_close(actor=agent, counter_id=cid, at=sec(31))
    assert exc.value.code == "parked_tickets"
    call = services.counter_call_next(actor=agent, counter_id=cid, at=sec(40))
    assert call is not None and call.ticket.pk == second.pk
    services.counter_complete(actor=agent, counter_id=cid, at=sec(100))
    resumed = services.counter_resume(actor=agent, counter_id=cid, ticket_id=first.pk, at=sec(110))
    assert resumed.ticket.status == "serving" and resumed.transaction.arrived_at == sec(110)
    services.counter_complete(actor=agent, counter_id=cid, at=sec(170))
    outcomes = list(ServiceTransaction.objects.filter(ticket=first).order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["parked", "completed"]


def test_walk_in_and_added_service_extend_the_limit(setup: Setup) -> None:
    """A walk-in is timed without a ticket; adding a second business type adds its limit to the transaction."""
    cid = open_counter(setup)
    agent = setup.actor("agent1")
    tx = services.counter_walk_in(actor=agent, counter_id=cid, service_code="sim_replacement", at=sec(0))
    assert tx.ticket is None and tx.limit_seconds == 180
    tx = services.counter_add_service(actor=agent, counter_id=cid, service_code="value_added", at=sec(30))
    assert tx.limit_seconds == 360
    with pytest.raises(Conflict):
        services.counter_add_service(actor=agent, counter_id=cid, service_code="value_added", at=sec(31))
    done = services.counter_complete(actor=agent, counter_id=cid, at=sec(200))
    assert done.service_seconds == 200.0


def test_not_completed_needs_a_coded_reason(setup: Setup) -> None:
    """An unfinished transaction is recorded with its reason code; the ticket is done (the visit ended)."""
    issue(setup)
    cid = open_counter(setup)
    agent = setup.actor("agent1")
    services.counter_call_next(actor=agent, counter_id=cid, at=sec(5))
    tx = services.counter_complete(
        actor=agent, counter_id=cid, outcome="not_completed", reason="missing_documents", at=sec(60)
    )
    assert (tx.outcome, tx.reason) == ("not_completed", "missing_documents")


def test_another_halls_staff_get_not_found(setup: Setup) -> None:
    """Staff of hall h2 cannot see or operate hall h1's counters or tickets: NotFound, not Forbidden."""
    ticket = issue(setup)
    with pytest.raises(NotFound):
        services.counter_open(actor=setup.actor("agent_b"), counter_id=setup.counters[0].pk, at=T0)
    with pytest.raises(NotFound):
        services.ticket_cancel(actor=setup.actor("agent_b"), ticket_id=ticket.pk, at=T0)
    assert Ticket.objects.get(pk=ticket.pk).status == "waiting"


def test_pre_order_travels_with_the_ticket_and_is_executed_at_the_counter(setup: Setup) -> None:
    """Clerk fills the pre-order and marks it ready; the counter sees it at call; completion executes it."""
    ticket = issue(setup, "new_subscriber")
    clerk = setup.actor("clerk")
    pre = services.preorder_save(
        actor=clerk,
        ticket_id=ticket.pk,
        at=sec(30),
        data={"customer_name": "张三", "phone": "13812345678", "products": ["5G 128元套餐"], "documents": ["身份证"]},
    )
    assert pre.state == "draft"
    pre = services.preorder_save(
        actor=clerk, ticket_id=ticket.pk, data={"customer_name": "张三"}, state="ready", at=sec(60)
    )
    assert pre.state == "ready" and pre.version == 2
    cid = open_counter(setup)
    call = services.counter_call_next(actor=setup.actor("agent1"), counter_id=cid, at=sec(90))
    assert call is not None and call.pre_order is not None and call.pre_order.state == "ready"
    with pytest.raises(Conflict) as exc:
        services.preorder_save(actor=clerk, ticket_id=ticket.pk, data={"notes": "late"}, at=sec(95))
    assert exc.value.code == "ticket_called"
    services.counter_complete(actor=setup.actor("agent1"), counter_id=cid, at=sec(300))
    assert PreOrder.objects.get(pk=pre.pk).state == "executed"


def test_pre_order_has_one_editor_at_a_time(setup: Setup) -> None:
    """While a clerk edits (5-minute hold), another staff member's save is refused; afterwards it is allowed."""
    ticket = issue(setup, "new_subscriber")
    services.preorder_save(actor=setup.actor("clerk"), ticket_id=ticket.pk, data={"notes": "a"}, at=sec(0))
    with pytest.raises(Conflict) as exc:
        services.preorder_save(actor=setup.actor("agent1"), ticket_id=ticket.pk, data={"notes": "b"}, at=sec(60))
    assert exc.value.code == "being_edited"
    pre = services.preorder_save(actor=setup.actor("agent1"), ticket_id=ticket.pk, data={"notes": "b"}, at=sec(400))
    assert pre.notes == "b"


def test_staff_actions_are_audited_with_masked_personal_data(setup: Setup) -> None:
    """Issue, call and completion each leave an audit row in the same transaction; no raw phone number anywhere."""
    services.ticket_issue(
        actor=setup.actor("greeter"),
        hall=setup.hall,
        service_code="sim_replacement",
        channel="greeter",
        phone="13912345678",
        at=T0,
    )
    cid = open_counter(setup)
    services.counter_call_next(actor=setup.actor("agent1"), counter_id=cid, at=sec(5))
    services.counter_complete(actor=setup.actor("agent1"), counter_id=cid, at=sec(60))
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["ticket.issue", "ticket.called", "transaction.complete"]
    issue_row = AuditLog.objects.get(action="ticket.issue")
    assert issue_row.customer_ref == "139****5678" and issue_row.actor_name == "greeter"
    dump = " ".join(str(v) for v in AuditLog.objects.values_list("customer_ref", "detail"))
    dump += " ".join(str(v) for v in HallEvent.objects.values_list("data", flat=True))
    assert "13912345678" not in dump


def test_a_person_takes_a_counter_over_from_the_simulated_agent(setup: Setup) -> None:
    """Opening a counter the demo's simulated agent holds finishes its customer and hands the counter over."""
    from hallops.organisation.access import actor_for_user

    sim = actor_for_user(setup.users["agent4"], session_ref=services.SIMULATED_SESSION)
    issue(setup)
    cid = setup.counters[0].pk
    services.counter_open(actor=sim, counter_id=cid, at=T0)
    services.counter_call_next(actor=sim, counter_id=cid, at=sec(5))
    counter = services.counter_open(actor=setup.actor("agent1"), counter_id=cid, at=sec(10))
    assert counter.agent_id == setup.users["agent1"].pk
    assert not ServiceTransaction.objects.filter(counter_id=cid, done_at__isnull=True).exists()


def test_unmasked_personal_data_is_shown_only_to_roles_that_need_it_and_logged(setup: Setup) -> None:
    """The clerk's view of the ID number is audited once per view; a greeter gets no unmasked view at all."""
    ticket = issue(setup, "new_subscriber")
    pre = services.preorder_save(
        actor=setup.actor("clerk"), ticket_id=ticket.pk, data={"phone": "13812345678"}, at=sec(5)
    )
    before = AuditLog.objects.filter(action="customer.view_pii").count()
    assert services.preorder_reveal(actor=setup.actor("clerk"), pre_order=pre, at=sec(6)) is True
    assert services.preorder_reveal(actor=setup.actor("greeter"), pre_order=pre, at=sec(7)) is False
    rows = AuditLog.objects.filter(action="customer.view_pii")
    assert rows.count() == before + 1
    assert rows.get().customer_ref == "138****5678"


def test_cancelling_a_called_ticket_closes_its_transaction_with_its_times(setup: Setup) -> None:
    """A greeter cancels a ticket already called: the transaction ends cancelled, timed like any other."""
    ticket = issue(setup)
    cid = open_counter(setup)
    services.counter_call_next(actor=setup.actor("agent1"), counter_id=cid, at=sec(10))
    services.ticket_cancel(actor=setup.actor("greeter"), ticket_id=ticket.pk, at=sec(70))
    tx = ServiceTransaction.objects.get(ticket=ticket)
    assert (tx.outcome, tx.phase, tx.handling_seconds) == ("cancelled", "done", 60.0)
    assert services.counter_call_next(actor=setup.actor("agent1"), counter_id=cid, at=sec(80)) is None


def test_queue_summary_estimates_each_type_in_a_fixed_number_of_queries(
    setup: Setup, django_assert_max_num_queries: object
) -> None:
    """Two 3-minute tickets wait for one open counter: a new one would wait 360 s; the read does not grow per type."""
    from hallops.hall.selectors import queue_summary

    open_counter(setup)
    issue(setup, at=sec(0))
    issue(setup, at=sec(1))
    with django_assert_max_num_queries(6):  # type: ignore[operator]
        lines = {line.service.code: line for line in queue_summary(hall=setup.hall, at=sec(2))}
    assert lines["sim_replacement"].waiting == 2
    assert lines["sim_replacement"].estimated_wait_seconds == 360
    assert lines["payment"].estimated_wait_seconds is None
