"""Job bodies, callable without the job runner (tests and the CLI call them directly)."""

from __future__ import annotations

import datetime as dt

from hallops.hall.selectors import day_open_tickets, day_open_transactions, hall_local_day
from hallops.hall.services import hall_day_end
from hallops.organisation.models import Hall


def halls_close_days(*, at: dt.datetime) -> int:
    """Close every hall's past days, and today once the hall has closed. Idempotent.

    A hall with nothing left open is not touched, so the job takes no locks in a quiet hall.
    """
    closed = 0
    for hall in Hall.objects.all():
        last_day = hall_local_day(hall, at) - dt.timedelta(days=1)
        if not hall.open_24h and at.astimezone(hall.tz).time() >= hall.closes_at:
            last_day += dt.timedelta(days=1)
        if (
            day_open_tickets(hall=hall, day=last_day).exists()
            or day_open_transactions(hall=hall, day=last_day).exists()
        ):
            closed += hall_day_end(hall=hall, day=last_day, at=at)
    return closed
