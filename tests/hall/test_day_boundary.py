"""The hall-local day (scenario 8): numbering restarts at local midnight, and the day end closes what is left.

Midnight in Shanghai is 16:00 UTC; the hall's day never follows the server's clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from hallops.errors import Conflict
from hallops.hall import jobs, services
from hallops.hall.models import HallEvent, ServiceTransaction, Ticket, TicketSequence
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db

UTC = dt.UTC
BEFORE_MIDNIGHT = dt.datetime(2026, 3, 1, 15, 59, 59, 900_000, tzinfo=UTC)  # 23:59:59.9 in Shanghai
AFTER_MIDNIGHT = dt.datetime(2026, 3, 1, 16, 0, 0, 100_000, tzinfo=UTC)  # 00:00:00.1 the next day
OLD_DAY = dt.date(2026, 3, 1)
NEW_DAY = dt.date(2026, 3, 2)


def issue(setup: Setup, at: dt.datetime, service_code: str = "sim_replacement") -> Ticket:
    return services.ticket_issue(
        actor=setup.actor("kiosk"), hall=setup.hall, service_code=service_code, channel="kiosk", at=at
    ).ticket


def status(ticket: Ticket) -> str:
    return Ticket.objects.get(pk=ticket.pk).status


# ------------------------------------------------------------------------------------------ local midnight


def test_numbering_restarts_at_local_midnight(setup: Setup) -> None:
    """Tickets 0.2 s apart around 16:00Z fall on two Shanghai days and are both B001."""
    before = issue(setup, BEFORE_MIDNIGHT)
    after = issue(setup, AFTER_MIDNIGHT)
    next_one = issue(setup, AFTER_MIDNIGHT + dt.timedelta(seconds=1))
    assert (before.day, before.number) == (OLD_DAY, "B001")
    assert (after.day, after.number) == (NEW_DAY, "B001")
    assert (next_one.day, next_one.number) == (NEW_DAY, "B002")
    rows = dict(TicketSequence.objects.filter(hall=setup.hall, prefix="B").values_list("day", "last"))
    assert rows == {OLD_DAY: 1, NEW_DAY: 2}


# ------------------------------------------------------------------------------------------------- day end


@dataclass
class OldDay:
    done: Ticket
    called: Ticket
    parked: Ticket
    serving: Ticket
    no_show: Ticket
    waiting: Ticket
    walk_in: ServiceTransaction
    next_day: Ticket

    @property
    def still_open(self) -> list[Ticket]:
        return [self.called, self.parked, self.serving, self.no_show, self.waiting]


@pytest.fixture
def old_day(setup: Setup) -> OldDay:
    """On 1 March: one ticket in every state, an open walk-in; and one ticket already waiting on 2 March."""
    t = shanghai(2026, 3, 1, 10, 0)
    minute = dt.timedelta(minutes=1)
    tickets = [issue(setup, t) for _ in range(6)]
    c1, c2, c3 = (setup.counters[i].pk for i in range(3))
    a1, a2, a3 = setup.actor("agent1"), setup.actor("agent2"), setup.actor("agent3")
    for actor, counter in ((a1, c1), (a2, c2), (a3, c3)):
        services.counter_open(actor=actor, counter_id=counter, at=t)
    services.counter_call_next(actor=a1, counter_id=c1, at=t + minute)
    services.counter_complete(actor=a1, counter_id=c1, at=t + 2 * minute)
    services.counter_call_next(actor=a1, counter_id=c1, at=t + 3 * minute)
    services.counter_call_next(actor=a2, counter_id=c2, at=t + 3 * minute)
    services.counter_park(actor=a2, counter_id=c2, at=t + 4 * minute)
    services.counter_call_next(actor=a2, counter_id=c2, at=t + 5 * minute)
    services.counter_arrive(actor=a2, counter_id=c2, at=t + 6 * minute)
    services.counter_call_next(actor=a3, counter_id=c3, at=t + 7 * minute)
    services.counter_no_show(actor=a3, counter_id=c3, at=t + 8 * minute)
    walk_in = services.counter_walk_in(actor=a3, counter_id=c3, service_code="value_added", at=t + 9 * minute)
    state = OldDay(*tickets, walk_in=walk_in, next_day=issue(setup, AFTER_MIDNIGHT))
    assert [status(x) for x in [state.done, *state.still_open]] == [
        "done",
        "called",
        "parked",
        "serving",
        "no_show",
        "waiting",
    ]
    return state


DAY_END_AT = shanghai(2026, 3, 2, 0, 5)


def test_day_end_turns_every_open_ticket_not_served(setup: Setup, old_day: OldDay) -> None:
    """Waiting, called, serving, parked and missed tickets of the old day become not_served, off their counter."""
    closed = services.hall_day_end(hall=setup.hall, day=OLD_DAY, at=DAY_END_AT)
    assert closed == 5
    for ticket in old_day.still_open:
        row = Ticket.objects.get(pk=ticket.pk)
        assert (row.status, row.finished_at, row.counter_id) == ("not_served", DAY_END_AT, None), ticket.number


def test_day_end_closes_open_transactions_not_served(setup: Setup, old_day: OldDay) -> None:
    """The old day's open transactions (a called, a serving and a walk-in) end with outcome not_served."""
    open_before = set(
        ServiceTransaction.objects.filter(hall=setup.hall, done_at__isnull=True).values_list("pk", flat=True)
    )
    assert len(open_before) == 3 and old_day.walk_in.pk in open_before
    services.hall_day_end(hall=setup.hall, day=OLD_DAY, at=DAY_END_AT)
    assert not ServiceTransaction.objects.filter(hall=setup.hall, done_at__isnull=True).exists()
    for tx in ServiceTransaction.objects.filter(pk__in=open_before):
        assert (tx.outcome, tx.done_at, tx.phase) == ("not_served", DAY_END_AT, "done")


