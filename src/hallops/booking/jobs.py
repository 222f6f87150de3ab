"""Job bodies for bookings, callable without the job runner (tests call them directly)."""

from __future__ import annotations

import datetime as dt

from hallops.booking.selectors import bookings_due_for_no_show
from hallops.booking.services import booking_mark_no_show


def bookings_record_no_shows(*, at: dt.datetime) -> int:
    """Every booking not checked in by its slot's end plus the grace becomes no_show. Idempotent."""
    due = list(bookings_due_for_no_show(at=at).order_by("slot_start", "pk").values_list("pk", flat=True))
    return sum(booking_mark_no_show(booking_id=pk, at=at) for pk in due)
