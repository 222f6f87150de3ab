"""Bearer-token authentication for devices and integrations."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from hallops.accounts.services import token_lookup
from hallops.organisation.access import Actor, actor_for_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = token_lookup(token)
        if api_token is None:
            return None
        actor = actor_for_user(api_token.user, session_ref=f"token:{api_token.pk}", token_hall_id=api_token.hall_id)
        request.actor = actor  # type: ignore[attr-defined]
        return actor


def actor_of(request: HttpRequest) -> Actor:
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
