"""The alert board on the floor view, the counter's alert banner, acknowledge/resolve from the page, the alert log."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hallops.alerts.models import Alert, State
from hallops.alerts.services import alert_ack, alert_raise, alert_resolve
from hallops.hall import services as hall_services
from hallops.hall.models import HallEvent
from tests.factories import Setup
from tests.web.hall_screens_helpers import staff_client

pytestmark = pytest.mark.django_db

BOARD = "/hall/h1/alerts/board/"


def raise_alert(setup: Setup, key: str, **kw: Any) -> Alert:
    kw.setdefault("kind", "wait_over_target")
    kw.setdefault("severity", "warning")
    kw.setdefault("data", {"service": "sim_replacement", "waiting": 4, "target_minutes": 10, "oldest_number": "B001"})
    return alert_raise(hall=kw.pop("hall", setup.hall), key=key, **kw)


def rows(html: str) -> list[str]:
    return re.findall(r'<li class="alert-item[^"]*" id="alert-(\d+)"', html)


def item(html: str, alert: Alert) -> str:
    found = re.search(rf'<li class="alert-item[^"]*" id="alert-{alert.pk}".*?</li>', html, re.S)
    assert found is not None, html
    return found.group(0)


def test_floor_page_loads_the_board_live(setup: Setup) -> None:
    """The floor view holds the board, which loads with the page and reloads on alert.* events and after a gap."""
    html = staff_client(setup, "manager").get("/hall/h1/floor/").content.decode()
    assert 'id="floor-alerts"' in html and 'hx-get="/hall/h1/alerts/board/"' in html
    assert "hallevent[detail.kind.startsWith('alert.')] from:body" in html and "hallresync from:body" in html


def test_board_lists_unresolved_alerts_newest_first_with_severity(setup: Setup) -> None:
    """Open and acknowledged alerts, newest first, severity as colour class; resolved ones are not on the board."""
    now = timezone.now()
    old = raise_alert(setup, "a", severity="critical", at=now - dt.timedelta(minutes=9))
    new = raise_alert(
        setup, "b", kind="over_limit", counter=setup.counters[2], at=now - dt.timedelta(minutes=1),
        data={"counter": 3, "number": "A007", "service": "new_subscriber", "limit_seconds": 480,
              "service_since": (now - dt.timedelta(minutes=10)).isoformat()},
    )  # fmt: skip
    gone = raise_alert(setup, "c", at=now)
    alert_resolve(actor=setup.actor("manager"), alert_id=gone.pk)
    html = staff_client(setup, "manager", lang="en").get(BOARD).content.decode()
    assert rows(html) == [str(new.pk), str(old.pk)]
    over = item(html, new)
    assert 'class="alert-item amber"' in over and "Counter 3: A007 (new_subscriber) is past its 8:00 limit" in over
    assert 'data-timer-limit="480"' in over
    assert 'class="alert-item red"' in item(html, old)
    assert "sim_replacement: B001 has waited more than 10 min; 4 waiting in all" in item(html, old)
    assert "Acknowledge" in over and "Resolve" in over
    assert 'id="alerts-count">2<' in html


def test_board_is_chinese_by_default(setup: Setup) -> None:
    """Without a language cookie the board speaks Chinese. (Needs the lead's `make messages` + po_fill of
    the alerts' zh strings; until then this fails, showing English.)"""
    raise_alert(setup, "a")
    response = staff_client(setup, "manager").get(BOARD)
    html = response.content.decode()
    assert response["Content-Language"] == "zh-hans"
    assert "<h2>告警" in html and "确认" in html and "解决" in html
    assert "Acknowledge" not in html


def test_auditor_reads_without_buttons_and_agents_are_refused(setup: Setup) -> None:
    """The auditor sees the board but no buttons; an agent may not open the floor's board (403)."""
    raise_alert(setup, "a")
    html = staff_client(setup, "auditor", lang="en").get(BOARD).content.decode()
    assert len(rows(html)) == 1 and "<form" not in html
    assert staff_client(setup, "agent1").get(BOARD).status_code == 403
    assert staff_client(setup, "agent_b").get(BOARD).status_code == 404


def test_ack_then_resolve_from_the_board(setup: Setup) -> None:
    """Acknowledge re-renders the board with the alert acknowledged; resolve with a note takes it off the board."""
    alert = raise_alert(setup, "a")
    client = staff_client(setup, "manager", lang="en")
    response = client.post(f"/hall/h1/alerts/{alert.pk}/ack/", {"view": "floor"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-state="acknowledged"' in item(html, alert) and "Acknowledged by manager" in html
    assert "ack-button" not in item(html, alert)
    response = client.post(f"/hall/h1/alerts/{alert.pk}/resolve/", {"view": "floor", "note": "opened counter 4"})
    assert response.status_code == 200 and rows(response.content.decode()) == []
    alert.refresh_from_db()
    assert alert.state == State.RESOLVED and alert.resolution_note == "opened counter 4"


def test_a_refused_action_shows_why_and_writes_nothing(setup: Setup) -> None:
    """Acknowledging a resolved alert: 409 with the reason inline; another hall's alert: 404; no event written."""
    alert = raise_alert(setup, "a")
    theirs = raise_alert(setup, "b", hall=setup.other_hall)
    alert_resolve(actor=setup.actor("manager"), alert_id=alert.pk)
    before = HallEvent.objects.count()
    client = staff_client(setup, "manager", lang="en")
    response = client.post(f"/hall/h1/alerts/{alert.pk}/ack/", {"view": "floor"})
    assert response.status_code == 409
    assert 'id="alerts-error"' in response.content.decode() and "already been handled" in response.content.decode()
    response = client.post(f"/hall/h1/alerts/{theirs.pk}/ack/", {"view": "floor"})
    assert response.status_code == 404 and "not found" in response.content.decode()
    assert client.post(f"/hall/h1/alerts/{alert.pk}/explode/", {"view": "floor"}).status_code == 404
    assert HallEvent.objects.count() == before


def test_counter_banner_shows_only_that_counters_alerts(setup: Setup) -> None:
    """The counter page includes the banner; agent1 at counter 1 sees counter 1's alert and may acknowledge it
    (not resolve); counter 2's and hall-wide alerts are not shown."""
    hall_services.counter_open(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk)
    own = raise_alert(
        setup, "idle:1", kind="idle_counter", counter=setup.counters[0], data={"counter": 1, "waiting": 3}
    )
    raise_alert(setup, "idle:2", kind="idle_counter", counter=setup.counters[1], data={"counter": 2, "waiting": 3})
    raise_alert(setup, "hall-wide")
    client = staff_client(setup, "agent1", lang="en")
    page = client.get("/hall/h1/counter/1/").content.decode()
    assert 'id="counter-alerts"' in page and 'hx-get="/hall/h1/alerts/counter/1/"' in page
    html = client.get("/hall/h1/alerts/counter/1/").content.decode()
    assert rows(html) == [str(own.pk)]
    assert "Counter 1 is open but idle while 3 customers wait" in html
    assert "ack-button" in html and "resolve-button" not in html
    response = client.post(f"/hall/h1/alerts/{own.pk}/ack/", {"view": "counter", "counter": "1"})
    assert response.status_code == 200 and 'data-state="acknowledged"' in response.content.decode()
    assert client.get("/hall/h1/alerts/counter/2/").status_code == 200  # agents may look at any counter page
    assert "ack-button" not in client.get("/hall/h1/alerts/counter/2/").content.decode()


def test_the_log_filters_by_state_and_is_read_only(setup: Setup) -> None:
    """The alert log shows every state by default, one state when asked, and no buttons."""
    a = raise_alert(setup, "a")
    b = raise_alert(setup, "b")
    alert_resolve(actor=setup.actor("manager"), alert_id=b.pk, note="done")
    client = staff_client(setup, "manager", lang="en")
    html = client.get("/hall/h1/alerts/").content.decode()
    assert set(rows(html)) == {str(a.pk), str(b.pk)} and '<form method="post" action="/hall/h1/alerts/' not in html
    html = client.get("/hall/h1/alerts/?state=resolved").content.decode()
    assert rows(html) == [str(b.pk)] and "Resolved by manager" in html and "done" in html
    assert staff_client(setup, "agent1").get("/hall/h1/alerts/").status_code == 403


def test_board_queries_do_not_grow_with_the_number_of_alerts(setup: Setup) -> None:
    """One alert or twelve (on counters, with tickets, acknowledged): the same number of queries."""
    client = staff_client(setup, "manager")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(BOARD).status_code == 200
        return len(ctx.captured_queries)

    raise_alert(setup, "k0", counter=setup.counters[0])
    one = queries()
    for i in range(1, 12):
        alert = raise_alert(setup, f"k{i}", counter=setup.counters[i % 5])
        if i % 2:
            alert_ack(actor=setup.actor("manager"), alert_id=alert.pk)
    assert queries() == one
