"""Live sync: the hall's finished visits become visit records once, whatever runs again."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.accounts.devices import device_create
from hallops.analytics.models import HallSync, Source, VisitRecord
from hallops.analytics.selectors import kpi_summary, records_for
from hallops.analytics.services import SETTLE, halls_sync, sync_hall
from hallops.core.kpi import compute_kpis, kpis_as_dict
from hallops.feedback.services import rating_submit
from hallops.hall import services
from hallops.hall.models import Ticket
from hallops.organisation.access import actor_for_user
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db

T0 = shanghai(2026, 11, 2, 10, 0)
M = dt.timedelta(minutes=1)
LATER = T0 + dt.timedelta(hours=3)


def issue(setup: Setup, service: str = "sim_replacement", at: dt.datetime = T0) -> Ticket:
    return services.ticket_issue(
        actor=setup.actor("greeter"), hall=setup.hall, service_code=service, channel="greeter", at=at
    ).ticket


def open_counter(setup: Setup, index: int = 0, agent: str = "agent1") -> int:
    counter = setup.counters[index].pk
    services.counter_open(actor=setup.actor(agent), counter_id=counter, at=T0)
    return counter


def rows() -> list[VisitRecord]:
    return list(VisitRecord.objects.select_related("counter", "agent", "service").order_by("ticket", "row_key"))


def test_a_served_ticket_becomes_one_done_record_with_its_phases_rating_and_pre_order(setup: Setup) -> None:
    """Every phase, the counter, the agent (linked), the limit, the quote, the rating and the pre-order."""
    ticket = issue(setup, "new_subscriber")
    services.preorder_save(
        actor=setup.actor("clerk"), ticket_id=ticket.pk, data={"customer_name": "张三"}, state="ready", at=T0 + M
    )
    agent, counter = setup.actor("agent1"), open_counter(setup)
    services.counter_call_next(actor=agent, counter_id=counter, at=T0 + 4 * M)
    services.counter_arrive(actor=agent, counter_id=counter, at=T0 + 5 * M)
    services.counter_start_communication(actor=agent, counter_id=counter, at=T0 + 6 * M)
    services.counter_start_operation(actor=agent, counter_id=counter, at=T0 + 8 * M)
    tx = services.counter_complete(actor=agent, counter_id=counter, at=T0 + 12 * M)
    device, _ = device_create(actor=setup.actor("admin"), hall=setup.hall, kind="rating_pad", counter_number=1)
    pad = actor_for_user(device.user, session_ref=f"device:{device.pk}", token_hall_id=setup.hall.pk)
    rating_submit(actor=pad, hall=setup.hall, counter_number=1, transaction_id=tx.pk, score=2, at=T0 + 13 * M)
    assert sync_hall(setup.hall, LATER).added == 1
    [v] = rows()
    assert (v.ticket, v.local_day, v.source, v.outcome, v.service.code) == (
        "A001",
        T0.date(),
        Source.LIVE,
        "done",
        "new_subscriber",
    )
    assert [v.called_at, v.arrived_at, v.communication_at, v.operation_at, v.ended_at] == [
        T0 + 4 * M,
        T0 + 5 * M,
        T0 + 6 * M,
        T0 + 8 * M,
        T0 + 12 * M,
    ]
    assert (v.counter, v.counter_ext, v.agent, v.agent_ext) == (setup.counters[0], "1", setup.users["agent1"], "agent1")
    assert (v.rating, v.pre_order, v.limit_minutes, v.quoted_wait_seconds) == (2, True, 8.0, ticket.quoted_wait_seconds)
    assert (v.first, v.wait_seconds, v.service_seconds, v.over_limit) == (True, 240.0, 420.0, False)


def test_a_visit_is_read_once_its_rating_window_has_passed_and_only_once(setup: Setup) -> None:
    """Synced within the rating window, the visit waits; after it, it is added; every later run adds nothing,
    even with the watermark lost."""
    issue(setup)
    agent, counter = setup.actor("agent1"), open_counter(setup)
    services.counter_call_next(actor=agent, counter_id=counter, at=T0 + M)
    services.counter_complete(actor=agent, counter_id=counter, at=T0 + 3 * M)
    assert sync_hall(setup.hall, T0 + 3 * M + SETTLE - dt.timedelta(seconds=1)).added == 0
    assert sync_hall(setup.hall, T0 + 3 * M + SETTLE + dt.timedelta(seconds=1)).added == 1
    assert sync_hall(setup.hall, LATER).added == 0
    HallSync.objects.filter(hall=setup.hall).update(event_seq=0)
    result = sync_hall(setup.hall, LATER)
    assert (result.added, result.skipped) == (0, 1)
    assert VisitRecord.objects.count() == 1


def test_a_transfer_is_two_records_of_one_ticket(setup: Setup) -> None:
    """Transferred at counter 1 to value-added services and served at counter 2: two done rows, one ticket."""
    issue(setup)
    a1, c1 = setup.actor("agent1"), open_counter(setup, 0, "agent1")
    a2, c2 = setup.actor("agent2"), open_counter(setup, 1, "agent2")
    services.counter_call_next(actor=a1, counter_id=c1, at=T0 + M)
    services.counter_transfer(actor=a1, counter_id=c1, service_code="value_added", at=T0 + 3 * M)
    services.counter_call_next(actor=a2, counter_id=c2, at=T0 + 5 * M)
    services.counter_complete(actor=a2, counter_id=c2, at=T0 + 8 * M)
    sync_hall(setup.hall, LATER)
    got = [(v.ticket, v.service.code, v.counter_ext, v.outcome, v.first, v.wait_seconds) for v in rows()]
    assert got == [
        ("B001", "sim_replacement", "1", "done", True, 60.0),
        ("B001", "value_added", "2", "done", False, None),
    ]


def test_a_transfer_still_waiting_is_left_until_it_ends(setup: Setup) -> None:
    """The first ticket of a transfer is finished, the visit is not: nothing is read until the transfer ends."""
    issue(setup)
    agent, counter = setup.actor("agent1"), open_counter(setup)
    services.counter_call_next(actor=agent, counter_id=counter, at=T0 + M)
    services.counter_transfer(actor=agent, counter_id=counter, service_code="value_added", at=T0 + 3 * M)
    assert sync_hall(setup.hall, LATER).added == 0
    services.counter_call_next(actor=agent, counter_id=counter, at=LATER + M)
    services.counter_complete(actor=agent, counter_id=counter, at=LATER + 2 * M)
    assert sync_hall(setup.hall, LATER + dt.timedelta(hours=1)).added == 2


def test_a_park_and_its_resume_are_one_record(setup: Setup) -> None:
    """Called, arrived, parked (fetching a document), resumed, completed: one record from the first call to
    the end, its phases from before and after the park."""
    ticket = issue(setup)
    agent, counter = setup.actor("agent1"), open_counter(setup)
    services.counter_call_next(actor=agent, counter_id=counter, at=T0 + M)
    services.counter_arrive(actor=agent, counter_id=counter, at=T0 + 2 * M)
    services.counter_park(actor=agent, counter_id=counter, at=T0 + 3 * M)
    services.counter_resume(actor=agent, counter_id=counter, ticket_id=ticket.pk, at=T0 + 10 * M)
    services.counter_start_operation(actor=agent, counter_id=counter, at=T0 + 11 * M)
    services.counter_complete(actor=agent, counter_id=counter, at=T0 + 12 * M)
    sync_hall(setup.hall, LATER)
    [v] = rows()
    assert [v.called_at, v.arrived_at, v.communication_at, v.operation_at, v.ended_at] == [
        T0 + M,
        T0 + 2 * M,
        None,
        T0 + 11 * M,
        T0 + 12 * M,
    ]
    assert v.outcome == "done" and v.service_seconds == 600.0


def test_a_missed_number_kept_for_recall_is_read_when_the_day_closes(setup: Setup) -> None:
    """Keep policy: the missed number may still be recalled, so the visit waits; at day end it is a no-show
    record and a record without a call, not served."""
    issue(setup)
    agent, counter = setup.actor("agent1"), open_counter(setup)
    services.counter_call_next(actor=agent, counter_id=counter, at=T0 + M)
    services.counter_no_show(actor=agent, counter_id=counter, at=T0 + 2 * M)
    assert sync_hall(setup.hall, LATER).added == 0
    services.hall_day_end(hall=setup.hall, day=T0.date(), at=T0 + dt.timedelta(hours=15))
    sync_hall(setup.hall, T0 + dt.timedelta(hours=16))
    assert [(v.outcome, v.called_at, v.first, v.ticket_no_show) for v in rows()] == [
        ("not_served", None, False, False),
        ("no_show", T0 + M, True, True),
    ]


def test_diverted_cancelled_and_walk_in_visits(setup: Setup) -> None:
    """A diverted ticket has no number (#<id>); a ticket cancelled while waiting has one record without a
    call; a walk-in is a visit of its own with channel walk_in and no wait."""
    diverted = issue(setup, "payment")
    waiting = issue(setup, at=T0 + M)
    services.ticket_cancel(actor=setup.actor("greeter"), ticket_id=waiting.pk, at=T0 + 5 * M)
    agent, counter = setup.actor("agent1"), open_counter(setup)
    tx = services.counter_walk_in(actor=agent, counter_id=counter, service_code="value_added", at=T0 + 6 * M)
    services.counter_complete(actor=agent, counter_id=counter, at=T0 + 8 * M)
    assert halls_sync(at=LATER) == 3
    got = {(v.ticket, v.channel, v.outcome, v.called_at, v.wait_seconds) for v in rows()}
    assert got == {
        (f"#{diverted.pk}", "greeter", "diverted", None, None),
        ("B001", "greeter", "cancelled", None, None),
        (f"#W{tx.pk}", "walk_in", "done", T0 + 6 * M, 0.0),
    }


def test_live_rollups_equal_the_core_over_the_same_records(setup: Setup) -> None:
    """After live sync, the roll-up figures are the core's figures over records_for."""
    agent, counter = setup.actor("agent1"), open_counter(setup)
    for i in range(4):
        issue(setup, at=T0 + i * M)
    for i in range(3):
        services.counter_call_next(actor=agent, counter_id=counter, at=T0 + (5 + 4 * i) * M)
        if i == 1:
            services.counter_no_show(actor=agent, counter_id=counter, at=T0 + (6 + 4 * i) * M)
        else:
            services.counter_complete(actor=agent, counter_id=counter, at=T0 + (8 + 4 * i) * M)
    services.hall_day_end(hall=setup.hall, day=T0.date(), at=T0 + dt.timedelta(hours=15))
    sync_hall(setup.hall, T0 + dt.timedelta(hours=16))
    day = T0.date()
    records = records_for(halls=[setup.hall], start=day, end=day)
    want = kpis_as_dict(compute_kpis(records, complex_services=frozenset({"new_subscriber"})).total)
    got = kpi_summary(halls=[setup.hall], start=day, end=day, exact=False)["total"]
    assert want["arrivals"] == 4 and want["no_shows"] == 1 and want["served"] == 2
    assert {k: v for k, v in got.items() if "median" not in k and "p90" not in k} == {
        k: v for k, v in want.items() if "median" not in k and "p90" not in k
    }
