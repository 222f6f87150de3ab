"""Audit writes, inside the caller's transaction: the change and its audit row commit together."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from hallops.audit.models import AuditLog
from hallops.core.masking import mask_text
from hallops.rawsql import db_datetime, db_json, json_placeholder

_COLUMNS = "at, actor_id, actor_name, hall_id, action, object_type, object_id, customer_ref, detail"


def audit_values(
    *,
    actor: Any,
    action: str,
    object_type: str,
    object_id: object = "",
    hall_id: int | None = None,
    customer_ref: str = "",
    detail: dict[str, Any] | None = None,
    at: dt.datetime,
) -> list[Any]:
    """The row's values in the order of ``_COLUMNS``; personal data in ``customer_ref`` and ``detail`` masked."""
    user = getattr(actor, "user", actor)
    clean = {k: mask_text(v) if isinstance(v, str) else v for k, v in (detail or {}).items()}
    return [
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
    values = audit_values(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        hall_id=hall_id,
        customer_ref=customer_ref,
        detail=detail,
        at=at,
    )
    sql = (
        f"INSERT INTO {AuditLog._meta.db_table} ({_COLUMNS}) "
        f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, {json_placeholder()})"
    )
    with connection.cursor() as cur:
        cur.execute(sql, values)


# PostgreSQL only: the audit row inside a hot-path write's data-modifying statement (hallops.hall.hotpath),
# inserted only when the CTE named ``after`` produced its row. Parameters: ``audit_params``.
_CTE_NAMES = ("au_at", "au_actor", "au_name", "au_hall", "au_action", "au_type", "au_object", "au_ref", "au_detail")


def audit_cte(after: str, *, object_sql: str = "%(au_object)s", detail_sql: str = "%(au_detail)s::jsonb") -> str:
    """``detail_sql`` may build the detail in SQL only from values that need no masking (numbers, codes)."""
    values = ", ".join(object_sql if n == "au_object" else f"%({n})s" for n in _CTE_NAMES[:-1])
    return f"au AS (INSERT INTO {AuditLog._meta.db_table} ({_COLUMNS}) SELECT {values}, {detail_sql} FROM {after})"


def audit_params(**kwargs: Any) -> dict[str, Any]:
    """``audit_values`` (same arguments) as the named parameters of ``audit_cte``."""
    return dict(zip(_CTE_NAMES, audit_values(**kwargs), strict=True))
