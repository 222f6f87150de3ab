"""``Idempotency-Key`` on POST /halls/{hall}/tickets: a retry returns the stored answer, scoped to the caller."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from hallops.api.idempotency import body_hash
from hallops.hall.models import HallEvent, IdempotencyRecord, Ticket
from tests.api.helpers import assert_error, snapshot, token_row
from tests.factories import Setup

pytestmark = pytest.mark.django_db

TICKETS = "/halls/h1/tickets"
BODY = {"service": "sim_replacement", "channel": "kiosk"}


def post(api: Any, key: str | None, body: dict[str, Any] = BODY, as_user: str = "kiosk") -> Any:
    return api.post(TICKETS, as_user=as_user, body=body, headers={"Idempotency-Key": key} if key else None)


def _scope(api: Any, username: str) -> str:
    """The scope run_idempotent is given for this user (whichever of its tokens is used)."""
    token = token_row(api.token(username))
    return f"user:{token.user_id}"


def _claim(api: Any, username: str, key: str, body: dict[str, Any], *, age: dt.timedelta = dt.timedelta(0)) -> None:
    """Leave a claimed-but-unfinished record, as a request still in flight (or a crashed one) would."""
    payload = {
        "hall": "h1",
        "priority": "normal",
        "star_level": 0,
        "phone": "",
        "override_reason": "",
        **body,
    }
    IdempotencyRecord.objects.create(
        scope=_scope(api, username),
        key=key,
        body_hash=body_hash(payload),
        done=False,
        created_at=timezone.now() - age,
    )


def test_same_key_twice_gives_the_same_ticket(setup: Setup, api: Any) -> None:
    """Posting the same body with the same key twice answers 201 both times with the same ticket; one ticket row."""
    first = post(api, "k-1")
    second = post(api, "k-1")
    assert first.status_code == second.status_code == 201
    assert second.json()["id"] == first.json()["id"]
    assert second.json()["number"] == first.json()["number"] == "B001"
    assert Ticket.objects.count() == 1
    assert HallEvent.objects.filter(kind="ticket.issued").count() == 1
    assert IdempotencyRecord.objects.filter(key="k-1", done=True).count() == 1


def test_retry_returns_the_stored_body_verbatim(setup: Setup, api: Any) -> None:
    """The retry's body is the first answer, even after the queue changed (position is not recomputed)."""
    first = post(api, "k-1")
    post(api, None)  # another ticket joins the queue
    assert post(api, "k-1").json() == first.json()


def test_without_a_key_each_post_is_a_new_ticket(setup: Setup, api: Any) -> None:
    """Without an Idempotency-Key two identical posts issue two tickets and store no record."""
    assert post(api, None).json()["number"] == "B001"
    assert post(api, None).json()["number"] == "B002"
    assert IdempotencyRecord.objects.count() == 0


def test_different_keys_give_different_tickets(setup: Setup, api: Any) -> None:
    """Two different keys with the same body issue two tickets."""
    assert post(api, "k-1").json()["id"] != post(api, "k-2").json()["id"]
    assert Ticket.objects.count() == 2


def test_same_key_with_another_body_is_422(setup: Setup, api: Any) -> None:
    """The same key with a different body answers 422 naming Idempotency-Key, and nothing more is written."""
    post(api, "k-1")
    before = snapshot()
    response = post(api, "k-1", {**BODY, "service": "value_added"})
    assert_error(response, 422, "Idempotency-Key", "idempotency_mismatch")
    assert snapshot() == before


def test_same_key_with_a_defaulted_field_spelled_out_is_the_same_request(setup: Setup, api: Any) -> None:
    """A retry that spells out a default (priority normal) is the same request: same ticket, no mismatch."""
    first = post(api, "k-1")
    second = post(api, "k-1", {**BODY, "priority": "normal"})
    assert second.status_code == 201
    assert second.json()["id"] == first.json()["id"]


def test_same_key_for_another_hall_is_a_mismatch(setup: Setup, api: Any) -> None:
    """The hall is part of the request: the admin reusing a key for h2 gets 422, not h1's ticket."""
    assert post(api, "k-1", as_user="admin").status_code == 201
    response = api.post("/halls/h2/tickets", as_user="admin", body=BODY, headers={"Idempotency-Key": "k-1"})
    assert_error(response, 422, "Idempotency-Key", "idempotency_mismatch")
    assert Ticket.objects.filter(hall=setup.other_hall).count() == 0


