"""Audit writes, inside the caller's transaction: the change and its audit row commit together."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from hallops.audit.models import AuditLog
from hallops.core.masking import mask_text
from hallops.rawsql import db_datetime, db_json, json_placeholder

_COLUMNS = "at, actor_id, actor_name, hall_id, action, object_type, object_id, customer_ref, detail"


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
) -> None:
    """Append one audit row; personal data in ``customer_ref`` and ``detail`` is masked first.

    Written with plain SQL because every staff action writes one (see ``hallops.rawsql``).
    """
    user = getattr(actor, "user", actor)
    clean = {k: mask_text(v) if isinstance(v, str) else v for k, v in (detail or {}).items()}
    values = [
        db_datetime(at),
        user.pk if getattr(user, "pk", None) else None,
        getattr(user, "username", "") or "",
        hall_id,
        action,
        object_type,
        str(object_id),
        mask_text(customer_ref),
        db_json(clean),
    ]
    sql = (
        f"INSERT INTO {AuditLog._meta.db_table} ({_COLUMNS}) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, {json_placeholder()})"
    )
    with connection.cursor() as cur:
        cur.execute(sql, values)
