"""Bearer-token authentication for devices and integrations.

A token's caller (user, roles per hall, hall scope) is cached in the process for
``HALLOPS_AUTH_CACHE_SECONDS`` (default 5 s), which saves two queries on every request. A revoked token, a
disabled user or a changed role therefore takes effect in other processes within that time; in the process
that revoked it, at once.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from hallops.accounts.services import token_hash, token_lookup
from hallops.organisation.access import Actor, actor_for_user

_cache: dict[str, tuple[float, Actor]] = {}
_cache_lock = threading.Lock()
_CACHE_MAX = 10_000


def auth_cache_clear() -> None:
    with _cache_lock:
        _cache.clear()


def _actor_for_token(raw: str) -> Actor | None:
    ttl = float(getattr(settings, "HALLOPS_AUTH_CACHE_SECONDS", 5))
    key = token_hash(raw)
    now = time.monotonic()
    if ttl > 0:
        hit = _cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
    api_token = token_lookup(raw)
    if api_token is None:
        return None
    actor = actor_for_user(api_token.user, session_ref=f"token:{api_token.pk}", token_hall_id=api_token.hall_id)
    if ttl > 0:
        with _cache_lock:
            if len(_cache) >= _CACHE_MAX:
                _cache.clear()
            _cache[key] = (now + ttl, actor)
    return actor


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        return _actor_for_token(token)


def actor_of(request: HttpRequest) -> Actor:
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
