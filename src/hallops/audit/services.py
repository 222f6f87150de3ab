"""Audit writes, inside the caller's transaction: the change and its audit row commit together."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hallops.audit.models import AuditLog
from hallops.core.masking import mask_text


def audit_record(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object = "",
    hall_id: int | None = None,
    customer_ref: str = "",
    detail: dict[str, Any] | None = None,
    at: dt.datetime,
) -> AuditLog:
    """Append one audit row; personal data in ``customer_ref`` and ``detail`` is masked first."""
    user = getattr(actor, "user", actor)
    clean = {k: mask_text(v) if isinstance(v, str) else v for k, v in (detail or {}).items()}
    return AuditLog.objects.create(
        at=at,
        actor=user if getattr(user, "pk", None) else None,
        actor_name=getattr(user, "username", "") or "",
        hall_id=hall_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        customer_ref=mask_text(customer_ref),
        detail=clean,
    )
