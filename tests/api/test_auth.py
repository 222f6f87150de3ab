"""/api/v1 authentication: login for a bearer token, 401 for anything but a live token, the OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from hallops.accounts.models import ApiToken
from hallops.accounts.services import token_create, token_revoke
from tests.api.helpers import assert_error, token_row
from tests.factories import Setup

pytestmark = pytest.mark.django_db


def login(api: Any, username: str, password: str) -> Any:
    return api.post("/auth/token", body={"username": username, "password": password})


def test_login_gives_a_token_that_works(setup: Setup, api: Any) -> None:
    """POST /auth/token with the right password answers a token; GET /halls with it as bearer answers 200."""
    response = login(api, "agent1", "pw-agent1")
    assert response.status_code == 200
    token = response.json()["token"]
    assert set(response.json()) == {"token"}
    assert token_row(token).user.get_username() == "agent1"
    halls = api.get("/halls", headers={"Authorization": f"Bearer {token}"})
    assert halls.status_code == 200
    assert [h["code"] for h in halls.json()["items"]] == ["h1"]


def test_login_stores_only_a_hash_of_the_token(setup: Setup, api: Any) -> None:
    """The raw token appears nowhere in the token table (only its hash and a short hint)."""
    token = login(api, "kiosk", "pw-kiosk").json()["token"]
    row = token_row(token)
    assert token not in (row.key_hash, row.hint, row.name)
    assert len(row.hint) < len(token)


def test_wrong_password_is_401_json(setup: Setup, api: Any) -> None:
    """A wrong password answers 401 with a {code, field, message} body naming the password, and no token row."""
    before = ApiToken.objects.count()
    response = login(api, "agent1", "wrong")
    assert_error(response, 401, "password", "bad_credentials")
    assert ApiToken.objects.count() == before


def test_unknown_user_is_401_like_a_wrong_password(setup: Setup, api: Any) -> None:
    """An unknown username answers exactly what a wrong password does (no user enumeration)."""
    unknown = login(api, "nobody", "pw-nobody")
    wrong = login(api, "agent1", "pw-nobody")
    assert_error(unknown, 401, "password", "bad_credentials")
    assert unknown.json() == wrong.json()


def test_inactive_user_cannot_log_in(setup: Setup, api: Any) -> None:
    """A deactivated account gets 401 even with the right password."""
    user = setup.users["agent2"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(login(api, "agent2", "pw-agent2"), 401, "password")


def test_login_body_missing_password_is_422(setup: Setup, api: Any) -> None:
    """A login body without a password is 422 naming the password field."""
    response = api.post("/auth/token", body={"username": "agent1"})
    assert_error(response, 422, "password", "required")


def test_no_token_is_401(setup: Setup, api: Any) -> None:
    """A request without an Authorization header answers 401 JSON naming the Authorization header."""
    assert_error(api.get("/halls"), 401, "Authorization", "unauthorized")


@pytest.mark.parametrize(
    "header",
    [
        "hop_not-a-real-token",
        "Bearer",
        "Bearer ",
        "Basic YWdlbnQxOnB3LWFnZW50MQ==",
        "Token hop_abc",
        "Bearer hop_" + "x" * 200,
        "bearer-hop_abc",
    ],
    ids=["no-scheme", "scheme-only", "empty-token", "basic", "token-scheme", "overlong", "no-space"],
)
def test_malformed_or_unknown_bearer_is_401(setup: Setup, api: Any, header: str) -> None:
    """A malformed Authorization header, or a bearer token that does not exist, answers 401 JSON."""
    assert_error(api.get("/halls", headers={"Authorization": header}), 401, "Authorization")


def test_real_token_under_another_scheme_is_401(setup: Setup, api: Any) -> None:
    """A valid token sent without the Bearer scheme is refused (the scheme is part of the contract)."""
    _, raw = token_create(user=setup.users["agent1"], name="t")
    assert api.get("/halls", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    assert_error(api.get("/halls", headers={"Authorization": f"Token {raw}"}), 401, "Authorization")
    assert_error(api.get("/halls", headers={"Authorization": raw}), 401, "Authorization")


def test_revoked_token_is_401(setup: Setup, api: Any) -> None:
    """A token that worked stops working once revoked (accounts.services.token_revoke)."""
    row, raw = token_create(user=setup.users["agent1"], name="t")
    header = {"Authorization": f"Bearer {raw}"}
    assert api.get("/halls", headers=header).status_code == 200
    token_revoke(token=row)
    assert_error(api.get("/halls", headers=header), 401, "Authorization")


def test_revoked_token_cannot_write(setup: Setup, api: Any) -> None:
    """A revoked kiosk token cannot issue a ticket: 401 and no ticket row."""
    from hallops.hall.models import Ticket

    row, raw = token_create(user=setup.users["kiosk"], name="t")
    token_revoke(token=row)
    response = api.post(
        "/halls/h1/tickets",
        body={"service": "sim_replacement", "channel": "kiosk"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert_error(response, 401, "Authorization")
    assert Ticket.objects.count() == 0


def test_expired_token_is_401(setup: Setup, api: Any) -> None:
    """A token past its expiry answers 401."""
    row, raw = token_create(user=setup.users["agent1"], name="t", lifetime=dt.timedelta(hours=1))
    header = {"Authorization": f"Bearer {raw}"}
    assert api.get("/halls", headers=header).status_code == 200
    ApiToken.objects.filter(pk=row.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert_error(api.get("/halls", headers=header), 401, "Authorization")


def test_token_of_deactivated_user_is_401(setup: Setup, api: Any) -> None:
    """Deactivating a user cuts off the tokens the user already holds."""
    _, raw = token_create(user=setup.users["agent3"], name="t")
    header = {"Authorization": f"Bearer {raw}"}
    assert api.get("/halls", headers=header).status_code == 200
    user = setup.users["agent3"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert_error(api.get("/halls", headers=header), 401, "Authorization")


def test_hall_scoped_token_sees_only_its_hall(setup: Setup, api: Any) -> None:
    """An admin token limited to hall h2 lists only h2 and answers 404 for h1's services."""
    _, raw = token_create(user=setup.users["admin"], name="t", hall_id=setup.other_hall.pk)
    header = {"Authorization": f"Bearer {raw}"}
    assert [h["code"] for h in api.get("/halls", headers=header).json()["items"]] == ["h2"]
    assert_error(api.get("/halls/h1/services", headers=header), 404, "hall")


def test_openapi_document_is_served(setup: Setup, api: Any) -> None:
    """/api/v1/openapi.json answers 200 without a token and documents the ticket and counter paths."""
    response = api.get("/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/auth/token",
        "/api/v1/halls",
        "/api/v1/halls/{hall}/tickets",
        "/api/v1/tickets/{ticket_id}",
        "/api/v1/tickets/{ticket_id}/pre-order",
        "/api/v1/counters/{counter_id}/open",
        "/api/v1/counters/{counter_id}/call-next",
        "/api/v1/counters/{counter_id}/complete",
    ):
        assert path in paths, path
    assert "post" in paths["/api/v1/halls/{hall}/tickets"]
    assert "put" in paths["/api/v1/tickets/{ticket_id}/pre-order"]


def test_openapi_declares_bearer_auth(setup: Setup, api: Any) -> None:
    """The OpenAPI document declares the bearer scheme, and token login is the one operation without it."""
    doc = api.get("/openapi.json").json()
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    assert "security" not in doc["paths"]["/api/v1/auth/token"]["post"]
    assert doc["paths"]["/api/v1/halls"]["get"]["security"]
