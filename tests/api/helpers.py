"""Helpers shared by the /api/v1 tests: row counts of every table a request may write, and small shortcuts."""

from __future__ import annotations

from typing import Any

from hallops.accounts.models import ApiToken
from hallops.accounts.services import token_create, token_hash
from hallops.audit.models import AuditLog
from hallops.hall.models import HallEvent, IdempotencyRecord, PreOrder, ServiceTransaction, Ticket
from hallops.organisation.models import Counter

WRITTEN = (Ticket, HallEvent, AuditLog, IdempotencyRecord, ServiceTransaction, PreOrder)


def counts() -> dict[str, int]:
    """Rows in every table a hall request can write (tickets, events, audit, idempotency, transactions, pre-orders)."""
    return {model.__name__: model.objects.count() for model in WRITTEN}


def counter_state() -> list[tuple[Any, ...]]:
    """Every counter's status, holder and session, to show a rejected request changed none of them."""
    return list(Counter.objects.order_by("pk").values_list("pk", "status", "agent_id", "session_ref", "pause_reason"))


def ticket_state() -> list[tuple[Any, ...]]:
    return list(Ticket.objects.order_by("pk").values_list("pk", "status", "counter_id", "called_at", "rank"))


def snapshot() -> dict[str, Any]:
    """Everything a rejected request must leave as it was."""
    return {"counts": counts(), "counters": counter_state(), "tickets": ticket_state()}


def assert_error(response: Any, status: int, field: str | None, code: str | None = None) -> dict[str, Any]:
    """The response is a JSON error body {code, field, message} with this status and field."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "field", "message"}, body
    assert body["field"] == field, body
    assert isinstance(body["message"], str) and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def second_session_header(username: str) -> dict[str, str]:
    """An Authorization header for a second, independent token (a second live session) of the user."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(username=username)
    _, raw = token_create(user=user, name="second")
    return {"Authorization": f"Bearer {raw}"}


def token_row(raw: str) -> ApiToken:
    return ApiToken.objects.get(key_hash=token_hash(raw))


def issue(api: Any, service: str = "sim_replacement", as_user: str = "greeter", **extra: Any) -> dict[str, Any]:
    """Issue a ticket in hall h1 through the API and return its JSON body (asserting 201)."""
    body = {"service": service, "channel": "greeter" if as_user == "greeter" else "kiosk", **extra}
    response = api.post("/halls/h1/tickets", as_user=as_user, body=body)
    assert response.status_code == 201, response.content
    return response.json()


def open_counter(api: Any, counter_id: int, as_user: str = "agent1") -> dict[str, Any]:
    response = api.post(f"/counters/{counter_id}/open", as_user=as_user)
    assert response.status_code == 200, response.content
    return response.json()


def counter_post(api: Any, counter_id: int, action: str, as_user: str = "agent1", body: Any = None) -> Any:
    """POST /counters/{id}/{action} with a JSON body (an empty JSON object when none is given)."""
    return api.post(f"/counters/{counter_id}/{action}", as_user=as_user, body=body if body is not None else {})


def call_next(api: Any, counter_id: int, as_user: str = "agent1") -> dict[str, Any]:
    response = api.post(f"/counters/{counter_id}/call-next", as_user=as_user)
    assert response.status_code == 200, response.content
    return response.json()


def resident_id(first17: str) -> str:
    """An 18-digit resident ID: the 17 digits and their ISO 7064 MOD 11-2 check character, computed here."""
    assert len(first17) == 17 and first17.isdigit()
    total = sum(int(d) * pow(2, 17 - i, 11) for i, d in enumerate(first17))
    check = (12 - total % 11) % 11
    return first17 + ("X" if check == 10 else str(check))
