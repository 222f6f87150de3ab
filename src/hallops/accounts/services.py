"""API tokens: issued for a username and password, stored hashed, revocable."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from django.utils import timezone

from hallops.accounts.models import ApiToken
from hallops.accounts.throttle import minutes_left
from hallops.errors import TooManyRequests, Unauthorized

TOKEN_PREFIX = "hop_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(
    *,
    user: AbstractBaseUser,
    name: str = "",
    hall_id: int | None = None,
    lifetime: dt.timedelta | None = None,
) -> tuple[ApiToken, str]:
    """Return the stored token and the raw secret (shown once, never stored)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key_hash=token_hash(raw),
        hint=raw[:10],
        hall_id=hall_id,
        created_at=now,
        expires_at=now + lifetime if lifetime else None,
    )
    return token, raw


def token_for_login(*, username: str, password: str, request: HttpRequest | None = None) -> str:
    user = authenticate(request, username=username, password=password)
    if request is not None and getattr(request, "hallops_locked_out", False):
        minutes = minutes_left("login", username)
        raise TooManyRequests(
            f"too many failed logins: try again in {minutes} minutes", field="username", code="locked_out"
        )
    if user is None or not user.is_active:
        raise Unauthorized("wrong username or password", field="password", code="bad_credentials")
    _, raw = token_create(user=user, name="login")
    return raw


def token_lookup(raw: str) -> ApiToken | None:
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=token_hash(raw)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= timezone.now():
        return None
    return token


def token_revoke(*, token: ApiToken) -> None:
    """Revoke at once in this process; other processes stop accepting it within the auth cache's lifetime."""
    from hallops.api.auth import auth_cache_clear

    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    auth_cache_clear()
