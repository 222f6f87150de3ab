"""alert_raise, alert_ack, alert_resolve, alert_clear: idempotence, the state machine, events and audit rows."""

from __future__ import annotations

import datetime as dt

import pytest

from hallops.alerts.models import Alert, State
from hallops.alerts.services import alert_ack, alert_clear, alert_raise, alert_resolve
from hallops.audit.models import AuditLog
from hallops.errors import Conflict, Forbidden, Invalid, NotFound
from hallops.hall import services as hall_services
from hallops.hall.models import HallEvent
from tests.factories import Setup, shanghai

pytestmark = pytest.mark.django_db

T0 = shanghai(2026, 3, 2, 10, 0)


def raise_wait(setup: Setup, *, severity: str = "warning", at: dt.datetime = T0, minutes: int = 12) -> Alert:
    return alert_raise(
        hall=setup.hall,
        kind="wait_over_target",
        key="wait_over_target:svc:sim",
        severity=severity,
        data={"oldest_wait_minutes": minutes},
        at=at,
    )


def kinds(setup: Setup) -> list[str]:
    return list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("kind", flat=True))


def test_raise_creates_an_open_alert_with_event_and_audit(setup: Setup) -> None:
    """A first raise stores an open alert, appends alert.raised and writes an audit row with no actor."""
    alert = raise_wait(setup)
    assert alert.state == State.OPEN and alert.raised_at == T0 and alert.raise_count == 1
    assert kinds(setup) == ["alert.raised"]
    event = HallEvent.objects.get(hall=setup.hall)
    assert event.data["alert"] == alert.pk and event.data["severity"] == "warning"
    row = AuditLog.objects.get(action="alert.raised")
    assert row.object_id == str(alert.pk) and row.actor_id is None and row.hall_id == setup.hall.pk


def test_raising_again_updates_the_same_alert_quietly(setup: Setup) -> None:
    """The same (hall, key) while unresolved: one row, new data, no second event or audit row."""
    first = raise_wait(setup, minutes=12)
    again = raise_wait(setup, minutes=15, at=T0 + dt.timedelta(minutes=3))
    assert again.pk == first.pk
    assert Alert.objects.count() == 1
    stored = Alert.objects.get()
    assert stored.data == {"oldest_wait_minutes": 15}
    assert stored.updated_at == T0 + dt.timedelta(minutes=3) and stored.raised_at == T0
    assert stored.raise_count == 2
    assert kinds(setup) == ["alert.raised"]
    assert AuditLog.objects.filter(object_type="alert").count() == 1


def test_a_severity_change_is_announced(setup: Setup) -> None:
    """Raising again with another severity stores it and appends alert.updated with the previous severity."""
    raise_wait(setup, severity="warning")
    alert = raise_wait(setup, severity="critical", at=T0 + dt.timedelta(minutes=5))
    assert alert.severity == "critical"
    assert kinds(setup) == ["alert.raised", "alert.updated"]
    assert HallEvent.objects.get(kind="alert.updated").data["previous_severity"] == "warning"


def test_raising_keeps_an_acknowledged_alert_acknowledged(setup: Setup) -> None:
    """An acknowledged alert raised again is updated, not reopened and not duplicated."""
    alert = raise_wait(setup)
    alert_ack(actor=setup.actor("manager"), alert_id=alert.pk, at=T0 + dt.timedelta(minutes=1))
    again = raise_wait(setup, at=T0 + dt.timedelta(minutes=2), minutes=14)
    assert again.pk == alert.pk and again.state == State.ACKNOWLEDGED


def test_after_resolve_the_condition_raises_a_new_alert(setup: Setup) -> None:
    """Once resolved, the same key raises a fresh open alert (the partial constraint allows it)."""
    alert = raise_wait(setup)
    alert_resolve(actor=setup.actor("manager"), alert_id=alert.pk, at=T0 + dt.timedelta(minutes=1))
    fresh = raise_wait(setup, at=T0 + dt.timedelta(minutes=10))
    assert fresh.pk != alert.pk and fresh.state == State.OPEN
    assert Alert.objects.filter(state=State.RESOLVED).count() == 1


def test_the_same_key_in_another_hall_is_another_alert(setup: Setup) -> None:
    """Keys are per hall."""
    a = raise_wait(setup)
    b = alert_raise(hall=setup.other_hall, kind="wait_over_target", key=a.key, severity="warning", data={}, at=T0)
    assert a.pk != b.pk


def test_raise_rejects_bad_input_naming_the_field(setup: Setup) -> None:
    """Unknown kind or severity, an empty key, a counter of another hall: Invalid with the field."""
    cases = [
        ({"kind": "fire", "key": "k", "severity": "info"}, "kind"),
        ({"kind": "over_limit", "key": "k", "severity": "loud"}, "severity"),
        ({"kind": "over_limit", "key": "", "severity": "info"}, "key"),
        ({"kind": "over_limit", "key": "k", "severity": "info", "counter": setup.other_counter}, "counter"),
    ]
    for kwargs, field in cases:
        with pytest.raises(Invalid) as exc:
            alert_raise(hall=setup.hall, data={}, at=T0, **kwargs)  # type: ignore[arg-type]
        assert exc.value.field == field
    assert not Alert.objects.exists()


