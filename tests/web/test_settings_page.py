"""Hall settings: the page (access, inline errors, nothing half-written) and the service behind it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from hallops.audit.models import AuditLog
from hallops.errors import Forbidden, NotFound
from hallops.hall.models import HallEvent
from hallops.organisation.models import Hall
from hallops.organisation.services import SettingsInvalid, hall_settings_update
from tests.factories import Setup
from tests.web.hall_screens_helpers import device_client, device_cookie, staff_client

pytestmark = pytest.mark.django_db

URL = "/hall/h1/settings/"


def form(hall: Hall, **changes: Any) -> dict[str, Any]:
    """The settings form as the page would post it: the hall's current values with ``changes``."""
    values = {
        name: getattr(hall, name)
        for name in (
            "call_phrase_zh",
            "call_phrase_en",
            "announcements",
            "upsell_block_waiting",
            "wait_target_minutes",
            "no_show_policy",
            "no_show_keep_minutes",
            "no_show_push_back_places",
        )
    }
    values.update(changes)
    return values


def test_anonymous_is_sent_to_the_login_page(setup: Setup) -> None:
    """Nobody logged in: the settings page redirects to the login page."""
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fhall%2Fh1%2Fsettings%2F"


@pytest.mark.parametrize("username", ["agent1", "greeter", "auditor"])
def test_roles_without_hall_settings_get_403_and_change_nothing(setup: Setup, username: str) -> None:
    """Only managers and administrators change hall settings; others get 403 and nothing changes."""
    client = staff_client(setup, username)
    assert client.get(URL).status_code == 403
    assert client.post(URL, form(setup.hall, wait_target_minutes=20)).status_code == 403
    setup.hall.refresh_from_db()
    assert setup.hall.wait_target_minutes == 10


def test_staff_of_another_hall_get_404(setup: Setup) -> None:
    """Another hall's staff get 404."""
    assert staff_client(setup, "agent_b").get(URL).status_code == 404


def test_a_display_device_cookie_is_refused(setup: Setup) -> None:
    """A paired display cannot open the settings: it is sent to the login page."""
    response = device_client(device_cookie(setup)).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_page_shows_the_current_values_and_the_spoken_preview(setup: Setup) -> None:
    """Chinese by default: the current phrase, its spoken form for A001 at counter 3, and the other values."""
    html = staff_client(setup, "manager").get(URL).content.decode()
    assert 'value="请{number}号到{counter}号窗口"' in html
    assert ">请A零零一号到3号窗口</span>" in html
    assert re.search(r'id="id_wait_target_minutes" name="wait_target_minutes" type="number"[^>]* value="10"', html)
    assert re.search(r'name="no_show_policy" value="keep" checked', html)
    assert "叫号播报" in html


def test_english_with_the_language_cookie(setup: Setup) -> None:
    """The language cookie switches the page to English."""
    html = staff_client(setup, "manager", lang="en").get(URL).content.decode()
    assert "Call announcements" in html and "叫号播报" not in html


def test_saving_changes_the_hall_with_an_audit_row_and_a_hall_event(setup: Setup) -> None:
    """A valid post saves every field, writes one audit row and appends a hall.settings_changed event
    naming the changed fields (the displays reload their phrase on it), then says so."""
    client = staff_client(setup, "manager")
    response = client.post(
        URL,
        form(
            setup.hall,
            call_phrase_zh="请{number}号到{counter}号柜台办理",
            announcements="欢迎光临\r\n\r\n  请保管好随身物品 ",
            wait_target_minutes="15",
            no_show_policy="push_back",
        ),
    )
    assert response.status_code == 302
    hall = Hall.objects.get(pk=setup.hall.pk)
    assert hall.call_phrase_zh == "请{number}号到{counter}号柜台办理"
    assert hall.announcements == "欢迎光临\n请保管好随身物品"
    assert (hall.wait_target_minutes, hall.no_show_policy) == (15, "push_back")
    event = HallEvent.objects.get(hall=hall, kind="hall.settings_changed")
    assert event.data == {"fields": ["announcements", "call_phrase_zh", "no_show_policy", "wait_target_minutes"]}
    assert hall.event_seq == event.seq
    audit = AuditLog.objects.get(action="hall.settings_changed")
    assert audit.detail["wait_target_minutes"] == {"from": 10, "to": 15}
    assert "已保存" in client.get(URL).content.decode()


