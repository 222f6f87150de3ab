"""``Idempotency-Key`` handling: a retried request returns the stored answer.

The key is claimed in its own short transaction (a concurrent retry sees it in flight → 409), then the
work and the stored answer commit together. The same key with another body → 422. A claim left behind by a
crashed process is taken over after ``HALLOPS_IDEMPOTENCY_STALE_SECONDS``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from hallops.errors import Conflict, Invalid
from hallops.hall.models import IdempotencyRecord

MAX_KEY_LENGTH = 200


def body_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def run_idempotent(
    *, scope: str, key: str | None, payload: Any, work: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any]]:
    """Run ``work`` once per (scope, key); ``work`` returns (status, body) and runs inside the transaction."""
    if not key:
        with transaction.atomic():
            return work()
    if len(key) > MAX_KEY_LENGTH:
        raise Invalid("Idempotency-Key is too long", field="Idempotency-Key", code="invalid_key")
    digest = body_hash(payload)
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.HALLOPS_IDEMPOTENCY_STALE_SECONDS)
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(scope=scope, key=key, body_hash=digest, created_at=now)
    except IntegrityError:
        with transaction.atomic():
            record = IdempotencyRecord.objects.select_for_update().get(scope=scope, key=key)
            if record.body_hash != digest:
                raise Invalid(
                    "this Idempotency-Key was used with another request body",
                    field="Idempotency-Key",
                    code="idempotency_mismatch",
                ) from None
            if record.done:
                return int(record.status_code or 200), dict(record.response or {})
            if record.created_at > stale:
                raise Conflict(
                    "a request with this Idempotency-Key is still in progress",
                    field="Idempotency-Key",
                    code="idempotency_in_flight",
                ) from None
            record.created_at = now  # take over a claim abandoned by a crashed process
            record.save(update_fields=["created_at"])
    try:
        with transaction.atomic():
            status, body = work()
            IdempotencyRecord.objects.filter(pk=record.pk).update(done=True, status_code=status, response=body)
    except Exception:  # a refused or failed request frees its key: a corrected retry may use it
        IdempotencyRecord.objects.filter(pk=record.pk, done=False).delete()
        raise
    return status, body


def idempotency_purge(*, older_than_hours: int | None = None) -> int:
    hours = older_than_hours or settings.HALLOPS_IDEMPOTENCY_TTL_HOURS
    cutoff = timezone.now() - dt.timedelta(hours=hours)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
