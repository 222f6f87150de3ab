"""Helpers for the customer-facing screens' tests (greeter, kiosk, ticket page, booking)."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from hallops.accounts.devices import COOKIE_NAME, device_create, device_pair
from hallops.hall.models import Ticket
from hallops.organisation.models import Hall
from tests.factories import Setup, User

TAP = re.compile(r'name="tap" value="([0-9a-f]{32})"')


def login(username: str, *, lang: str | None = None) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    if lang:
        client.cookies["django_language"] = lang
    return client


def device(setup: Setup, kind: str = "kiosk", *, hall: Hall | None = None, lang: str | None = None) -> Client:
    """A browser paired as a device of ``kind`` (created by the admin, paired with its one-time code)."""
    _, code = device_create(actor=setup.actor("admin"), hall=hall or setup.hall, kind=kind, name=f"test {kind}")
    _, cookie = device_pair(code=code)
    client = Client()
    client.cookies[COOKIE_NAME] = cookie
    if lang:
        client.cookies["django_language"] = lang
    return client


def tap_of(response: Any) -> str:
    """The one-time tap key a rendered form carries."""
    match = TAP.search(response.content.decode())
    assert match, "the form carries a tap key"
    return match.group(1)


def numbered() -> int:
    return Ticket.objects.exclude(number="").count()


def name_services(setup: Setup) -> None:
    """Give the test catalogue real Chinese and English names (the factory names them by code)."""
    names = {
        "new": ("新号入网", "New subscriber"),
        "sim": ("补换卡", "SIM replacement"),
        "vas": ("增值业务", "Value-added services"),
        "pay": ("缴费", "Payment"),
    }
    for key, (zh, en) in names.items():
        service = setup.services[key]
        service.name_zh, service.name_en = zh, en
        service.save(update_fields=["name_zh", "name_en"])
