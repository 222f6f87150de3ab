"""Job bodies, callable without the job runner (tests and the CLI call them directly)."""

from __future__ import annotations

import datetime as dt

from hallops.core.states import TERMINAL_TICKET_STATES
from hallops.hall.models import ServiceTransaction, Ticket
from hallops.hall.selectors import hall_local_day
from hallops.hall.services import hall_day_end
from hallops.organisation.models import Hall


def halls_close_days(*, at: dt.datetime) -> int:
    """Close every hall's past days, and today once the hall has closed. Idempotent."""
    closed = 0
    terminal = [s.value for s in TERMINAL_TICKET_STATES]
    for hall in Hall.objects.all():
        today = hall_local_day(hall, at)
        last_day = today - dt.timedelta(days=1)
        if not hall.open_24h:
            local = at.astimezone(hall.tz)
            if local.time() >= hall.closes_at:
                last_day = today
        day_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=hall.tz)
        stale_walk_in = ServiceTransaction.objects.filter(
            hall=hall, ticket__isnull=True, done_at__isnull=True, called_at__lt=day_end
        ).exists()
        if stale_walk_in or Ticket.objects.filter(hall=hall, day__lte=last_day).exclude(status__in=terminal).exists():
            closed += hall_day_end(hall=hall, day=last_day, at=at)
    return closed
