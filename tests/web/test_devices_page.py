"""The devices page: who may manage devices, adding one (code shown once), bad input inline, new code, revoke."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hallops.accounts.devices import device_create, device_for_cookie, device_pair
from hallops.accounts.models import Device
from hallops.audit.models import AuditLog
from tests.factories import Setup
from tests.web.hall_screens_helpers import device_client, device_cookie, staff_client

pytestmark = pytest.mark.django_db

URL = "/hall/h1/devices/"
CODE_RE = re.compile(r'<div class="pairing-code" id="pairing-code">(\d{8})</div>')


def add(client: Client, **fields: object) -> tuple[int, str]:
    """Post the add form; follow the redirect; return (first status, final HTML)."""
    response = client.post(URL, {"kind": "display", "name": "", "counter_number": "", **fields})
    if response.status_code == 302:
        return 302, client.get(response["Location"]).content.decode()
    return response.status_code, response.content.decode()


def test_anonymous_is_sent_to_the_login_page(setup: Setup) -> None:
    """Nobody logged in: the devices page redirects to the login page."""
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=%2Fhall%2Fh1%2Fdevices%2F"


@pytest.mark.parametrize("username", ["agent1", "greeter", "auditor", "kiosk"])
def test_roles_without_device_manage_get_403(setup: Setup, username: str) -> None:
    """Only managers and administrators manage devices; other roles of the hall get 403 and can add nothing."""
    client = staff_client(setup, username)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"kind": "display", "name": "TV"}).status_code == 403
    assert not Device.objects.exists()


def test_staff_of_another_hall_get_404(setup: Setup) -> None:
    """Another hall's staff get 404."""
    assert staff_client(setup, "agent_b").get(URL).status_code == 404


def test_a_display_device_cookie_is_refused(setup: Setup) -> None:
    """A paired display cannot open the devices page: it is sent to the login page."""
    response = device_client(device_cookie(setup)).get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_manager_sees_the_page_in_chinese_and_english(setup: Setup) -> None:
    """Chinese by default, English with the language cookie."""
    zh = staff_client(setup, "manager").get(URL).content.decode()
    assert "添加设备" in zh and "还没有设备" in zh
    en = staff_client(setup, "manager", lang="en").get(URL).content.decode()
    assert "Add a device" in en and "添加设备" not in en


def test_adding_a_display_shows_its_code_once_and_the_code_pairs_it(setup: Setup) -> None:
    """Adding a display redirects to the list, which shows an 8-digit code once (not on the next view); the
    code pairs the device, whose cookie then opens the hall display; the list shows it paired."""
    client = staff_client(setup, "manager")
    status, html = add(client, name="等候区电视")
    assert status == 302
    match = CODE_RE.search(html)
    assert match is not None
    assert "/pair/" in html
    device = Device.objects.get()
    assert (device.kind, device.name, device.hall_id) == ("display", "等候区电视", setup.hall.pk)
    assert "等待配对" in html
    again = client.get(URL).content.decode()
    assert CODE_RE.search(again) is None
    _, cookie = device_pair(code=match.group(1))
    assert device_client(cookie).get("/hall/h1/display/").status_code == 200
    assert "已配对" in client.get(URL).content.decode()


def test_a_rating_pad_needs_a_counter_inline_and_nothing_is_written(setup: Setup) -> None:
    """A rating pad without a counter is refused next to the counter field (aria-invalid), with the entered
    name kept, and no device is created."""
    status, html = add(staff_client(setup, "manager"), kind="rating_pad", name="3号窗评价器")
    assert status == 422
    assert re.search(r'<select id="id_counter_number" name="counter_number" aria-invalid="true"', html)
    assert '<p class="field-error" id="counter-error">评价器属于本厅的一个窗口：请选择窗口。</p>' in html
    assert 'value="3号窗评价器"' in html
    assert not Device.objects.exists()


def test_a_rating_pad_with_its_counter_is_added(setup: Setup) -> None:
    """With a counter chosen, the rating pad is created for that counter."""
    status, _ = add(staff_client(setup, "manager"), kind="rating_pad", name="pad", counter_number="2")
    assert status == 302
    assert Device.objects.get().counter_number == 2


@pytest.mark.parametrize(
    ("fields", "field_id"),
    [
        ({"name": ""}, "id_name"),
        ({"kind": "toaster", "name": "x"}, "id_kind"),
        ({"counter_number": "99", "name": "x"}, "id_counter_number"),
    ],
)
def test_bad_input_is_shown_inline(setup: Setup, fields: dict[str, str], field_id: str) -> None:
    """A missing name, an unknown kind, a counter the hall does not have: each is marked on its field."""
    status, html = add(staff_client(setup, "manager"), **fields)
    assert status == 422
    assert re.search(rf'id="{field_id}"[^>]*aria-invalid="true"', html)
    assert not Device.objects.exists()


def test_revoking_through_the_page_locks_the_display_out(setup: Setup) -> None:
    """Revoke (POST) marks the device revoked in the list and its cookie no longer opens the display."""
    cookie = device_cookie(setup)
    device = device_for_cookie(cookie)
    assert device is not None
    client = staff_client(setup, "manager")
    response = client.post(f"{URL}{device.pk}/revoke/")
    assert response.status_code == 302
    html = client.get(URL).content.decode()
    assert "已吊销" in html
    assert "test display 已吊销" in html  # the flash message names it
    assert device_client(cookie).get("/hall/h1/display/").status_code == 302
    assert AuditLog.objects.filter(action="device.revoked", object_id=str(device.pk)).exists()


def test_revoke_needs_a_post(setup: Setup) -> None:
    """A link or prefetch (GET) cannot revoke a device."""
    device = device_for_cookie(device_cookie(setup))
    assert device is not None
    assert staff_client(setup, "manager").get(f"{URL}{device.pk}/revoke/").status_code == 405
    device.refresh_from_db()
    assert device.revoked_at is None


def test_a_new_code_replaces_the_old_pairing(setup: Setup) -> None:
    """A new code is shown once; the device's old cookie stops working and the new code pairs it again."""
    cookie = device_cookie(setup)
    device = device_for_cookie(cookie)
    assert device is not None
    client = staff_client(setup, "manager")
    response = client.post(f"{URL}{device.pk}/new-code/")
    assert response.status_code == 302
    match = CODE_RE.search(client.get(URL).content.decode())
    assert match is not None
    assert device_client(cookie).get("/hall/h1/display/").status_code == 302
    _, new_cookie = device_pair(code=match.group(1))
    assert device_client(new_cookie).get("/hall/h1/display/").status_code == 200


def test_another_halls_device_is_not_found(setup: Setup) -> None:
    """The manager of one hall cannot revoke another hall's device through their hall's page (404)."""
    other, _ = device_create(actor=setup.actor("admin"), hall=setup.other_hall, kind="display", name="h2 TV")
    client = staff_client(setup, "manager")
    assert client.post(f"{URL}{other.pk}/revoke/").status_code == 404
    assert client.post(f"{URL}{other.pk}/new-code/").status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None
