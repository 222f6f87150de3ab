"""PostgreSQL statements of the request hot path: issuing a ticket and the counter's lifecycle actions.

Every ticket lifecycle is six requests (issue, call next, arrive, communication, operation, complete), and on
the server nearly all of their CPU went into building and compiling ORM queries, and on PostgreSQL's side
into planning them. On PostgreSQL the services (``hallops.hall.services``) therefore read and write these
with a few plain, prepared statements (``hallops.rawsql.fetch``):

- ``counter_state``: one read that locks the counter (``FOR UPDATE OF`` the counter row only, as the ORM path
  does) and returns it with its hall, its open transaction, the transaction's ticket, business type and
  pre-order state;
- one data-modifying statement per action that makes the change, appends the hall event with its per-hall
  number (``hallops.hall.events.event_cte``) and the audit row (``hallops.audit.services.audit_cte``);
- ``phase_at_once``: the usual phase change (arrive, communication, operation) as a single statement that
  checks the holder and the phase itself; when any condition fails it writes nothing and the service takes
  the read-then-write path, which answers the precise error.

The decisions stay in Python and in ``hallops.core``: the services check roles, holders and transitions on
the model instances loaded here, exactly as on the ORM path, and pass the result to the write. Each write is
guarded by what the decision was based on (``WHERE phase = <read phase> AND done_at IS NULL ...``); the
event and the audit row are inserted only when that guarded change applied. If the read was stale (it
waited for the counter lock while another request changed the transaction: PostgreSQL re-checks only the
locked counter row), the write applies nothing and the service reads again, now holding the lock.

SQLite keeps the ORM path (it has no data-modifying CTEs, and its writers are serialised anyway).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from django.db import connection

from hallops.audit.services import audit_cte
from hallops.catalog.models import BusinessType
from hallops.errors import Conflict
from hallops.hall.events import event_cte
from hallops.hall.models import PreOrder, ServiceTransaction, Ticket
from hallops.organisation.models import Counter, Hall
from hallops.rawsql import column_list, fetch, insert_values, load, selected


def enabled() -> bool:
    return connection.vendor == "postgresql"


_C = selected(Counter, "c")
_H = selected(Hall, "h")
_T = selected(ServiceTransaction, "t")
_K = selected(Ticket, "k")
_B = selected(BusinessType, "b")
_P = selected(PreOrder, "p")

_COUNTER = Counter._meta.db_table
_HALL = Hall._meta.db_table
_TX = ServiceTransaction._meta.db_table
_TICKET = Ticket._meta.db_table
_SERVICE = BusinessType._meta.db_table
_PREORDER = PreOrder._meta.db_table
_EXTRA = ServiceTransaction._meta.get_field("extra_services")
_SERVES = Counter._meta.get_field("services")


@functools.cache
def _no_business_types() -> Any:
    """An evaluated empty queryset (``none()`` alone is still compiled each time it is read). Shared: nothing
    changes an evaluated queryset in place, and adding a business type drops the transaction's prefetch."""
    empty = BusinessType.objects.none()
    empty._result_cache = []
    empty._prefetch_done = True
    return empty


def no_extra_services(tx: ServiceTransaction) -> None:
    """Record that the transaction has no extra business types, as a prefetch would: rendering it asks nothing."""
    tx._prefetched_objects_cache = {"extra_services": _no_business_types()}


# ----------------------------------------------------------------------------------------- counter state


@dataclass(frozen=True)
class CounterState:
    """The locked counter (with its hall) and its open transaction (with ticket and business type), if any."""

    counter: Counter
    transaction: ServiceTransaction | None
    pre_order_state: str | None