def test_claimed_but_unfinished_key_is_409(setup: Setup, api: Any) -> None:
    """A key whose first request is still in flight (claimed, not done, just now) answers 409; nothing is issued."""
    _claim(api, "kiosk", "k-1", BODY)
    before = snapshot()
    assert_error(post(api, "k-1"), 409, "Idempotency-Key", "idempotency_in_flight")
    assert snapshot() == before


def test_stale_claim_is_taken_over(setup: Setup, api: Any) -> None:
    """A claim older than the stale limit (a crashed request) is taken over: 201 and one ticket."""
    age = dt.timedelta(seconds=settings.HALLOPS_IDEMPOTENCY_STALE_SECONDS + 5)
    _claim(api, "kiosk", "k-1", BODY, age=age)
    response = post(api, "k-1")
    assert response.status_code == 201
    assert Ticket.objects.count() == 1
    record = IdempotencyRecord.objects.get(key="k-1")
    assert record.done and record.response["id"] == response.json()["id"]


def test_same_key_from_another_user_is_independent(setup: Setup, api: Any) -> None:
    """The key is scoped to the caller: greeter reusing kiosk's key gets a ticket of its own."""
    mine = post(api, "shared-key", as_user="kiosk")
    theirs = post(api, "shared-key", {"service": "sim_replacement", "channel": "greeter"}, as_user="greeter")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert Ticket.objects.count() == 2
    assert IdempotencyRecord.objects.filter(key="shared-key").count() == 2


def test_another_users_in_flight_claim_does_not_block(setup: Setup, api: Any) -> None:
    """An in-flight claim of the same key by another user does not make this user's request 409."""
    _claim(api, "greeter", "k-1", BODY)
    assert post(api, "k-1").status_code == 201


def test_stored_answer_matches_the_ticket(setup: Setup, api: Any) -> None:
    """After the retry, GET /tickets/{id} still shows the ticket the stored answer describes."""
    first = post(api, "k-1").json()
    again = post(api, "k-1").json()
    got = api.get(f"/tickets/{again['id']}", as_user="agent1")
    assert got.status_code == 200
    ticket = got.json()
    for field in ("id", "number", "status", "hall", "service", "channel", "issued_at", "url"):
        assert ticket[field] == first[field] == again[field], field


def test_failed_request_does_not_burn_the_key(setup: Setup, api: Any) -> None:
    """A request rejected with 422 leaves no record, so the key can be used for a corrected body."""
    bad = post(api, "k-1", {**BODY, "service": "nope"})
    assert_error(bad, 422, "service")
    assert IdempotencyRecord.objects.count() == 0
    good = post(api, "k-1")
    assert good.status_code == 201
    assert Ticket.objects.count() == 1


def test_forbidden_request_with_a_key_writes_no_record(setup: Setup, api: Any) -> None:
    """A 403 (display may not issue) with an Idempotency-Key writes no record and no ticket."""
    before = snapshot()
    assert_error(post(api, "k-1", as_user="display"), 403, None, "role_not_allowed")
    assert snapshot() == before


def test_diverted_answer_is_replayed(setup: Setup, api: Any) -> None:
    """A kiosk diverted to self-service and retrying with the key gets the same diverted answer, one row."""
    body = {"service": "payment", "channel": "kiosk"}
    first = post(api, "k-1", body)
    second = post(api, "k-1", body)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.json()["status"] == "diverted"
    assert Ticket.objects.count() == 1


def test_overlong_key_is_422(setup: Setup, api: Any) -> None:
    """An Idempotency-Key longer than 200 characters answers 422 naming it, and nothing is written."""
    before = snapshot()
    assert_error(post(api, "k" * 201), 422, "Idempotency-Key")
    assert snapshot() == before


def test_a_device_that_logs_in_again_keeps_its_keys(setup: Setup, api: Any) -> None:
    """A kiosk retrying with a new token after a restart gets the stored answer, not a second ticket."""
    first = post(api, "restart-key")
    assert first.status_code == 201
    api.tokens.pop("kiosk")  # the next call logs in again: a new token for the same user
    again = post(api, "restart-key")
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]
    assert Ticket.objects.count() == 1
