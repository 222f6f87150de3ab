"""Parameters for the few hot-path statements written in plain SQL (event and audit appends).

The ORM costs more Python per statement than the database spends on these inserts; these helpers make the
values what Django itself would send on each backend.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection


def db_datetime(at: dt.datetime) -> dt.datetime:
    """An aware datetime as the backend stores it (naive UTC on SQLite)."""
    if connection.features.supports_timezones:
        return at
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def db_json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def json_placeholder() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"
