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
    message: dict[str, Any] = {
        "seq": seq,
        "kind": kind,
        "at": at.isoformat(),
        "ticket": ticket.number if ticket is not None else None,
        "ticket_id": ticket.pk if ticket is not None else None,
        "counter": counter.number if counter is not None else None,
        "data": data or {},
    }
    publish_on_commit(hall_id, message)
    return seq
