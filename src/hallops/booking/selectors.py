"""Reads for hall visit bookings: the bookable business types, the days and 30-minute slots, free places."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, QuerySet

from hallops.booking.models import Booking, BookingState, SlotCapacity
from hallops.catalog.models import BusinessType
from hallops.organisation.models import Hall

SLOT = dt.timedelta(minutes=30)
DAYS_AHEAD = 7  # today and the next six days
DEFAULT_CAPACITY = 2
# Halls open around the clock take bookings in the daytime only.
ROUND_THE_CLOCK_HOURS = (dt.time(8, 0), dt.time(20, 0))
CHECK_IN_EARLY = dt.timedelta(minutes=30)
CHECK_IN_LATE = dt.timedelta(minutes=15)
NO_SHOW_GRACE = dt.timedelta(minutes=15)


def default_capacity() -> int:
    return int(getattr(settings, "HALLOPS_BOOKING_SLOT_CAPACITY", DEFAULT_CAPACITY))


def bookable_services(*, hall: Hall) -> QuerySet[BusinessType]:
    """Business types a visit can be booked for: active ones done at a counter (not forced to self-service)."""
    return BusinessType.objects.filter(active=True, forced_self_service=False).order_by("sort_order", "code")


def booking_days(*, hall: Hall, at: dt.datetime) -> list[dt.date]:
    today = at.astimezone(hall.tz).date()
    return [today + dt.timedelta(days=n) for n in range(DAYS_AHEAD)]


def booking_hours(*, hall: Hall) -> tuple[dt.time, dt.time]:
    """The first slot's start and the last slot's end, hall-local."""
    if hall.open_24h:
        return ROUND_THE_CLOCK_HOURS
    return hall.opens_at, hall.closes_at


def slot_starts(*, hall: Hall, day: dt.date) -> list[dt.datetime]:
    """The day's slot starts (aware, in the hall's time zone): every 30 minutes within the booking hours."""
    first, last = booking_hours(hall=hall)
    start = dt.datetime.combine(day, first, tzinfo=hall.tz)
    end = dt.datetime.combine(day, last, tzinfo=hall.tz)
    slots = []
    while start + SLOT <= end:
        slots.append(start)
        # Step in local wall-clock time, then re-attach the zone (a DST change keeps slots on the half hour).
        start = (start.replace(tzinfo=None) + SLOT).replace(tzinfo=hall.tz)
    return slots


def slot_capacity(*, hall: Hall, service: BusinessType) -> int:
    row = SlotCapacity.objects.filter(hall=hall, service=service).values_list("capacity", flat=True).first()
    return default_capacity() if row is None else int(row)


@dataclass(frozen=True)
class Slot:
    start: dt.datetime  # hall-local, aware
    capacity: int
    taken: int

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.taken)

    @property
    def value(self) -> str:
        """The form value naming the slot: its hall-local start, ``YYYY-MM-DDTHH:MM``."""
        return self.start.strftime("%Y-%m-%dT%H:%M")


def day_slots(*, hall: Hall, service: BusinessType, day: dt.date, at: dt.datetime) -> list[Slot]:
    """The day's slots that start after ``at``, with their capacity and the places taken (one query)."""
    starts = [s for s in slot_starts(hall=hall, day=day) if s > at]
    if not starts:
        return []
    capacity = slot_capacity(hall=hall, service=service)
    taken = dict(
        Booking.objects.filter(hall=hall, service=service, slot_start__in=starts, seat__isnull=False)
        .values_list("slot_start")
        .annotate(n=Count("id"))
        .values_list("slot_start", "n")
    )
    return [Slot(start=s, capacity=capacity, taken=taken.get(s, 0)) for s in starts]


def parse_slot(*, hall: Hall, value: str) -> dt.datetime | None:
    """The aware slot start a form value names, or None when it is not one of the hall's slot starts."""
    try:
        start = dt.datetime.strptime((value or "").strip(), "%Y-%m-%dT%H:%M").replace(tzinfo=hall.tz)
    except ValueError:
        return None
    return start if start in slot_starts(hall=hall, day=start.date()) else None


def check_in_window(booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    return booking.slot_start - CHECK_IN_EARLY, booking.slot_start + CHECK_IN_LATE


def bookings_due_for_no_show(*, at: dt.datetime) -> QuerySet[Booking]:
    """Bookings still not checked in once their slot has ended and the grace has passed."""
    return Booking.objects.filter(state=BookingState.BOOKED, slot_start__lte=at - SLOT - NO_SHOW_GRACE)


def hall_by_code(code: str) -> Hall | None:
    return Hall.objects.filter(code=code).first() if code and "\x00" not in code else None


def booking_by_id(*, hall: Hall, booking_id: int) -> Booking | None:
    return Booking.objects.select_related("service").filter(hall=hall, pk=booking_id).first()
