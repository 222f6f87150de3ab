"""A ticket's whole life through the services: issue, call, phases, done; and the events it leaves."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.hall import services
from hallops.hall.models import HallEvent, ServiceTransaction, Ticket
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db


def test_full_lifecycle_times_every_phase(setup: Setup) -> None:
    """Issue → call → arrive → communication → operation → complete records each phase and the service time."""
    t0 = shanghai(2026, 11, 23, 10, 0)
    agent = setup.actor("agent1")
    counter = setup.counters[0]
    issued = services.ticket_issue(
        actor=setup.actor("kiosk"), hall=setup.hall, service_code="sim_replacement", channel="kiosk", at=t0
    )
    assert issued.ticket.number == "B001"
    services.counter_open(actor=agent, counter_id=counter.pk, at=t0)
    call = services.counter_call_next(actor=agent, counter_id=counter.pk, at=t0 + dt.timedelta(seconds=60))
    assert call is not None and call.ticket.pk == issued.ticket.pk
    services.counter_arrive(actor=agent, counter_id=counter.pk, at=t0 + dt.timedelta(seconds=90))
    services.counter_start_communication(actor=agent, counter_id=counter.pk, at=t0 + dt.timedelta(seconds=100))
    services.counter_start_operation(actor=agent, counter_id=counter.pk, at=t0 + dt.timedelta(seconds=160))
    tx = services.counter_complete(actor=agent, counter_id=counter.pk, at=t0 + dt.timedelta(seconds=250))
    assert tx.service_seconds == 160.0
    assert tx.handling_seconds == 190.0
    assert Ticket.objects.get(pk=issued.ticket.pk).status == "done"
    kinds = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("kind", flat=True))
    assert kinds == [
        "ticket.issued",
        "counter.opened",
        "ticket.called",
        "transaction.arrived",
        "transaction.communication",
        "transaction.operation",
        "transaction.done",
    ]
    seqs = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 8))
    assert ServiceTransaction.objects.get(pk=tx.pk).outcome == "completed"