@functools.cache
def _counter_state_sql() -> str:
    extra = _EXTRA.remote_field.through._meta  # type: ignore[union-attr]
    return (
        f"SELECT {_C.sql}, {_H.sql}, {_T.sql}, {_K.sql}, {_B.sql}, p.state, "
        f"EXISTS (SELECT 1 FROM {extra.db_table} x WHERE x.{_EXTRA.m2m_column_name()} = t.id) "  # type: ignore[attr-defined]
        f"FROM {_COUNTER} c JOIN {_HALL} h ON h.id = c.hall_id "
        f"LEFT JOIN {_TX} t ON t.counter_id = c.id AND t.done_at IS NULL "
        f"LEFT JOIN {_TICKET} k ON k.id = t.ticket_id "
        f"LEFT JOIN {_SERVICE} b ON b.id = t.service_id "
        f"LEFT JOIN {_PREORDER} p ON p.ticket_id = k.id "
        "WHERE c.id = %s FOR UPDATE OF c"
    )


def counter_state(counter_id: int) -> CounterState | None:
    """Lock the counter and read what a counter action decides on (None: no such counter)."""
    rows = fetch(_counter_state_sql(), [counter_id])
    if not rows:
        return None
    row = rows[0]
    at = 0
    counter = load(_C, row, at)
    at += _C.width
    hall = load(_H, row, at)
    at += _H.width
    counter.hall = hall
    tx = load(_T, row, at)
    at += _T.width
    ticket = load(_K, row, at)
    at += _K.width
    service = load(_B, row, at)
    at += _B.width
    pre_order_state, has_extra = row[at], row[at + 1]
    if tx is not None:
        tx.counter = counter
        tx.service = service
        if ticket is not None:
            ticket.hall = hall
            if ticket.service_id == service.pk:
                ticket.service = service
        tx.ticket = ticket
        if not has_extra:
            no_extra_services(tx)
    return CounterState(counter=counter, transaction=tx, pre_order_state=pre_order_state)


# ------------------------------------------------------------------------------------------------ writes


def _guard() -> str:
    """The transaction is still as read: open, at the same phase, with the same limit (add-service changes it)."""
    return "id = %(tx)s AND done_at IS NULL AND phase = %(from_phase)s AND limit_seconds = %(from_limit)s"


@functools.cache
def _phase_sql(field: str, ticket_moves: bool, audited: bool) -> str:
    parts = [f"t AS (UPDATE {_TX} SET phase = %(phase)s, {field} = %(now)s WHERE {_guard()} RETURNING id)"]
    last = "t"
    if ticket_moves:
        parts.append(
            f"k AS (UPDATE {_TICKET} SET status = %(status)s FROM t WHERE {_TICKET}.id = %(ticket)s "
            f"AND {_TICKET}.status = %(from_status)s RETURNING {_TICKET}.id)"
        )
        last = "k"
    parts.append(event_cte(last))
    if audited:
        parts.append(audit_cte(last))
    return "WITH " + ", ".join(parts) + " SELECT (SELECT count(*) FROM t), (SELECT event_seq FROM ev_seq)"


