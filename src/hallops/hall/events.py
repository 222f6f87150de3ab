"""The append-only hall event log: each event takes the hall's next number in the writer's transaction.

Lock order for every write in a hall: counter row → ticket rows → ticket sequence row → hall event counter
(always last, so its lock is held for the shortest time and no cycle can form).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from hallops.hall.models import HallEvent, ServiceTransaction, Ticket
from hallops.organisation.models import Counter, Hall
from hallops.rawsql import db_datetime, db_json
from hallops.realtime.events import publish_on_commit

_HALL = Hall._meta.db_table
_EVENT = HallEvent._meta.db_table
_COLUMNS = "hall_id, seq, at, kind, actor_id, ticket_id, counter_id, transaction_id, data"
_NEXT_SEQ_SQL = f"UPDATE {_HALL} SET event_seq = event_seq + 1 WHERE id = %s RETURNING event_seq"
_INSERT_SQL = f"INSERT INTO {_EVENT} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
# PostgreSQL: number and insert the event in one statement.
_PG_SQL = (
    f"WITH s AS ({_NEXT_SEQ_SQL}) INSERT INTO {_EVENT} ({_COLUMNS}) "
    "SELECT %s, s.event_seq, %s, %s, %s, %s, %s, %s, %s::jsonb FROM s RETURNING seq"
)


def event_record(
    *,
    hall_id: int,
    kind: str,
    at: dt.datetime,
    actor_id: int | None = None,
    ticket: Ticket | None = None,
    counter: Counter | None = None,
    transaction: ServiceTransaction | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """Append an event with the hall's next sequence number, schedule its broadcast for after COMMIT; return seq.

    Written with plain SQL: it runs on every write in the hall, and the ORM's model machinery costs more than
    the database here (see ``hallops.rawsql``).
    """
    payload = db_json(data or {})
    refs = [
        actor_id,
        ticket.pk if ticket is not None else None,
        counter.pk if counter is not None else None,
        transaction.pk if transaction is not None else None,
    ]
    when = db_datetime(at)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(_PG_SQL, [hall_id, hall_id, when, kind, *refs, payload])
            row = cur.fetchone()
        else:
            cur.execute(_NEXT_SEQ_SQL, [hall_id])
            row = cur.fetchone()
            if row is not None:
                cur.execute(_INSERT_SQL, [hall_id, row[0], when, kind, *refs, payload])
    if row is None:
        raise LookupError(f"hall {hall_id} does not exist")
    seq = int(row[0])
    event_publish(
        hall_id=hall_id,
        seq=seq,
        kind=kind,
        at=at,
        ticket=ticket,
        counter_number=counter.number if counter is not None else None,
        data=data,
    )
    return seq


def event_publish(
    *,
    hall_id: int,
    seq: int,
    kind: str,
    at: dt.datetime,
    ticket: Ticket | None,
    counter_number: int | None,
    data: dict[str, Any] | None,
) -> None:
    """Schedule the broadcast of an appended event for after COMMIT (the one shape of a live event)."""
    message: dict[str, Any] = {
        "seq": seq,
        "kind": kind,
        "at": at.isoformat(),
        "ticket": ticket.number if ticket is not None else None,
        "ticket_id": ticket.pk if ticket is not None else None,
        "counter": counter_number,
        "data": data or {},
    }
    publish_on_commit(hall_id, message)


# ------------------------------------------------------------- the event inside one data-modifying statement

# PostgreSQL only. The hot-path writes (hallops.hall.hotpath) append their event in the same statement as the
# change itself: ``ev_seq`` takes the hall's next number once the CTE named ``after`` has produced its row (so
# the hall's lock is still taken last, and nothing is numbered when the change did not apply), and ``ev``
# inserts the event. Parameters: ``event_params``; the ticket and transaction ids may be SQL expressions
# (a row inserted by the same statement).


def event_cte(
    after: str,
    *,
    ticket_sql: str = "%(ev_ticket)s",
    transaction_sql: str = "%(ev_tx)s",
    data_sql: str = "%(ev_data)s::jsonb",
) -> str:
    return (
        f"ev_seq AS (UPDATE {_HALL} SET event_seq = {_HALL}.event_seq + 1 FROM {after} "
        f"WHERE {_HALL}.id = %(ev_hall)s RETURNING {_HALL}.event_seq), "
        f"ev AS (INSERT INTO {_EVENT} ({_COLUMNS}) SELECT %(ev_hall)s, ev_seq.event_seq, %(ev_at)s, %(ev_kind)s, "
        f"%(ev_actor)s, {ticket_sql}, %(ev_counter)s, {transaction_sql}, {data_sql} FROM ev_seq)"
    )


def event_params(
    *,
    hall_id: int,
    kind: str,
    at: dt.datetime,
    actor_id: int | None,
    ticket_id: int | None = None,
    counter_id: int | None = None,
    transaction_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "ev_hall": hall_id,
        "ev_at": at,
        "ev_kind": kind,
        "ev_actor": actor_id,
        "ev_ticket": ticket_id,
        "ev_counter": counter_id,
        "ev_tx": transaction_id,
        "ev_data": db_json(data or {}),
    }
