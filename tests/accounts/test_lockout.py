"""Lockout after 5 failed logins per 15 minutes (reliability scenario 17), on the API, the login page and pairing."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from hallops.accounts.devices import device_create
from hallops.accounts.models import LoginThrottle
from hallops.accounts.throttle import LOGIN_LIMIT, PAIRING_LIMIT, WINDOW
from tests.factories import Setup
from tests.hall.test_concurrency import run_together

FILE_DB = not (connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME"))


def _token(client: Client, username: str, password: str) -> tuple[int, dict[str, object]]:
    response = client.post(
        "/api/v1/auth/token", json.dumps({"username": username, "password": password}), content_type="application/json"
    )
    return response.status_code, response.json()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not FILE_DB, reason="needs a file SQLite database or PostgreSQL")
@pytest.mark.parametrize("username", ["agent1", "nobody-here"])
def test_twenty_parallel_wrong_logins_lock_after_exactly_five(setup: Setup, username: str) -> None:
    """20 wrong passwords at once: exactly 5 are checked (401), 15 refused as locked (429) — the same for a user
    that exists and one that does not; afterwards even the right password is refused until the window passes."""
    results = run_together([lambda: _token(Client(), username, "wrong") for _ in range(20)])
    statuses = sorted(r[0] for r in results)
    assert statuses == [401] * LOGIN_LIMIT + [429] * (20 - LOGIN_LIMIT)
    locked = next(r[1] for r in results if r[0] == 429)
    assert locked["code"] == "locked_out" and locked["field"] == "username"
    if username == "agent1":
        assert _token(Client(), "agent1", "pw-agent1")[0] == 429
        LoginThrottle.objects.update(window_start=timezone.now() - WINDOW - dt.timedelta(seconds=1))
        assert _token(Client(), "agent1", "pw-agent1")[0] == 200


@pytest.mark.django_db
def test_a_success_clears_the_count(setup: Setup) -> None:
    """Four failures then a success: the next four failures do not lock (the count started again)."""
    client = Client()
    for _ in range(LOGIN_LIMIT - 1):
        assert _token(client, "agent2", "wrong")[0] == 401
    assert _token(client, "agent2", "pw-agent2")[0] == 200
    for _ in range(LOGIN_LIMIT - 1):
        assert _token(client, "agent2", "wrong")[0] == 401
    assert _token(client, "agent2", "pw-agent2")[0] == 200


@pytest.mark.django_db
def test_the_login_page_says_the_login_is_locked(setup: Setup) -> None:
    """The web login shows the generic error for 5 failures, then the lockout message inline (no 500)."""
    client = Client()
    for _ in range(LOGIN_LIMIT):
        page = client.post("/login/", {"username": "agent3", "password": "wrong"})
        assert page.status_code == 200
        assert "locked" not in page.content.decode().lower()
    page = client.post("/login/", {"username": "agent3", "password": "pw-agent3"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Too many failed logins" in page.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_pairing_codes_cannot_be_guessed_by_trying_many(setup: Setup) -> None:
    """After 10 wrong codes from one address the 11th — even the right code — answers 429; nothing is paired."""
    _device, code = device_create(actor=setup.actor("manager"), hall=setup.hall, kind="display")
    client = Client(REMOTE_ADDR="10.0.0.9")
    for n in range(PAIRING_LIMIT):
        assert client.post("/pair/", {"code": f"{n:08d}"}).status_code == 422
    response = client.post("/pair/", {"code": code})
    assert response.status_code == 429
    assert "hallops_device" not in response.cookies
    other = Client(REMOTE_ADDR="10.0.0.10").post("/pair/", {"code": code})
    assert other.status_code == 302 and "hallops_device" in other.cookies
