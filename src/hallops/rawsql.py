"""Helpers for the hot-path statements written in plain SQL (see docs/architecture.md, "Processes").

The ORM costs more Python per statement than the database spends on these statements (building and
compiling a query takes 0.2-0.7 ms; the same row through a plain cursor takes a few tens of microseconds).
These helpers make the values what Django itself would send on each backend, and load rows back into
ordinary model instances.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.db.models import Model
from psycopg import pq


def db_datetime(at: dt.datetime) -> dt.datetime:
    """An aware datetime as the backend stores it (naive UTC on SQLite)."""
    if connection.features.supports_timezones:
        return at
    return at.astimezone(dt.UTC).replace(tzinfo=None)


def db_json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def json_placeholder() -> str:
    return "%s::jsonb" if connection.vendor == "postgresql" else "%s"


# ------------------------------------------------------------------------ model rows read and written in plain SQL


@dataclass(frozen=True)
class Selected:
    """Columns of a model under a table alias: a SELECT list, and how to load a row of them back.

    The column list comes from the model (every concrete field, or the ones named), so a new field is read
    without touching the SQL. ``load`` builds the instance as the ORM would (``Model.from_db`` after the
    backend's and the fields' converters), so what the services return from a plain-SQL read is an ordinary
    model instance; fields not selected are deferred (read from the database if something asks for them).
    """

    model: type[Model]
    alias: str
    sql: str
    attnames: tuple[str, ...]
    pk_index: int

    @property
    def width(self) -> int:
        return len(self.attnames)


@functools.cache
def selected(model: type[Model], alias: str, only: tuple[str, ...] = ()) -> Selected:
    fields = [f for f in model._meta.concrete_fields if not only or f.attname in only or f.name in only]
    return Selected(
        model=model,
        alias=alias,
        sql=", ".join(f'{alias}."{f.column}"' for f in fields),
        attnames=tuple(f.attname for f in fields),
        pk_index=[f.primary_key for f in fields].index(True),
    )


_converters: dict[tuple[str, Selected], list[tuple[int, list[Any], Any]]] = {}


def _row_converters(sel: Selected) -> list[tuple[int, list[Any], Any]]:
    key = (connection.vendor, sel)
    found = _converters.get(key)
    if found is None:
        found = []
        by_attname = {f.attname: f for f in sel.model._meta.concrete_fields}
        for i, attname in enumerate(sel.attnames):
            f = by_attname[attname]
            col = f.get_col(sel.model._meta.db_table)
            funcs = connection.ops.get_db_converters(col) + f.get_db_converters(connection)
            if funcs:
                found.append((i, funcs, col))
        _converters[key] = found
    return found


def load(sel: Selected, row: Sequence[Any], start: int = 0) -> Any:
    """The model instance in ``row[start:start + width]``, or None when its primary key is NULL (an outer join)."""
    values = list(row[start : start + sel.width])
    if values[sel.pk_index] is None:
        return None
    for i, funcs, col in _row_converters(sel):
        for func in funcs:
            values[i] = func(values[i], col, connection)
    return sel.model.from_db(connection.alias, sel.attnames, values)


def insert_values(obj: Model) -> tuple[tuple[str, ...], list[Any]]:
    """The columns and the parameters of an INSERT of ``obj`` (every concrete field but an automatic key).

    The values are prepared as ``Model.save`` prepares them (``pre_save`` then ``get_db_prep_save``).
    """
    columns, params = [], []
    for f in obj._meta.concrete_fields:
        if f.primary_key and getattr(obj, f.attname) is None:
            continue
        columns.append(f.column)
        params.append(f.get_db_prep_save(f.pre_save(obj, True), connection))
    return tuple(columns), params


def column_list(columns: Sequence[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


# ---------------------------------------------------------------------------------- prepared statements


def fetch(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run one hot-path statement and return its rows (none for a statement that returns nothing).

    On PostgreSQL it runs as a prepared statement: psycopg binds the parameters on the server and prepares
    the statement once per connection, so PostgreSQL neither parses nor plans it again (planning alone cost
    more than executing these statements). Django's own cursors bind on the client and never prepare; this
    is the one place that does, with the checks and the error translation of a Django cursor. Needs the
    connection option ``prepare_threshold`` (``hallops.settings.base``); elsewhere a plain Django cursor.
    """
    db = connection
    if db.vendor != "postgresql":
        with db.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    db.validate_no_broken_transaction()
    started = time.monotonic()
    with db.wrap_database_errors:
        cur = psycopg.Cursor(db.connection)
        try:
            cur.execute(sql, params, prepare=True)
            result = cur.pgresult  # not cur.description: it builds an object per column
            rows = cur.fetchall() if result is not None and result.status == pq.ExecStatus.TUPLES_OK else []
        finally:
            cur.close()
    if db.queries_logged:  # CaptureQueriesContext and DEBUG see these statements too
        db.queries_log.append({"sql": sql, "time": f"{time.monotonic() - started:.3f}"})
    return rows
