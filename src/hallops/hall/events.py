"""The append-only hall event log: each event takes the hall's next number in the writer's transaction.

Lock order for every write in a hall: counter row → ticket rows → ticket sequence row → hall event counter
(always last, so its lock is held for the shortest time and no cycle can form).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection

from hallops.hall.models import HallEvent, ServiceTransaction, Ticket
from hallops.organisation.models import Counter
from hallops.realtime.events import publish_on_commit


def _next_hall_seq(hall_id: int) -> int:
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE organisation_hall SET event_seq = event_seq + 1 WHERE id = %s RETURNING event_seq",
            [hall_id],
        )
        row = cur.fetchone()
    if row is None:
        raise LookupError(f"hall {hall_id} does not exist")
    return int(row[0])


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
) -> HallEvent:
    """Append an event and schedule its broadcast for after COMMIT."""
    seq = _next_hall_seq(hall_id)
    event = HallEvent.objects.create(
        hall_id=hall_id,
        seq=seq,
        at=at,
        kind=kind,
        actor_id=actor_id,
        ticket=ticket,
        counter=counter,
        transaction=transaction,
        data=data or {},
    )
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
    return event