def test_day_end_emits_one_not_served_event_per_ticket(setup: Setup, old_day: OldDay) -> None:
    """Each ticket closed by the day end leaves one ticket.not_served event; the event log stays gap-free."""
    services.hall_day_end(hall=setup.hall, day=OLD_DAY, at=DAY_END_AT)
    events = HallEvent.objects.filter(hall=setup.hall, kind="ticket.not_served")
    assert sorted(events.values_list("ticket_id", flat=True)) == sorted(t.pk for t in old_day.still_open)
    seqs = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_day_end_leaves_done_tickets_and_the_next_day_alone(setup: Setup, old_day: OldDay) -> None:
    """A served ticket keeps its status and times; the new day's B001 keeps waiting."""
    done_before = Ticket.objects.get(pk=old_day.done.pk)
    done_tx = ServiceTransaction.objects.get(ticket=old_day.done)
    services.hall_day_end(hall=setup.hall, day=OLD_DAY, at=DAY_END_AT)
    done_after = Ticket.objects.get(pk=old_day.done.pk)
    assert (done_after.status, done_after.finished_at) == ("done", done_before.finished_at)
    assert ServiceTransaction.objects.get(pk=done_tx.pk).outcome == "completed"
    assert status(old_day.next_day) == "waiting"


def test_day_end_twice_changes_nothing(setup: Setup, old_day: OldDay) -> None:
    """A second day end finds nothing to close: no status, transaction or event changes."""
    services.hall_day_end(hall=setup.hall, day=OLD_DAY, at=DAY_END_AT)
    tickets = list(Ticket.objects.order_by("pk").values_list("pk", "status", "finished_at"))
    txs = list(ServiceTransaction.objects.order_by("pk").values_list("pk", "outcome", "done_at"))
    events = HallEvent.objects.count()
    assert services.hall_day_end(hall=setup.hall, day=OLD_DAY, at=DAY_END_AT + dt.timedelta(hours=1)) == 0
    assert list(Ticket.objects.order_by("pk").values_list("pk", "status", "finished_at")) == tickets
    assert list(ServiceTransaction.objects.order_by("pk").values_list("pk", "outcome", "done_at")) == txs
    assert HallEvent.objects.count() == events


def test_close_days_job_closes_yesterday_not_today(setup: Setup) -> None:
    """halls_close_days at 10:00 on 2 March closes the 23:59:59.9 ticket and keeps the 00:00:00.1 one."""
    before = issue(setup, BEFORE_MIDNIGHT)
    after = issue(setup, AFTER_MIDNIGHT)
    at = shanghai(2026, 3, 2, 10, 0)
    assert jobs.halls_close_days(at=at) == 1
    assert (status(before), status(after)) == ("not_served", "waiting")
    assert jobs.halls_close_days(at=at + dt.timedelta(minutes=5)) == 0


# --------------------------------------------------------------------------------------- opening hours


@pytest.fixture
def day_hall(setup: Setup) -> Setup:
    """The hall opens 09:00 and closes 18:00 (Shanghai) and stops issuing 15 minutes before closing."""
    hall = setup.hall
    hall.open_24h = False
    hall.opens_at = dt.time(9, 0)
    hall.closes_at = dt.time(18, 0)
    hall.issue_cutoff_minutes = 15
    hall.save()
    return setup


@pytest.mark.parametrize("hh, mm", [(17, 50), (17, 45), (18, 30), (8, 59)])
def test_hall_refuses_tickets_after_cutoff_or_before_opening(day_hall: Setup, hh: int, mm: int) -> None:
    """Issuing at or after 17:45 local (or before 09:00) is a 409 hall_closed and writes nothing."""
    with pytest.raises(Conflict) as err:
        issue(day_hall, shanghai(2026, 3, 2, hh, mm))
    assert err.value.code == "hall_closed"
    assert not Ticket.objects.exists()
    assert not TicketSequence.objects.exists()


@pytest.mark.parametrize("hh, mm", [(17, 44), (9, 0)])
def test_hall_accepts_tickets_inside_opening_hours(day_hall: Setup, hh: int, mm: int) -> None:
    """Issuing at 17:44 local (and at 09:00 sharp) still gets a number."""
    assert issue(day_hall, shanghai(2026, 3, 2, hh, mm)).number == "B001"


def test_close_days_job_closes_today_once_a_daytime_hall_has_closed(day_hall: Setup) -> None:
    """For a hall that closes at 18:00, the job at 18:30 local ends today's open tickets."""
    ticket = issue(day_hall, shanghai(2026, 3, 2, 17, 0))
    assert jobs.halls_close_days(at=shanghai(2026, 3, 2, 17, 59)) == 0
    assert jobs.halls_close_days(at=shanghai(2026, 3, 2, 18, 30)) == 1
    assert status(ticket) == "not_served"


def test_close_days_job_closes_a_walk_in_left_open_overnight(setup: Setup) -> None:
    """A walk-in transaction still open from yesterday is closed not_served even when no ticket is open."""
    agent = setup.actor("agent1")
    cid = setup.counters[0].pk
    services.counter_open(actor=agent, counter_id=cid, at=shanghai(2026, 3, 1, 17, 0))
    tx = services.counter_walk_in(
        actor=agent, counter_id=cid, service_code="sim_replacement", at=shanghai(2026, 3, 1, 17, 1)
    )
    jobs.halls_close_days(at=shanghai(2026, 3, 2, 9, 0))
    tx.refresh_from_db()
    assert tx.outcome == "not_served" and tx.done_at is not None
