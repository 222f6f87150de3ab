"""Background jobs of bookings (Huey periodic tasks, run by ``hallops worker``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hallops.booking.jobs import bookings_record_no_shows


@db_periodic_task(crontab(minute="*/5"))
def record_booking_no_shows() -> int:
    """Every five minutes: bookings whose slot ended (plus the grace) without a check-in become no_show."""
    return bookings_record_no_shows(at=timezone.now())


__all__ = ["record_booking_no_shows"]
