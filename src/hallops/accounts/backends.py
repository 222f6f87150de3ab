"""The login backend: Django's model backend behind the lockout of :mod:`hallops.accounts.throttle`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from hallops.accounts.throttle import LOGIN_LIMIT, claim_attempt, clear_attempts


class LockedOut(PermissionDenied):
    """The username is locked out: ``authenticate`` then answers None at once (no password check), and marks the
    request (``request.hallops_locked_out``) so that the login page and the token endpoint can say so."""


class ThrottledModelBackend(ModelBackend):
    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> AbstractBaseUser | None:
        if username is None or password is None:
            return None
        if not claim_attempt("login", username, limit=LOGIN_LIMIT):
            if request is not None:
                request.hallops_locked_out = True  # type: ignore[attr-defined]
            raise LockedOut(username)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            clear_attempts("login", username)
        return user
