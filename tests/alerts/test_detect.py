"""hall_scan at explicit instants: over-limit transactions, waits over target, idle counters; raise and clear."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.alerts.detect import hall_scan, halls_scan
from hallops.alerts.models import Alert, AlertPolicy, State
from hallops.alerts.services import alert_ack, alert_raise
from hallops.hall import services
from hallops.hall.models import HallEvent
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db

T0 = shanghai(2026, 3, 2, 10, 0)
MIN = dt.timedelta(minutes=1)


def issue(setup: Setup, code: str = "sim_replacement", at: dt.datetime = T0) -> None:
    services.ticket_issue(actor=setup.actor("greeter"), hall=setup.hall, service_code=code, channel="greeter", at=at)


def open_counter(setup: Setup, index: int, user: str = "agent1", at: dt.datetime = T0) -> None:
    services.counter_open(actor=setup.actor(user), counter_id=setup.counters[index].pk, at=at)


def when(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)


def unresolved() -> dict[str, Alert]:
    return {a.key: a for a in Alert.objects.exclude(state=State.RESOLVED)}


# ------------------------------------------------------------------------------------------------ over limit


def serving_sim(setup: Setup) -> None:
    """Counter 1 calls a SIM replacement (limit 3 min) at T0 and the customer arrives at T0 + 30 s."""
    issue(setup)
    open_counter(setup, 0)
    services.counter_call_next(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk, at=T0)
    services.counter_arrive(
        actor=setup.actor("agent1"), counter_id=setup.counters[0].pk, at=T0 + dt.timedelta(seconds=30)
    )


def test_a_transaction_within_its_limit_raises_nothing(setup: Setup) -> None:
    """Exactly at the limit (3 min after arrival): no alert."""
    serving_sim(setup)
    assert hall_scan(setup.hall, T0 + dt.timedelta(seconds=210)).raised == []
    assert not Alert.objects.exists()


def test_over_limit_raises_then_escalates_then_clears(setup: Setup) -> None:
    """Past 3 min: warning on counter 1 with the ticket; from 4.5 min critical (same alert); done: resolved by
    the system."""
    serving_sim(setup)
    arrived = T0 + dt.timedelta(seconds=30)
    hall_scan(setup.hall, arrived + dt.timedelta(seconds=181))
    alert = Alert.objects.get()
    assert alert.kind == "over_limit" and alert.severity == "warning" and alert.state == State.OPEN
    assert alert.counter_id == setup.counters[0].pk and alert.ticket is not None and alert.ticket.number == "B001"
    assert alert.data["limit_seconds"] == 180 and alert.data["service_seconds"] == 181
    assert when(alert.data["service_since"]) == arrived

    hall_scan(setup.hall, arrived + dt.timedelta(seconds=270))
    alert.refresh_from_db()
    assert Alert.objects.count() == 1 and alert.severity == "critical" and alert.data["service_seconds"] == 270

    services.counter_complete(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk, at=arrived + 5 * MIN)
    result = hall_scan(setup.hall, arrived + 6 * MIN)
    alert.refresh_from_db()
    assert result.cleared == [alert.key]
    assert alert.state == State.RESOLVED and alert.resolved_by_system
    kinds = list(HallEvent.objects.filter(kind__startswith="alert.").order_by("seq").values_list("kind", flat=True))
    assert kinds == ["alert.raised", "alert.updated", "alert.resolved"]


def test_scanning_twice_at_once_changes_nothing_more(setup: Setup) -> None:
    """Two scans at the same instant: still one alert, no second event."""
    serving_sim(setup)
    at = T0 + 5 * MIN
    hall_scan(setup.hall, at)
    before = HallEvent.objects.count()
    hall_scan(setup.hall, at)
    assert Alert.objects.count() == 1 and HallEvent.objects.count() == before


# ------------------------------------------------------------------------------------------------ waits


def test_wait_over_target_per_business_type(setup: Setup) -> None:
    """Target 10 min: a SIM ticket waiting 10:01 raises for that type only, naming the oldest number and the count."""
    issue(setup, "sim_replacement", T0)
    issue(setup, "sim_replacement", T0 + 2 * MIN)
    issue(setup, "value_added", T0 + 5 * MIN)
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=10, seconds=1))
    alerts = unresolved()
    assert list(alerts) == ["wait_over_target:svc:sim_replacement"]
    alert = alerts["wait_over_target:svc:sim_replacement"]
    assert alert.severity == "warning" and alert.counter is None and alert.ticket is not None
    assert alert.data["oldest_number"] == "B001" and alert.data["waiting"] == 2 and alert.data["over_target"] == 1
    assert alert.data["target_minutes"] == 10 and alert.data["wait_seconds"] == 601


def test_wait_alert_escalates_and_clears_when_the_customer_is_called(setup: Setup) -> None:
    """At 15 min critical; once B001 is called and the rest are within target, the alert is resolved."""
    issue(setup, "sim_replacement", T0)
    issue(setup, "sim_replacement", T0 + 8 * MIN)
    hall_scan(setup.hall, T0 + 15 * MIN)
    assert unresolved()["wait_over_target:svc:sim_replacement"].severity == "critical"
    open_counter(setup, 0, at=T0 + 15 * MIN)
    services.counter_call_next(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk, at=T0 + 15 * MIN)
    result = hall_scan(setup.hall, T0 + 16 * MIN)  # B002 has waited 8 min
    assert result.cleared == ["wait_over_target:svc:sim_replacement"]
    assert unresolved() == {}


def test_the_halls_own_target_counts(setup: Setup) -> None:
    """A hall with a 5-minute target alerts at 5:01."""
    setup.hall.wait_target_minutes = 5
    setup.hall.save(update_fields=["wait_target_minutes"])
    issue(setup, "new_subscriber", T0)
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=5, seconds=1))
    assert list(unresolved()) == ["wait_over_target:svc:new_subscriber"]


# ------------------------------------------------------------------------------------------------ idle counters


def test_idle_counter_while_people_wait_for_its_service(setup: Setup) -> None:
    """Counter 5 (SIM only) open since T0, a SIM customer since T0+1: idle-while-needed from T0+1; 3:01 warning,
    4:30 critical."""
    open_counter(setup, 4, at=T0)
    issue(setup, "sim_replacement", T0 + MIN)
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=4))
    assert unresolved() == {}  # idle 4 min, but needed for 3 min only
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=4, seconds=1))
    alert = unresolved()["idle_counter:counter:5"]
    assert alert.severity == "warning" and alert.counter_id == setup.counters[4].pk
    assert alert.data["waiting"] == 1 and alert.data["idle_seconds"] == 181
    assert when(alert.data["idle_since"]) == T0 and when(alert.data["needed_since"]) == T0 + MIN
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=5, seconds=30))
    alert.refresh_from_db()
    assert alert.severity == "critical"


def test_counter_idle_only_for_services_it_does_not_serve_is_not_alerted(setup: Setup) -> None:
    """Counter 5 serves SIM only: a new-subscriber customer waiting does not make it idle-while-needed."""
    open_counter(setup, 4, at=T0)
    issue(setup, "new_subscriber", T0 + MIN)
    hall_scan(setup.hall, T0 + 9 * MIN)
    assert "idle_counter:counter:5" not in unresolved()


def test_idle_time_counts_from_the_last_finished_transaction(setup: Setup) -> None:
    """A counter that finished a customer at T0+12 with another waiting since T0+11: idle-while-needed from T0+12."""
    open_counter(setup, 0, at=T0)
    issue(setup, "sim_replacement", T0 + 10 * MIN)
    agent, counter = setup.actor("agent1"), setup.counters[0].pk
    services.counter_call_next(actor=agent, counter_id=counter, at=T0 + 10 * MIN)
    issue(setup, "sim_replacement", T0 + 11 * MIN)
    services.counter_complete(actor=agent, counter_id=counter, at=T0 + 12 * MIN)
    hall_scan(setup.hall, T0 + 15 * MIN)
    assert "idle_counter:counter:1" not in unresolved()
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=15, seconds=1))
    alert = unresolved()["idle_counter:counter:1"]
    assert when(alert.data["idle_since"]) == T0 + 12 * MIN and alert.data["idle_seconds"] == 181


def test_busy_counter_is_not_idle(setup: Setup) -> None:
    """A counter serving someone raises no idle alert however long others wait."""
    open_counter(setup, 4, at=T0)
    issue(setup, "sim_replacement", T0)
    issue(setup, "sim_replacement", T0)
    services.counter_call_next(actor=setup.actor("agent1"), counter_id=setup.counters[4].pk, at=T0 + MIN)
    hall_scan(setup.hall, T0 + 8 * MIN)
    assert "idle_counter:counter:5" not in unresolved()


def test_pausing_clears_the_idle_alert_and_a_policy_changes_the_threshold(setup: Setup) -> None:
    """A paused counter is not idle (the alert clears); a hall policy of 10 min / 200% moves both lines."""
    AlertPolicy.objects.create(hall=setup.hall, idle_counter_minutes=10, critical_percent=200)
    open_counter(setup, 4, at=T0)
    issue(setup, "sim_replacement", T0 + 5 * MIN)
    hall_scan(setup.hall, T0 + 15 * MIN)
    assert unresolved() == {}
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=15, seconds=1))
    assert unresolved()["idle_counter:counter:5"].severity == "warning"
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=24, seconds=59))
    assert unresolved()["idle_counter:counter:5"].severity == "warning"
    hall_scan(setup.hall, T0 + dt.timedelta(minutes=25))
    assert unresolved()["idle_counter:counter:5"].severity == "critical"
    services.counter_pause(
        actor=setup.actor("agent1"), counter_id=setup.counters[4].pk, reason="lunch", at=T0 + 26 * MIN
    )
    hall_scan(setup.hall, T0 + 27 * MIN)
    assert "idle_counter:counter:5" not in unresolved()


# ------------------------------------------------------------------------------------------------ scope


def test_acknowledged_alert_is_updated_not_duplicated_and_still_cleared(setup: Setup) -> None:
    """A manager acknowledges; the next scans keep it acknowledged, and clear it when the condition ends."""
    issue(setup, "sim_replacement", T0)
    hall_scan(setup.hall, T0 + 11 * MIN)
    alert = Alert.objects.get()
    alert_ack(actor=setup.actor("manager"), alert_id=alert.pk, at=T0 + 12 * MIN)
    hall_scan(setup.hall, T0 + 13 * MIN)
    alert.refresh_from_db()
    assert alert.state == State.ACKNOWLEDGED and alert.data["wait_seconds"] == 13 * 60
    services.ticket_cancel(actor=setup.actor("greeter"), ticket_id=alert.ticket_id, at=T0 + 14 * MIN)
    hall_scan(setup.hall, T0 + 15 * MIN)
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED and alert.resolved_by_system


def test_the_scan_leaves_other_kinds_and_other_halls_alone(setup: Setup) -> None:
    """A dissatisfied-rating or open-counters alert, or another hall's alert, is not cleared by a scan."""
    for kind, hall in [
        ("dissatisfied_rating", setup.hall),
        ("open_counters", setup.hall),
        ("over_limit", setup.other_hall),
    ]:
        alert_raise(hall=hall, kind=kind, key=f"{kind}:x", severity="warning", data={}, at=T0)
    hall_scan(setup.hall, T0 + MIN)
    assert Alert.objects.filter(state=State.OPEN).count() == 3


def test_halls_scan_covers_every_hall(setup: Setup) -> None:
    """The periodic job scans each hall."""
    issue(setup, "sim_replacement", T0)
    services.ticket_issue(
        actor=setup.actor("admin"), hall=setup.other_hall, service_code="value_added", channel="greeter", at=T0
    )
    assert halls_scan(at=T0 + 11 * MIN) == 2
    assert set(Alert.objects.values_list("hall_id", flat=True)) == {setup.hall.pk, setup.other_hall.pk}


def test_the_scan_command_reports_per_hall(setup: Setup) -> None:
    """`hallops scan_alerts --hall h1` scans now and prints what it did; an unknown hall is an error."""
    from io import StringIO

    from django.core.management import CommandError, call_command

    out = StringIO()
    call_command("scan_alerts", "--hall", "h1", stdout=out)
    assert out.getvalue() == "h1: 0 raised or updated, 0 cleared\n"
    with pytest.raises(CommandError):
        call_command("scan_alerts", "--hall", "nope")