def _run(sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
    rows = fetch(sql, params)
    return rows[0] if rows else None


class Interrupted(Conflict):
    """A guarded write applied in part (never expected): the caller must not retry within the transaction."""


def _written(row: tuple[Any, ...] | None) -> int | None:
    """The event's number; None when the guarded change found the transaction not as read (nothing written).

    The ticket's update is guarded too; it can only miss if the ticket changed without its transaction, which
    no service does. Should it happen, the transaction has been changed already: refuse, and roll back.
    """
    assert row is not None
    if not row[0]:
        return None
    if row[1] is None:
        raise Interrupted("the ticket changed while this request waited: try again", field="counter", code="retry")
    return int(row[1])


def phase_write(*, field: str, params: dict[str, Any], ticket_moves: bool, audited: bool) -> int | None:
    """Move the transaction to the next phase (and its ticket from called to serving); the event's number."""
    return _written(_run(_phase_sql(field, ticket_moves, audited), params))


@functools.cache
def _finish_sql(ticket_moves: bool) -> str:
    parts = [
        f"t AS (UPDATE {_TX} SET done_at = %(now)s, phase = %(phase)s, outcome = %(outcome)s, reason = %(reason)s, "
        f"service_seconds = %(service_seconds)s, handling_seconds = %(handling_seconds)s WHERE {_guard()} RETURNING id)"
    ]
    last = "t"
    if ticket_moves:
        parts.append(
            f"k AS (UPDATE {_TICKET} SET status = %(status)s, finished_at = %(now)s, counter_id = NULL FROM t "
            f"WHERE {_TICKET}.id = %(ticket)s AND {_TICKET}.status = %(from_status)s RETURNING {_TICKET}.id)"
        )
        last = "k"
    parts += [event_cte(last), audit_cte(last)]
    return "WITH " + ", ".join(parts) + " SELECT (SELECT count(*) FROM t), (SELECT event_seq FROM ev_seq)"


def finish_write(*, params: dict[str, Any], ticket_moves: bool) -> int | None:
    """Close the transaction with its times and outcome (and its ticket as done); the event's number."""
    return _written(_run(_finish_sql(ticket_moves), params))


# --------------------------------------------------------------------------------- a phase in one statement

_counter_halls: dict[int, tuple[int, str]] = {}


def remember_counter_hall(counter: Counter) -> None:
    """The counter's hall and its time zone, for the one-statement actions of later requests in this process.

    Counters do not move between halls; if one ever does (or the hall's time zone changes), the statements
    check the remembered values and find nothing, and the service takes the read-then-write path.
    """
    _counter_halls[counter.pk] = (counter.hall_id, counter.hall.timezone)


def counter_hall(counter_id: int) -> tuple[int, str] | None:
    """The remembered (hall id, hall time zone) of the counter, if an earlier request read it."""
    return _counter_halls.get(counter_id)


_X = selected(ServiceTransaction, "x")
_N = selected(Ticket, "n", ("id", "hall", "service", "number", "status"))
_BN = selected(BusinessType, "b", ("id", "code"))


@functools.cache
def _phase_at_once_sql(field: str) -> str:
    """Lock the caller's open counter, move its open transaction to the phase (and a called ticket to serving),
    append the event and the audit row: one statement, and only if every condition holds (else no row).

    The ticket's row is locked before the hall's (``tk`` waits for ``k``), as everywhere. The last column says
    whether the transaction's extra business types read here are current: they are unless the transaction's
    limit changed while the statement waited for the counter (adding a business type changes it).
    """
    extra = _EXTRA.remote_field.through._meta  # type: ignore[union-attr]
    return (
        f"WITH c AS (SELECT {_C.sql} FROM {_COUNTER} c WHERE c.id = %(counter)s AND c.hall_id = %(ev_hall)s "
        "AND c.status = %(open)s AND c.agent_id = %(agent)s AND c.session_ref = %(session)s FOR UPDATE), "
        f"t AS (UPDATE {_TX} x SET phase = %(phase)s, {field} = %(now)s FROM c WHERE x.counter_id = c.id "
        f"AND x.done_at IS NULL AND x.phase = ANY(%(from_phases)s) RETURNING {_X.sql}), "
        f"k AS (UPDATE {_TICKET} k SET status = %(status)s FROM t WHERE k.id = t.ticket_id "
        "AND k.status = %(from_status)s RETURNING k.status), "
        f"n AS (SELECT {_N.sql} FROM {_TICKET} n JOIN t ON n.id = t.ticket_id), "
        "tk AS (SELECT t.id FROM t WHERE (SELECT count(*) FROM k) >= 0), "
        "ta AS (SELECT t.ticket_id FROM t WHERE t.ticket_id IS NOT NULL), "
        + event_cte(
            "tk",
            ticket_sql="(SELECT ticket_id FROM t)",
            transaction_sql="(SELECT id FROM t)",
            data_sql="jsonb_build_object('number', (SELECT number FROM n))",
        )
        + ", "
        + audit_cte("ta", object_sql="ta.ticket_id::text")
        + f" SELECT {_T.sql}, {_C.sql}, {_N.sql}, COALESCE(k.status, n.status), {_BN.sql}, "
        "(SELECT event_seq FROM ev_seq), s.limit_seconds = t.limit_seconds AND NOT EXISTS "
        f"(SELECT 1 FROM {extra.db_table} e WHERE e.{_EXTRA.m2m_column_name()} = t.id) "  # type: ignore[attr-defined]
        f"FROM t CROSS JOIN c LEFT JOIN n ON true LEFT JOIN k ON true JOIN {_SERVICE} b ON b.id = t.service_id "
        f"JOIN {_TX} s ON s.id = t.id"
    )


def phase_at_once(*, field: str, params: dict[str, Any]) -> tuple[ServiceTransaction, int] | None:
    """The usual phase change as one statement (see ``_phase_at_once_sql``): (transaction, event number)."""
    row = _run(_phase_at_once_sql(field), params)
    if row is None:
        return None
    at = 0
    tx = load(_T, row, at)
    at += _T.width
    counter = load(_C, row, at)
    at += _C.width
    ticket = load(_N, row, at)
    at += _N.width
    if ticket is not None:
        ticket.status = row[at]
    service = load(_BN, row, at + 1)
    at += 1 + _BN.width
    tx.counter = counter
    tx.ticket = ticket
    tx.service = service
    if row[at + 1]:
        no_extra_services(tx)
    return tx, int(row[at])


# ---------------------------------------------------------------------------------- call next in one statement

_HN = selected(Hall, "h", ("id", "code", "timezone"))
_X_TICKET = selected(Ticket, "x")


@functools.cache
def _call_at_once_sql(tx_columns: tuple[str, ...]) -> str:
    """Lock the caller's open counter, lock the first waiting ticket it may call (``SKIP LOCKED``), open the
    transaction unless the counter has one (``ON CONFLICT … DO NOTHING`` on the one-open-transaction index,
    which sees a transaction committed while this statement waited for the counter), mark the ticket called,
    append the event and the audit row. One statement; no row when any step finds nothing.

    Locks: counter → ticket → hall event counter. The transaction's limit is the business type's
    ``limit_seconds`` truncated, as ``int(service.limit_seconds)`` computes it (float8, then truncation).
    """
    serves = _SERVES.remote_field.through._meta  # type: ignore[union-attr]
    computed = {
        "ticket_id": "pick.id",
        "service_id": "pick.service_id",
        "limit_seconds": "trunc(b.limit_minutes::float8 * 60)::integer",
    }
    values = ", ".join(computed.get(col, f"%(v_{col})s") for col in tx_columns)
    return (
        f"WITH c AS (SELECT {_C.sql} FROM {_COUNTER} c JOIN {_HALL} h ON h.id = c.hall_id AND h.timezone = %(tz)s "
        "WHERE c.id = %(counter)s AND c.hall_id = %(ev_hall)s AND c.status = %(open)s AND c.agent_id = %(agent)s "
        "AND c.session_ref = %(session)s FOR UPDATE OF c), "
        f"pick AS (SELECT k.id, k.service_id FROM {_TICKET} k "
        "WHERE k.hall_id = %(ev_hall)s AND k.status = %(waiting)s AND k.day = %(day)s "
        f"AND k.service_id IN (SELECT s.{_SERVES.m2m_reverse_name()} FROM {serves.db_table} s "  # type: ignore[attr-defined]
        f"WHERE s.{_SERVES.m2m_column_name()} = %(counter)s) "  # type: ignore[attr-defined]
        "AND (k.target_counter_id IS NULL OR k.target_counter_id = %(counter)s) AND EXISTS (SELECT 1 FROM c) "
        "ORDER BY k.rank, k.id LIMIT 1 FOR UPDATE OF k SKIP LOCKED), "
        f"b AS (SELECT {_B.sql} FROM {_SERVICE} b JOIN pick ON b.id = pick.service_id), "
        f"t AS (INSERT INTO {_TX} AS x ({column_list(tx_columns)}) SELECT {values} FROM pick "
        "JOIN b ON b.id = pick.service_id "
        f"ON CONFLICT (counter_id) WHERE done_at IS NULL DO NOTHING RETURNING {_X.sql}), "
        f"k AS (UPDATE {_TICKET} x SET status = %(status)s, counter_id = %(counter)s, called_at = %(now)s "
        f"FROM t WHERE x.id = t.ticket_id AND x.status = %(waiting)s RETURNING {_X_TICKET.sql}), "
        f"p AS (SELECT {_P.sql} FROM {_PREORDER} p JOIN k ON p.ticket_id = k.id), "
        f"h AS (SELECT {_HN.sql} FROM {_HALL} h WHERE h.id = %(ev_hall)s), "
        + event_cte(
            "k",
            ticket_sql="(SELECT id FROM k)",
            transaction_sql="(SELECT id FROM t)",
            data_sql="jsonb_build_object('number', (SELECT number FROM k), 'counter', (SELECT number FROM c), "
            "'service', (SELECT code FROM b), 'pre_order', (SELECT state FROM p))",
        )
        + ", "
        + audit_cte("k", object_sql="k.id::text", detail_sql="jsonb_build_object('counter', (SELECT number FROM c))")
        + f" SELECT {_K.sql}, {_T.sql}, {_C.sql}, {_HN.sql}, {_B.sql}, {_P.sql}, (SELECT event_seq FROM ev_seq) "
        "FROM k CROSS JOIN t CROSS JOIN c CROSS JOIN b CROSS JOIN h LEFT JOIN p ON true"
    )


def call_at_once(*, template: ServiceTransaction, params: dict[str, Any]) -> tuple[Any, ...] | None:
    """Call the next ticket as one statement (see ``_call_at_once_sql``).

    ``template`` is the transaction to open, without its ticket, business type and limit (the statement takes
    them from the ticket it picks). Returns (ticket, transaction, pre-order or None, event number) or None.
    """
    columns, values = insert_values(template)
    row = _run(_call_at_once_sql(columns), {**params, **{f"v_{c}": v for c, v in zip(columns, values, strict=True)}})
    if row is None:
        return None
    at = 0
    ticket = load(_K, row, at)
    at += _K.width
    tx = load(_T, row, at)
    at += _T.width
    counter = load(_C, row, at)
    at += _C.width
    hall = load(_HN, row, at)
    at += _HN.width
    service = load(_B, row, at)
    at += _B.width
    pre_order = load(_P, row, at)
    at += _P.width
    counter.hall = hall
    ticket.hall = hall
    ticket.service = service
    ticket.counter = counter
    tx.counter = counter
    tx.ticket = ticket
    tx.service = service
    no_extra_services(tx)
    return ticket, tx, pre_order, int(row[at])


@functools.cache
def _pick_sql() -> str:
    serves = _SERVES.remote_field.through._meta  # type: ignore[union-attr]
    return (
        f"SELECT {_K.sql}, {_B.sql}, {_P.sql} FROM {_TICKET} k JOIN {_SERVICE} b ON b.id = k.service_id "
        f"LEFT JOIN {_PREORDER} p ON p.ticket_id = k.id "
        "WHERE k.hall_id = %(hall)s AND k.status = %(waiting)s AND k.day = %(day)s "
        f"AND k.service_id IN (SELECT s.{_SERVES.m2m_reverse_name()} FROM {serves.db_table} s "  # type: ignore[attr-defined]
        f"WHERE s.{_SERVES.m2m_column_name()} = %(counter)s) "  # type: ignore[attr-defined]
        "AND (k.target_counter_id IS NULL OR k.target_counter_id = %(counter)s) "
        "ORDER BY k.rank, k.id LIMIT 1 FOR UPDATE OF k SKIP LOCKED"
    )


def pick_next(*, hall_id: int, counter_id: int, day: dt.date, waiting: str) -> tuple[Ticket, PreOrder | None] | None:
    """Lock the first waiting ticket in queue order that this counter may call (skipping locked ones)."""
    rows = fetch(_pick_sql(), {"hall": hall_id, "counter": counter_id, "day": day, "waiting": waiting})
    if not rows:
        return None
    row = rows[0]
    ticket = load(_K, row, 0)
    ticket.service = load(_B, row, _K.width)
    return ticket, load(_P, row, _K.width + _B.width)


@functools.cache
def _call_sql(tx_columns: tuple[str, ...], n_values: int) -> str:
    values = ", ".join(f"%(v{i})s" for i in range(n_values))
    return (
        f"WITH k AS (UPDATE {_TICKET} SET status = %(status)s, counter_id = %(counter)s, called_at = %(now)s "
        "WHERE id = %(ticket)s AND status = %(from_status)s "
        # The counter is still idle: read now, holding its lock (the state read may predate a call that it
        # waited for; the counter's row did not change, so PostgreSQL did not re-check it).
        f"AND NOT EXISTS (SELECT 1 FROM {_TX} o WHERE o.counter_id = %(counter)s AND o.done_at IS NULL) "
        "RETURNING id), "
        f"t AS (INSERT INTO {_TX} ({column_list(tx_columns)}) SELECT {values} FROM k RETURNING id), "
        + event_cte("t", transaction_sql="(SELECT id FROM t)")
        + ", "
        + audit_cte("t")
        + " SELECT (SELECT id FROM t), (SELECT event_seq FROM ev_seq)"
    )


def call_write(
    *, ticket: Ticket, from_status: str, tx: ServiceTransaction, event: dict[str, Any], audit: dict[str, Any]
) -> tuple[int, int] | None:
    """Mark the picked ticket called and open its transaction; (transaction id, event number).

    None: nothing was written, the counter has an open transaction after all (the caller reads again).
    """
    columns, values = insert_values(tx)
    params = {
        **event,
        **audit,
        **{f"v{i}": v for i, v in enumerate(values)},
        "status": ticket.status,
        "counter": ticket.counter_id,
        "now": ticket.called_at,
        "ticket": ticket.pk,
        "from_status": from_status,
    }
    row = _run(_call_sql(columns, len(values)), params)
    assert row is not None
    if row[0] is None:
        return None
    if row[1] is None:  # never expected: the transaction was opened, so the event must have been appended
        raise Interrupted("the counter changed while calling: try again", field="counter", code="retry")
    return int(row[0]), int(row[1])


@functools.cache
def _issue_sql(columns: tuple[str, ...], n_values: int) -> str:
    values = ", ".join(f"%(p{i})s" for i in range(n_values))
    return (
        f"WITH tk AS (INSERT INTO {_TICKET} ({column_list(columns)}) VALUES ({values}) RETURNING id), "
        + event_cte("tk", ticket_sql="(SELECT id FROM tk)")
        + ", "
        + audit_cte("tk", object_sql="(SELECT id FROM tk)::text")
        + " SELECT (SELECT id FROM tk), (SELECT event_seq FROM ev_seq)"
    )


def issue_write(*, ticket: Ticket, event: dict[str, Any], audit: dict[str, Any]) -> tuple[int, int]:
    """Insert the numbered ticket with its event and audit row; (ticket id, event number)."""
    columns, values = insert_values(ticket)
    params = {**event, **audit, **{f"p{i}": v for i, v in enumerate(values)}}
    row = _run(_issue_sql(columns, len(values)), params)
    assert row is not None and row[0] is not None and row[1] is not None
    return int(row[0]), int(row[1])


@functools.cache
def _service_sql() -> str:
    return f"SELECT {_B.sql} FROM {_SERVICE} b WHERE b.code = %s AND b.active LIMIT 1"


def service_by_code(code: str) -> BusinessType | None:
    rows = fetch(_service_sql(), [code])
    return load(_B, rows[0]) if rows else None


@functools.cache
def _hall_and_service_sql() -> str:
    return (
        f"SELECT {_H.sql}, {_B.sql} FROM {_HALL} h "
        f"LEFT JOIN {_SERVICE} b ON b.code = %(service)s AND b.active WHERE h.code = %(hall)s"
    )


def hall_and_service(hall_code: str, service_code: str) -> tuple[Hall | None, BusinessType | None]:
    """The hall by its code and the active business type by its code, in one read (issuing a ticket)."""
    rows = fetch(_hall_and_service_sql(), {"hall": hall_code, "service": service_code})
    if not rows:
        return None, None
    return load(_H, rows[0]), load(_B, rows[0], _H.width)