def test_ack_then_resolve(setup: Setup) -> None:
    """open → acknowledged → resolved, each with its event, its audit row naming the manager, and its time."""
    alert = raise_wait(setup)
    manager = setup.actor("manager")
    acked = alert_ack(actor=manager, alert_id=alert.pk, at=T0 + dt.timedelta(minutes=1))
    assert acked.state == State.ACKNOWLEDGED and acked.acknowledged_by_id == manager.user_id
    done = alert_resolve(actor=manager, alert_id=alert.pk, note=" opened counter 3 ", at=T0 + dt.timedelta(minutes=4))
    assert done.state == State.RESOLVED and done.resolution_note == "opened counter 3"
    assert done.resolved_by_id == manager.user_id and not done.resolved_by_system
    assert kinds(setup) == ["alert.raised", "alert.acknowledged", "alert.resolved"]
    actions = list(AuditLog.objects.filter(object_type="alert").order_by("id").values_list("action", "actor_id"))
    assert actions == [
        ("alert.raised", None),
        ("alert.acknowledged", manager.user_id),
        ("alert.resolved", manager.user_id),
    ]


def test_open_alert_may_be_resolved_directly(setup: Setup) -> None:
    """open → resolved is allowed."""
    alert = raise_wait(setup)
    assert alert_resolve(actor=setup.actor("manager"), alert_id=alert.pk, at=T0).state == State.RESOLVED


@pytest.mark.parametrize(
    ("steps", "illegal"),
    [(["ack"], "ack"), (["resolve"], "ack"), (["resolve"], "resolve"), (["ack", "resolve"], "resolve")],
)
def test_wrong_transitions_are_conflicts(setup: Setup, steps: list[str], illegal: str) -> None:
    """Acknowledging twice, or touching a resolved alert, is a 409 naming the state; nothing is written."""
    alert = raise_wait(setup)
    manager = setup.actor("manager")
    do = {
        "ack": lambda: alert_ack(actor=manager, alert_id=alert.pk, at=T0),
        "resolve": lambda: alert_resolve(actor=manager, alert_id=alert.pk, at=T0),
    }
    for step in steps:
        do[step]()
    before = HallEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        do[illegal]()
    assert exc.value.field == "state" and exc.value.code == "illegal_transition"
    assert HallEvent.objects.count() == before


def test_clear_resolves_as_the_system(setup: Setup) -> None:
    """alert_clear resolves the key's alert with no actor; clearing again does nothing."""
    alert = raise_wait(setup)
    cleared = alert_clear(hall=setup.hall, key=alert.key, at=T0 + dt.timedelta(minutes=2))
    assert cleared is not None and cleared.pk == alert.pk
    assert cleared.state == State.RESOLVED and cleared.resolved_by_system and cleared.resolved_by_id is None
    assert HallEvent.objects.get(kind="alert.resolved").data["by_system"] is True
    assert alert_clear(hall=setup.hall, key=alert.key, at=T0 + dt.timedelta(minutes=3)) is None
    assert kinds(setup) == ["alert.raised", "alert.resolved"]


def test_another_halls_alert_is_not_found(setup: Setup) -> None:
    """An agent of hall 2 cannot see hall 1's alert; naming the wrong hall is also 404."""
    alert = raise_wait(setup)
    with pytest.raises(NotFound):
        alert_ack(actor=setup.actor("agent_b"), alert_id=alert.pk, at=T0)
    with pytest.raises(NotFound):
        alert_ack(actor=setup.actor("manager"), alert_id=alert.pk, hall=setup.other_hall, at=T0)
    with pytest.raises(NotFound):
        alert_ack(actor=setup.actor("manager"), alert_id=alert.pk + 1000, at=T0)


def test_agent_acknowledges_only_alerts_of_the_counter_they_hold(setup: Setup) -> None:
    """agent1 at counter 1 acknowledges counter 1's alert but not counter 2's nor a hall-wide one, and resolves none."""
    agent = setup.actor("agent1")
    hall_services.counter_open(actor=agent, counter_id=setup.counters[0].pk, at=T0)
    own = alert_raise(
        hall=setup.hall, kind="idle_counter", key="idle:1", severity="info", data={}, counter=setup.counters[0], at=T0
    )
    other = alert_raise(
        hall=setup.hall, kind="idle_counter", key="idle:2", severity="info", data={}, counter=setup.counters[1], at=T0
    )
    hall_wide = raise_wait(setup)
    assert alert_ack(actor=agent, alert_id=own.pk, at=T0).state == State.ACKNOWLEDGED
    for alert in (other, hall_wide):
        with pytest.raises(Forbidden):
            alert_ack(actor=agent, alert_id=alert.pk, at=T0)
    with pytest.raises(Forbidden):
        alert_resolve(actor=agent, alert_id=own.pk, at=T0)
    with pytest.raises(Forbidden):
        alert_ack(actor=setup.actor("auditor"), alert_id=hall_wide.pk, at=T0)


def test_resolve_note_is_checked(setup: Setup) -> None:
    """A note over 500 characters is refused naming the note."""
    alert = raise_wait(setup)
    with pytest.raises(Invalid) as exc:
        alert_resolve(actor=setup.actor("manager"), alert_id=alert.pk, note="x" * 501, at=T0)
    assert exc.value.field == "note"
    assert Alert.objects.get().state == State.OPEN
