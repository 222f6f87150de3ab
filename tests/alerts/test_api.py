"""/api/v1/halls/{hall}/alerts: listing by state, acknowledge and resolve, and their errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from hallops.alerts.models import Alert, State
from hallops.alerts.services import alert_raise, alert_resolve
from hallops.hall import services as hall_services
from hallops.hall.models import HallEvent
from tests.api.helpers import assert_error
from tests.factories import Setup

pytestmark = pytest.mark.django_db


def raise_one(setup: Setup, key: str = "wait_over_target:svc:sim", **kw: Any) -> Alert:
    kw.setdefault("hall", setup.hall)
    kw.setdefault("kind", "wait_over_target")
    kw.setdefault("severity", "warning")
    return alert_raise(key=key, data={"service": "sim_replacement", "waiting": 4}, **kw)


def test_list_shows_unresolved_alerts_newest_first(setup: Setup, api: Any) -> None:
    """Default: open and acknowledged, newest first, with counter number, ticket number and data."""
    now = timezone.now()
    old = raise_one(setup, "a", at=now - dt.timedelta(minutes=5))
    new = raise_one(setup, "b", kind="idle_counter", counter=setup.counters[2], at=now)
    gone = raise_one(setup, "c", at=now)
    alert_resolve(actor=setup.actor("manager"), alert_id=gone.pk)
    response = api.get("/halls/h1/alerts", as_user="manager")
    assert response.status_code == 200
    body = response.json()
    assert [i["id"] for i in body["items"]] == [new.pk, old.pk] and body["count"] == 2
    first = body["items"][0]
    assert first["kind"] == "idle_counter" and first["counter"] == 3 and first["state"] == "open"
    assert first["data"] == {"service": "sim_replacement", "waiting": 4} and first["acknowledged_by"] is None
    resolved = api.get("/halls/h1/alerts?state=resolved", as_user="manager").json()["items"]
    assert [i["id"] for i in resolved] == [gone.pk]
    assert resolved[0]["resolved_by"] == "manager" and resolved[0]["resolved_by_system"] is False
    both = api.get("/halls/h1/alerts?state=open,resolved", as_user="auditor").json()
    assert both["count"] == 3


def test_list_rejects_an_unknown_state_naming_it(setup: Setup, api: Any) -> None:
    """state=closed: 422 naming state."""
    assert_error(api.get("/halls/h1/alerts?state=closed", as_user="manager"), 422, "state", "invalid_choice")


def test_ack_then_resolve_over_the_api(setup: Setup, api: Any) -> None:
    """ack → 200 acknowledged by the manager; ack again → 409 naming state; resolve with a note → 200."""
    alert = raise_one(setup)
    response = api.post(f"/halls/h1/alerts/{alert.pk}/ack", as_user="manager")
    assert response.status_code == 200
    assert response.json()["state"] == "acknowledged" and response.json()["acknowledged_by"] == "manager"
    assert_error(api.post(f"/halls/h1/alerts/{alert.pk}/ack", as_user="manager"), 409, "state", "illegal_transition")
    response = api.post(f"/halls/h1/alerts/{alert.pk}/resolve", as_user="manager", body={"note": "opened 2 counters"})
    assert response.status_code == 200
    assert response.json()["state"] == "resolved" and response.json()["note"] == "opened 2 counters"
    assert_error(api.post(f"/halls/h1/alerts/{alert.pk}/resolve", as_user="manager", raw=""), 409, "state")


def test_resolve_without_a_body(setup: Setup, api: Any) -> None:
    """The note is optional: no body at all resolves with an empty note."""
    alert = raise_one(setup)
    response = api.post(f"/halls/h1/alerts/{alert.pk}/resolve", as_user="manager", raw="")
    assert response.status_code == 200 and response.json()["note"] == ""


def test_bad_resolve_bodies_name_the_field_and_write_nothing(setup: Setup, api: Any) -> None:
    """A note over 500 characters, or an unknown field: 422 naming it; the alert stays open, no event added."""
    alert = raise_one(setup)
    before = HallEvent.objects.count()
    url = f"/halls/h1/alerts/{alert.pk}/resolve"
    assert_error(api.post(url, as_user="manager", body={"note": "x" * 501}), 422, "note")
    assert_error(api.post(url, as_user="manager", body={"state": "resolved"}), 422, "state", "unknown_field")
    assert_error(api.post(url, as_user="manager", raw="{not json"), 400, None)
    assert Alert.objects.get().state == State.OPEN and HallEvent.objects.count() == before


def test_another_halls_alert_is_404(setup: Setup, api: Any) -> None:
    """h2's alert named under h1 is 404 (field alert); h2 itself is 404 for h1's manager; a missing id too."""
    theirs = raise_one(setup, hall=setup.other_hall)
    assert_error(api.post(f"/halls/h1/alerts/{theirs.pk}/ack", as_user="manager"), 404, "alert")
    assert_error(api.post(f"/halls/h2/alerts/{theirs.pk}/ack", as_user="manager"), 404, "hall")
    assert_error(api.get("/halls/h2/alerts", as_user="manager"), 404, "hall")
    assert_error(api.post("/halls/h1/alerts/999999/resolve", as_user="manager", raw=""), 404, "alert")
    assert Alert.objects.get().state == State.OPEN


def test_agent_acks_own_counter_alert_but_not_others(setup: Setup, api: Any) -> None:
    """agent1 holding counter 1: acks counter 1's alert (200); counter 2's is 403 role_not_allowed."""
    hall_services.counter_open(actor=setup.actor("agent1", session="api"), counter_id=setup.counters[0].pk)
    own = raise_one(setup, "idle:1", kind="idle_counter", counter=setup.counters[0])
    other = raise_one(setup, "idle:2", kind="idle_counter", counter=setup.counters[1])
    assert api.post(f"/halls/h1/alerts/{own.pk}/ack", as_user="agent1").status_code == 200
    assert_error(api.post(f"/halls/h1/alerts/{other.pk}/ack", as_user="agent1"), 403, None, "role_not_allowed")


def test_no_token_is_401(setup: Setup, api: Any) -> None:
    """The alerts need a bearer token like every hall endpoint."""
    assert_error(api.get("/halls/h1/alerts"), 401, "Authorization")
