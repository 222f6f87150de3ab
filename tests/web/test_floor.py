"""The manager's floor view: access, counters with their timers, the queue against the target, alerts, counts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from hallops.hall import services
from hallops.hall.screens import floor_view
from hallops.organisation.models import Counter, Hall
from tests.factories import Setup
from tests.web.hall_screens_helpers import (
    device_client,
    device_cookie,
    issue,
    midday_halls,
    open_and_call,
    staff_client,
)

pytestmark = pytest.mark.django_db

URL = "/hall/h1/floor/"


def test_anonymous_is_sent_to_the_login_page(setup: Setup) -> None:
    """Nobody logged in: the floor view redirects to the login page."""
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fhall%2Fh1%2Ffloor%2F"


@pytest.mark.parametrize("username", ["agent1", "greeter", "clerk", "kiosk", "display"])
def test_roles_without_floor_rights_get_403(setup: Setup, username: str) -> None:
    """Agents, greeters, clerks and device logins of the hall may not watch the floor (403), nor its panel."""
    client = staff_client(setup, username)
    assert client.get(URL).status_code == 403
    assert client.get(URL + "panel/").status_code == 403


def test_staff_of_another_hall_get_404(setup: Setup) -> None:
    """Another hall's staff get 404, not 403: the hall's existence is not revealed."""
    assert staff_client(setup, "agent_b").get(URL).status_code == 404


def test_a_display_device_cookie_is_refused(setup: Setup) -> None:
    """A paired display's cookie opens the display only: the floor view sends it to the login page."""
    client = device_client(device_cookie(setup))
    for url in (URL, URL + "panel/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_the_manager_sees_counters_queue_and_counts_in_chinese(setup: Setup) -> None:
    """The manager's floor: the open counter with its agent, ticket, phase and a service timer against the
    limit; the waiting queue; today's counts. Chinese by default; live panel wired to hall events."""
    midday_halls(setup)
    issue(setup, "sim_replacement")
    issue(setup, "sim_replacement")
    issue(setup, "payment")  # forced to self-service: diverted
    call = open_and_call(setup, 0)
    assert call is not None
    response = staff_client(setup, "manager").get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>现场管理</h1>" in html
    assert 'hx-get="/hall/h1/floor/panel/" hx-trigger="hallrefresh from:body, every 15s"' in html
    row = re.search(r'<tr id="counter-1" data-status="open">(.*?)</tr>', html, re.S)
    assert row is not None
    assert "agent1" in row.group(1)
    assert f'<b class="number current-ticket">{call.ticket.number}</b>' in row.group(1)
    assert "已呼叫，待到达" in row.group(1)
    assert 'data-timer-limit="180"' in row.group(1)
    assert 'class="timer number timer-green"' in row.group(1)
    assert re.search(r'<tr id="counter-2" data-status="closed">', html)
    assert re.search(r'id="count-issued">2<', html)
    assert re.search(r'id="count-waiting">1<', html)
    assert re.search(r'id="count-diverted">1<', html)
    assert "只读" not in html
    assert "当前：没有超时办理" in html


def test_english_with_the_language_cookie(setup: Setup) -> None:
    """The language cookie switches the floor view to English."""
    html = staff_client(setup, "manager", lang="en").get(URL).content.decode()
    assert "<h1>Floor view</h1>" in html
    assert "Right now: no transaction is past its limit" in html
    assert "现场管理" not in html


def test_auditors_watch_read_only(setup: Setup) -> None:
    """An auditor may watch the floor; it is marked read-only."""
    response = staff_client(setup, "auditor").get(URL)
    assert response.status_code == 200
    assert "只读" in response.content.decode()


def test_a_transaction_past_its_limit_raises_an_overrun_alert_in_red(setup: Setup) -> None:
    """A 3-minute SIM replacement called 4 minutes ago is an overrun: a red alert, and its timer starts red."""
    now = midday_halls(setup)
    issue(setup, "sim_replacement", at=now - dt.timedelta(minutes=5))
    call = open_and_call(setup, 0, at=now - dt.timedelta(minutes=4))
    assert call is not None
    html = staff_client(setup, "manager").get(URL + "panel/").content.decode()
    alert = re.search(r'<div class="alert red" data-alert="overrun">(.*?)</div>', html, re.S)
    assert alert is not None
    assert f"1号窗口：{call.ticket.number}（sim_replacement）已超过 3:00 的办理时限" in alert.group(1)
    row = re.search(r'<tr id="counter-1".*?</tr>', html, re.S)
    assert row is not None and "timer-red" in row.group(0)


def test_a_ticket_waiting_beyond_the_target_raises_a_long_wait_alert(setup: Setup) -> None:
    """With a 10-minute target, a ticket waiting 11 minutes is listed as a long wait and its queue row is
    flagged; a ticket waiting 2 minutes is not."""
    now = midday_halls(setup)
    old = issue(setup, "value_added", at=now - dt.timedelta(minutes=11))
    issue(setup, "value_added", at=now - dt.timedelta(minutes=2))
    html = staff_client(setup, "manager").get(URL + "panel/").content.decode()
    alert = re.search(r'<div class="alert amber" data-alert="long-wait">(.*?)</div>', html, re.S)
    assert alert is not None
    assert "1 位客户等候超过 10 分钟" in alert.group(1)
    assert re.findall(r'<b class="number">(\w+)</b>', alert.group(1)) == [old.number]
    assert '<tr data-service="value_added" class="over-target">' in html
    assert '<tr data-service="sim_replacement">' in html  # nobody waits there: not flagged


def test_the_wait_target_is_the_halls_setting(setup: Setup) -> None:
    """The long-wait threshold follows Hall.wait_target_minutes (here 1 minute instead of 10)."""
    now = midday_halls(setup)
    Hall.objects.filter(pk=setup.hall.pk).update(wait_target_minutes=1)
    issue(setup, "value_added", at=now - dt.timedelta(minutes=2))
    html = staff_client(setup, "manager").get(URL + "panel/").content.decode()
    assert "1 位客户等候超过 1 分钟" in html


def test_a_paused_counter_shows_its_reason(setup: Setup) -> None:
    """A paused counter is shown paused, with the reason the agent gave."""
    counter = setup.counters[1]
    agent = setup.actor("agent2")
    services.counter_open(actor=agent, counter_id=counter.pk)
    services.counter_pause(actor=agent, counter_id=counter.pk, reason="午餐")
    html = staff_client(setup, "manager").get(URL).content.decode()
    row = re.search(r'<tr id="counter-2" data-status="paused">(.*?)</tr>', html, re.S)
    assert row is not None
    assert '<span class="pause-reason">午餐</span>' in row.group(1)


def test_day_counts(setup: Setup) -> None:
    """Issued, served, waiting, no-shows, diverted and the share called within the target, for today."""
    now = midday_halls(setup)
    agent = setup.actor("agent1")
    cid = setup.counters[0].pk
    issue(setup, "sim_replacement", at=now - dt.timedelta(minutes=30))
    issue(setup, "sim_replacement", at=now - dt.timedelta(minutes=3))
    issue(setup, "sim_replacement", at=now - dt.timedelta(minutes=2))
    issue(setup, "payment")
    services.counter_open(actor=agent, counter_id=cid)
    services.counter_call_next(actor=agent, counter_id=cid)  # waited 30 min: beyond the target
    services.counter_complete(actor=agent, counter_id=cid)
    services.counter_call_next(actor=agent, counter_id=cid)  # waited 3 min
    services.counter_no_show(actor=agent, counter_id=cid)
    counts = floor_view(hall=setup.hall, at=now).counts
    assert (counts.issued, counts.served, counts.no_shows, counts.diverted) == (3, 1, 1, 1)
    assert counts.waiting == 1  # the missed number is kept aside (policy "keep"), not waiting
    assert (counts.called, counts.called_within_target, counts.within_target_percent) == (2, 1, 50)


def test_the_panel_reads_a_bounded_number_of_queries(setup: Setup, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    """The panel's reads do not grow with counters, calls or tickets."""
    midday_halls(setup)
    for n in range(6, 16):
        Counter.objects.create(hall=setup.hall, number=n).services.set([setup.services["sim"]])
    for _ in range(8):
        issue(setup, "sim_replacement")
    for index in range(4):
        open_and_call(setup, index, f"agent{index + 1}")
    client = staff_client(setup, "manager")
    client.get(URL + "panel/")
    with django_assert_max_num_queries(17):  # session, user, roles, hall, then the reads
        assert client.get(URL + "panel/").status_code == 200


def test_an_estimate_beyond_the_target_suggests_opening_counters(setup: Setup) -> None:
    """When people wait and a new ticket's estimate is beyond the target (one open counter, two 3-minute
    tickets, a 5-minute target), the floor says so before anyone has actually waited too long."""
    midday_halls(setup)
    Hall.objects.filter(pk=setup.hall.pk).update(wait_target_minutes=5)
    services.counter_open(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk)
    issue(setup, "value_added")
    issue(setup, "value_added")
    issue(setup, "value_added")
    html = staff_client(setup, "manager").get(URL + "panel/").content.decode()
    alert = re.search(r'<div class="alert amber" data-alert="slow-queue">(.*?)</div>', html, re.S)
    assert alert is not None
    assert "预计等候超过 5 分钟目标" in alert.group(1)
    assert "value_added 约 9 分钟" in alert.group(1)
    assert 'data-alert="long-wait"' not in html
