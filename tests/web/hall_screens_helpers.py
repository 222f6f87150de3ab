"""Helpers for the hall-wide screens' tests (display, floor view, devices, settings)."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from hallops.accounts.devices import COOKIE_NAME, device_create, device_pair
from hallops.hall import services
from hallops.hall.models import Ticket
from hallops.organisation.models import Hall
from tests.factories import Setup


def midday_halls(setup: Setup) -> dt.datetime:
    """Put both halls in a fixed-offset zone where it is about noon now, so that "today" minus a few minutes
    is still today whatever hour the tests run; return now."""
    now = timezone.now()
    offset = 12 - now.astimezone(dt.UTC).hour  # -11 … +12 hours
    zone = f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"
    Hall.objects.filter(pk__in=[setup.hall.pk, setup.other_hall.pk]).update(timezone=zone)
    setup.hall.refresh_from_db()
    setup.other_hall.refresh_from_db()
    return now


def device_cookie(setup: Setup, kind: str = "display", *, hall: Hall | None = None, counter: int | None = None) -> str:
    """A paired device's cookie value (created by the admin, paired with its one-time code)."""
    _, code = device_create(
        actor=setup.actor("admin"), hall=hall or setup.hall, kind=kind, name=f"test {kind}", counter_number=counter
    )
    _, cookie = device_pair(code=code)
    return cookie


def device_client(cookie: str, *, lang: str | None = None) -> Client:
    client = Client()
    client.cookies[COOKIE_NAME] = cookie
    if lang:
        client.cookies["django_language"] = lang
    return client


def staff_client(setup: Setup, username: str, *, lang: str | None = None) -> Client:
    client = Client()
    client.force_login(setup.users[username])
    if lang:
        client.cookies["django_language"] = lang
    return client


def issue(setup: Setup, service: str = "sim_replacement", *, at: dt.datetime | None = None) -> Ticket:
    return services.ticket_issue(
        actor=setup.actor("kiosk"), hall=setup.hall, service_code=service, channel="kiosk", at=at
    ).ticket


def open_and_call(
    setup: Setup, index: int = 0, user: str = "agent1", *, at: dt.datetime | None = None
) -> services.CallResult | None:
    counter = setup.counters[index]
    services.counter_open(actor=setup.actor(user), counter_id=counter.pk, at=at)
    return services.counter_call_next(actor=setup.actor(user), counter_id=counter.pk, at=at)
