"""Lockout after repeated failed logins (OWASP ASVS: 5 per 15 minutes), and the same for pairing codes.

Each attempt first claims a slot with one conditional UPDATE (``attempts < limit``), before the password is
checked: 20 wrong passwords sent at once get exactly ``limit`` checks and the rest are refused as locked — no
race lets a sixth through. A success clears the key. Keys are usernames as typed (lower-cased), whether or not
such a user exists, so the reply does not tell known from unknown users.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from hallops.accounts.models import LoginThrottle

LOGIN_LIMIT = 5
PAIRING_LIMIT = 10
WINDOW = dt.timedelta(minutes=15)


def _key(kind: str, value: str) -> str:
    return f"{kind}:{value.strip().lower()[:150]}"


def claim_attempt(kind: str, value: str, *, limit: int, at: dt.datetime | None = None) -> bool:
    """Claim one attempt for ``kind:value``; False when ``limit`` attempts were made in the current window."""
    now = at or timezone.now()
    key = _key(kind, value)
    with transaction.atomic():
        # A window that has passed starts again at zero.
        LoginThrottle.objects.filter(key=key, window_start__lte=now - WINDOW).update(attempts=0, window_start=now)
        if LoginThrottle.objects.filter(key=key, attempts__lt=limit).update(attempts=F("attempts") + 1):
            return True
    if LoginThrottle.objects.filter(key=key).exists():
        return False
    try:
        with transaction.atomic():
            LoginThrottle.objects.create(key=key, attempts=1, window_start=now)
        return True
    except IntegrityError:  # another attempt created it first: claim through the counter
        return claim_attempt(kind, value, limit=limit, at=now)


def clear_attempts(kind: str, value: str) -> None:
    LoginThrottle.objects.filter(key=_key(kind, value)).delete()


def minutes_left(kind: str, value: str, *, at: dt.datetime | None = None) -> int:
    row = LoginThrottle.objects.filter(key=_key(kind, value)).values_list("window_start", flat=True).first()
    if row is None:
        return 0
    left = (row + WINDOW - (at or timezone.now())).total_seconds()
    return max(1, int(left // 60) + 1)
