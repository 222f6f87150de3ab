"""The hall display page: who may open it, what it shows, and the data its voice announcements use."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from django.test import Client
from django.utils import timezone

from hallops.accounts.devices import device_for_cookie, device_revoke
from hallops.hall import services
from hallops.hall.selectors import queue_summary
from hallops.organisation.models import Hall
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

URL = "/hall/h1/display/"


def test_anonymous_is_sent_to_the_login_page(setup: Setup) -> None:
    """Without a device cookie or a staff session the display redirects to the login page (and back after)."""
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fhall%2Fh1%2Fdisplay%2F"


def test_a_paired_display_opens_its_halls_display_without_the_top_bar(setup: Setup) -> None:
    """The hall's display device opens the page full-screen (no top bar), with the sound overlay and the phrase."""
    response = device_client(device_cookie(setup)).get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'class="topbar' not in html
    assert 'id="sound-overlay"' in html
    assert 'data-phrase-zh="请{number}号到{counter}号窗口"' in html
    assert "点击开启声音" in html
    assert "预览" not in html  # a device is not a preview


def test_a_display_of_one_hall_gets_404_on_another_halls_display(setup: Setup) -> None:
    """A device cookie is scoped to its hall: another hall's display answers 404."""
    response = device_client(device_cookie(setup)).get("/hall/h2/display/")
    assert response.status_code == 404


def test_a_kiosk_cookie_does_not_open_the_display(setup: Setup) -> None:
    """Only display devices are accepted on the display: a kiosk's cookie is sent to the login page."""
    response = device_client(device_cookie(setup, "kiosk")).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_revoked_display_loses_access(setup: Setup) -> None:
    """Once revoked, the device's cookie no longer opens the display or its board."""
    cookie = device_cookie(setup)
    client = device_client(cookie)
    assert client.get(URL).status_code == 200
    device = device_for_cookie(cookie)
    assert device is not None
    device_revoke(actor=setup.actor("manager"), device=device)
    for url in (URL, URL + "board/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_staff_of_the_hall_may_preview_it(setup: Setup) -> None:
    """Staff of the hall (here an agent) see the same screen marked as a preview."""
    response = staff_client(setup, "agent1").get(URL)
    assert response.status_code == 200
    assert "预览" in response.content.decode()


def test_staff_of_another_hall_get_404(setup: Setup) -> None:
    """Staff of another hall do not learn that the hall exists."""
    assert staff_client(setup, "agent_b").get(URL).status_code == 404


def test_the_display_shows_current_and_recent_calls_queue_and_progress(setup: Setup) -> None:
    """After a call at counter 1 the display shows A001 → 1号窗口 (newest highlighted), the written phrase, the
    waiting count per business type with the one wait estimate, and the progress line."""
    midday_halls(setup)
    issue(setup, "new_subscriber")
    issue(setup, "sim_replacement")
    issue(setup, "sim_replacement")
    call = open_and_call(setup, 0)
    assert call is not None and call.ticket.number == "A001"
    html = device_client(device_cookie(setup)).get(URL).content.decode()
    assert re.search(r'class="d-call newest phase-called" data-number="A001" data-counter="1"', html)
    assert 'id="hero-number" class="d-hero-number number">A001<' in html
    assert "请A001号到1号窗口" in html  # the written phrase under the big call
    assert "Number A001, please go to counter 1" in html
    line = next(q for q in queue_summary(hall=setup.hall, at=timezone.now()) if q.service.code == "sim_replacement")
    assert line.waiting == 2 and line.estimated_wait_seconds is not None
    minutes = math.ceil(line.estimated_wait_seconds / 60)  # the one estimate, in whole minutes
    assert re.search(
        r'data-service="sim_replacement">\s*<div class="d-q-name">sim_replacement</div>\s*'
        rf'<div class="d-q-waiting"><b>2</b> 人等候</div>\s*<div class="d-q-wait">约 {minutes} 分钟</div>',
        html,
    )
    assert f"2 人等候，约 {minutes} 分钟" in html  # the progress line: everyone waiting, the longest estimate
    assert 'data-service="payment"' not in html  # forced to self-service and nobody waiting: not shown


def test_recent_calls_list_a_recalled_number_once_on_top(setup: Setup) -> None:
    """Recent calls are newest first, one line per number; a recall brings the number back to the top."""
    midday_halls(setup)
    for _ in range(2):
        issue(setup, "sim_replacement")
    first = open_and_call(setup, 0, "agent1")
    second = open_and_call(setup, 1, "agent2")
    assert first is not None and second is not None
    services.counter_recall(actor=setup.actor("agent1"), counter_id=setup.counters[0].pk)
    html = staff_client(setup, "manager").get(URL + "board/").content.decode()
    recent = re.findall(r'<tr(?: class="newest")?>\s*<td class="number">(\w+)</td>', html)
    assert recent == [first.ticket.number, second.ticket.number]


def test_the_board_fragment_carries_phrase_announcements_and_progress_out_of_band(setup: Setup) -> None:
    """The htmx board brings the current phrase and ticker lines (swapped out of band), so a settings change
    reaches a display without a reload."""
    Hall.objects.filter(pk=setup.hall.pk).update(
        call_phrase_zh="{number}号请到{counter}号柜台", announcements="欢迎光临\n\n  请保管好随身物品  "
    )
    html = device_client(device_cookie(setup)).get(URL + "board/").content.decode()
    assert 'id="display-config" hidden hx-swap-oob="true" data-phrase-zh="{number}号请到{counter}号柜台"' in html
    assert "<li>欢迎光临</li><li>请保管好随身物品</li></ul>" in html
    assert 'id="progress-line" class="d-progress" aria-live="polite" hx-swap-oob="true">现在无人等候<' in html


def test_progress_without_an_open_counter_gives_no_time(setup: Setup) -> None:
    """With people waiting but no counter open there is no honest estimate: only the count is announced."""
    midday_halls(setup)
    issue(setup, "sim_replacement")
    html = device_client(device_cookie(setup)).get(URL + "board/").content.decode()
    assert ">1 人等候</div>" in html
    assert "暂无窗口" in html


def test_english_with_the_language_cookie(setup: Setup) -> None:
    """With the language cookie set to English the display speaks English on screen (the voice stays Chinese)."""
    midday_halls(setup)
    issue(setup, "sim_replacement")
    open_and_call(setup, 2, "agent3")
    html = device_client(device_cookie(setup), lang="en").get(URL).content.decode()
    assert "Now serving" in html
    assert "Counter 3" in html
    assert "Click to enable sound" in html
    assert "正在办理" not in html


def test_the_board_reads_a_bounded_number_of_queries(setup: Setup, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    """The board's reads do not grow with the number of tickets, calls or counters."""
    midday_halls(setup)
    for _ in range(6):
        issue(setup, "sim_replacement")
    for index in range(4):
        open_and_call(setup, index, f"agent{index + 1}")
    client = device_client(device_cookie(setup))
    client.get(URL + "board/")  # the session and device lookups warm up
    with django_assert_max_num_queries(10):  # device, roles, the rules' effects (one row), then the reads
        assert client.get(URL + "board/").status_code == 200


def test_recent_calls_are_todays_only(setup: Setup) -> None:
    """A call from yesterday (hall-local) is not among the display's recent calls."""
    now = midday_halls(setup)
    yesterday = now - dt.timedelta(days=1)
    issue(setup, "sim_replacement", at=yesterday)
    open_and_call(setup, 0, at=yesterday)
    html = device_client(device_cookie(setup)).get(URL + "board/").content.decode()
    assert "今天还没有呼叫" in html