def test_bad_values_are_shown_inline_and_nothing_is_written(setup: Setup) -> None:
    """A phrase without {counter}, one with a stray brace and an out-of-range number are each refused next to
    their field (aria-invalid); the good fields in the same post are not saved either; no event, no audit."""
    client = staff_client(setup, "manager")
    response = client.post(
        URL,
        form(
            setup.hall,
            call_phrase_zh="请{number}号办理",
            call_phrase_en="Number {number} to counter {counter} {name}",
            wait_target_minutes="0",
            announcements="new ticker line",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert "部分设置需要修改，所有设置均未保存。" in html
    assert re.search(r'id="id_call_phrase_zh"[^>]*value="请{number}号办理" aria-invalid="true"', html)
    assert "播报内容必须包含 {counter}（窗口号）。" in html
    assert re.search(r'id="id_call_phrase_en"[^>]*aria-invalid="true"', html)
    assert "花括号中只能写 {number} 和 {counter}。" in html
    assert re.search(r'id="id_wait_target_minutes"[^>]*aria-invalid="true"', html)
    assert "请输入 1 到 120 之间的数字。" in html
    hall = Hall.objects.get(pk=setup.hall.pk)
    assert hall.call_phrase_zh == "请{number}号到{counter}号窗口"
    assert hall.announcements == ""
    assert hall.wait_target_minutes == 10
    assert not HallEvent.objects.filter(kind="hall.settings_changed").exists()
    assert not AuditLog.objects.filter(action="hall.settings_changed").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("upsell_block_waiting", "abc"),
        ("no_show_keep_minutes", "-1"),
        ("no_show_push_back_places", "51"),
        ("no_show_policy", "forget"),
        ("call_phrase_en", ""),
        ("announcements", "x" * 201),
    ],
)
def test_each_field_is_validated(setup: Setup, field: str, value: str) -> None:
    """Each setting rejects values it cannot use, on its own field."""
    html = staff_client(setup, "manager").post(URL, form(setup.hall, **{field: value})).content.decode()
    assert f'id="{field}-error"' in html


def test_an_unchanged_form_writes_nothing(setup: Setup) -> None:
    """Saving without changes writes no event and no audit row, and says nothing changed."""
    client = staff_client(setup, "manager")
    assert client.post(URL, form(setup.hall)).status_code == 302
    assert not HallEvent.objects.exists()
    assert not AuditLog.objects.exists()
    assert "没有修改。" in client.get(URL).content.decode()


def test_the_service_refuses_unknown_settings_and_other_roles(setup: Setup) -> None:
    """The service changes only its listed settings, and only for the hall's managers (403) in their halls (404)."""
    with pytest.raises(SettingsInvalid) as info:
        hall_settings_update(actor=setup.actor("manager"), hall=setup.hall, event_seq=0, wait_target_minutes=12)
    assert set(info.value.errors) == {"event_seq"}
    with pytest.raises(Forbidden):
        hall_settings_update(actor=setup.actor("agent1"), hall=setup.hall, wait_target_minutes=12)
    with pytest.raises(NotFound):
        hall_settings_update(actor=setup.actor("manager"), hall=setup.other_hall, wait_target_minutes=12)
    setup.hall.refresh_from_db()
    assert setup.hall.wait_target_minutes == 10


def test_the_service_keeps_the_event_counter(setup: Setup) -> None:
    """Saving settings writes only their columns: events appended meanwhile keep their numbers."""
    manager = setup.actor("manager")
    hall = Hall.objects.get(pk=setup.hall.pk)  # a copy read before other events are appended
    hall_settings_update(actor=manager, hall=setup.hall, wait_target_minutes=12)
    hall_settings_update(actor=manager, hall=hall, wait_target_minutes=14)
    assert Hall.objects.get(pk=hall.pk).event_seq == 2
    assert list(HallEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
