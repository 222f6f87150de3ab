"""Every write of hall visit bookings: book a slot, check in (issues the appointment ticket), cancel, no-show.

The capacity guarantee does not depend on timing: each booking takes a numbered place (seat 1..capacity) of
its slot and a unique constraint allows each place once. Two customers racing for the last place both read
it as free; one insert wins and the other re-reads and finds the slot full.
Lock order: booking row → (ticket_issue's) ticket sequence → hall event counter.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from hallops.accounts.throttle import claim_attempt
from hallops.audit.services import audit_record
from hallops.booking.models import Booking, BookingState
from hallops.booking.selectors import (
    bookable_services,
    booking_days,
    check_in_window,
    slot_capacity,
    slot_starts,
)
from hallops.core.masking import mask_phone
from hallops.core.policy import Priority
from hallops.errors import Conflict, Invalid, NotFound, TooManyRequests
from hallops.hall.events import event_record
from hallops.hall.models import Channel
from hallops.hall.services import IssueResult, normalize_phone, ticket_issue
from hallops.notifications.backends import notification_send
from hallops.organisation.access import Actor
from hallops.organisation.models import Hall

_ATTEMPTS = 5

# booked → checked_in | no_show | cancelled; nothing leaves those.
_TRANSITIONS = {
    (BookingState.BOOKED, "check_in"): BookingState.CHECKED_IN,
    (BookingState.BOOKED, "no_show"): BookingState.NO_SHOW,
    (BookingState.BOOKED, "cancel"): BookingState.CANCELLED,
}


def _transition(booking: Booking, action: str) -> None:
    state = _TRANSITIONS.get((BookingState(booking.state), action))
    if state is None:
        raise Conflict(f"the booking is {booking.state}: cannot {action}", field="code", code="illegal_transition")
    booking.state = state.value


def _local(at: dt.datetime, hall: Hall) -> str:
    return formats.time_format(at.astimezone(hall.tz), "H:i")


def _taken_seats(hall: Hall, service_id: int, slot_start: dt.datetime) -> set[int]:
    return set(
        Booking.objects.filter(hall=hall, service_id=service_id, slot_start=slot_start, seat__isnull=False).values_list(
            "seat", flat=True
        )
    )


def _new_code(hall: Hall, day: dt.date) -> str:
    while True:
        code = f"{secrets.randbelow(10**6):06d}"
        if not Booking.objects.filter(hall=hall, day=day, code=code).exists():
            return code


#: public pages, no login: per client address and 15 minutes (generous: a hall's Wi-Fi or a carrier's NAT puts
#: many customers behind one address), so that nobody can send SMS in bulk or try codes one after another
BOOKING_LIMIT = 20
CANCEL_LIMIT = 10


def _throttle(kind: str, source: str, limit: int, field: str) -> None:
    if source and not claim_attempt(kind, source, limit=limit):
        raise TooManyRequests(_("Too many attempts from this address: try again in 15 minutes."), field=field)


def booking_create(
    *,
    hall: Hall,
    service_code: str,
    slot_start: dt.datetime | None,
    phone: str,
    at: dt.datetime | None = None,
    source: str = "",
) -> Booking:
    """Book one place of a 30-minute slot and send the 6-digit check-in code by SMS (no login: the customer).

    ``source`` is the client's address; attempts from one address are limited (``BOOKING_LIMIT``).
    """
    _throttle("book", source, BOOKING_LIMIT, "phone")
    now = at or timezone.now()
    service = bookable_services(hall=hall).filter(code=service_code).first()
    if service is None:
        raise Invalid(_("Choose a business type."), field="service", code="unknown_service")
    if not (phone or "").strip():
        raise Invalid(_("Enter your mobile number: the code is sent to it."), field="phone", code="required")
    try:
        phone = normalize_phone(phone)
    except Invalid:
        raise Invalid(_("This is not a valid mobile number."), field="phone", code="invalid_phone") from None
    if slot_start is None:
        raise Invalid(_("Choose a time slot."), field="slot", code="required")
    local = slot_start.astimezone(hall.tz)
    if (
        local.date() not in booking_days(hall=hall, at=now)
        or slot_start <= now
        or local not in slot_starts(hall=hall, day=local.date())
    ):
        raise Invalid(_("This time slot cannot be booked: choose another."), field="slot", code="invalid_slot")
    day = local.date()
    if Booking.objects.filter(hall=hall, day=day, phone=phone, state=BookingState.BOOKED).exists():
        raise Invalid(_("This number already has a booking on that day."), field="phone", code="already_booked")
    capacity = slot_capacity(hall=hall, service=service)
    english = (get_language() or "").startswith("en")  # the SMS in the language the customer booked in
    for _attempt in range(_ATTEMPTS):
        try:
            with transaction.atomic():
                taken = _taken_seats(hall, service.pk, slot_start)
                free = [seat for seat in range(1, capacity + 1) if seat not in taken]
                if not free:
                    raise Invalid(_("This time slot is fully booked: choose another."), field="slot", code="slot_full")
                booking = Booking.objects.create(
                    hall=hall,
                    service=service,
                    slot_start=slot_start,
                    day=day,
                    seat=free[0],
                    phone=phone,
                    code=_new_code(hall, day),
                    created_at=now,
                )
                event_record(
                    hall_id=hall.pk,
                    kind="booking.created",
                    at=now,
                    data={"booking": booking.pk, "service": service.code, "slot": slot_start.isoformat()},
                )
                audit_record(
                    actor=None,
                    action="booking.create",
                    object_type="booking",
                    object_id=booking.pk,
                    hall_id=hall.pk,
                    customer_ref=mask_phone(phone),
                    at=now,
                )
                body = _(
                    "[HallOps] Your visit to %(hall)s on %(day)s at %(time)s (%(service)s) is booked. "
                    "Check-in code: %(code)s. Enter it at the kiosk or show it to the greeter from 30 minutes "
                    "before to 15 minutes after your time."
                ) % {
                    "hall": hall.name_en if english and hall.name_en else hall.name,
                    "day": local.strftime("%Y-%m-%d"),
                    "time": local.strftime("%H:%M"),
                    "service": service.name_en if english else service.name_zh,
                    "code": booking.code,
                }
                # Stored with the booking (the default backend is an outbox): both commit or neither.
                notification_send(to=phone, body=body, hall_id=hall.pk, purpose="booking_code")
            return booking
        except IntegrityError:  # another booking took the same place (or code) meanwhile: read again
            continue
    raise Conflict(_("Many bookings at once: please try again."), field="slot", code="retry")


@dataclass(frozen=True)
class CheckIn:
    booking: Booking
    issue: IssueResult


def _normalize_code(code: str) -> str:
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        raise Invalid(_("Enter the 6-digit booking code from the SMS."), field="code", code="invalid_code")
    return code


def booking_check_in(
    *, actor: Actor, hall: Hall, code: str, channel: str = Channel.KIOSK, at: dt.datetime | None = None
) -> CheckIn:
    """Check a booking in with its code: from 30 minutes before to 15 after its slot, an appointment ticket."""
    code = _normalize_code(code)
    now = at or timezone.now()
    today = now.astimezone(hall.tz).date()
    days = [today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)]
    with transaction.atomic():
        candidates = list(
            Booking.objects.select_for_update(of=("self",))
            .select_related("service", "ticket")
            .filter(hall=hall, code=code, day__in=days)
        )
        if not candidates:
            raise NotFound(_("No booking with this code in this hall."), field="code", code="unknown_code")
        booking = min(candidates, key=lambda b: abs((b.slot_start - now).total_seconds()))
        if booking.state == BookingState.CHECKED_IN:
            number = booking.ticket.number if booking.ticket else ""
            raise Conflict(
                _("This booking is already checked in (ticket %(number)s).") % {"number": number},
                field="code",
                code="already_checked_in",
            )
        if booking.state == BookingState.NO_SHOW:
            raise Conflict(_("This booking has expired: its time has passed."), field="code", code="expired")
        if booking.state == BookingState.CANCELLED:
            raise Conflict(_("This booking was cancelled."), field="code", code="cancelled")
        opens, closes = check_in_window(booking)
        if now < opens:
            raise Invalid(
                _("Too early: check-in for this booking opens at %(time)s.") % {"time": _local(opens, hall)},
                field="code",
                code="too_early",
            )
        if now > closes:
            raise Invalid(
                _("Too late: check-in for this booking closed at %(time)s. Please take a normal ticket.")
                % {"time": _local(closes, hall)},
                field="code",
                code="too_late",
            )
        issue = ticket_issue(
            actor=actor,
            hall=hall,
            service_code=booking.service.code,
            channel=Channel.APPOINTMENT,
            priority=Priority.APPOINTMENT.value,
            phone=booking.phone,
            at=now,
        )
        _transition(booking, "check_in")
        booking.ticket = issue.ticket
        booking.checked_in_at = now
        booking.save(update_fields=["state", "ticket", "checked_in_at"])
        event_record(
            hall_id=hall.pk,
            kind="booking.checked_in",
            at=now,
            actor_id=actor.user_id,
            ticket=issue.ticket,
            data={"booking": booking.pk, "service": booking.service.code, "channel": channel},
        )
        audit_record(
            actor=actor,
            action="booking.check_in",
            object_type="booking",
            object_id=booking.pk,
            hall_id=hall.pk,
            customer_ref=mask_phone(booking.phone),
            at=now,
            detail={"number": issue.ticket.number, "channel": channel},
        )
    return CheckIn(booking=booking, issue=issue)


def booking_cancel(*, hall: Hall, code: str, phone: str, at: dt.datetime | None = None, source: str = "") -> Booking:
    """The customer cancels with the code and the phone it was sent to; the place is freed for others.

    Attempts per client address are limited (``CANCEL_LIMIT``), so codes cannot be tried one after another.
    """
    _throttle("book-cancel", source, CANCEL_LIMIT, "code")
    code = _normalize_code(code)
    try:
        phone = normalize_phone(phone)
    except Invalid:
        raise Invalid(_("This is not a valid mobile number."), field="phone", code="invalid_phone") from None
    now = at or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update()
            .filter(hall=hall, code=code, phone=phone, state=BookingState.BOOKED, slot_start__gt=now)
            .order_by("slot_start")
            .first()
        )
        if booking is None:
            raise NotFound(_("No upcoming booking with this code and number."), field="code", code="unknown_code")
        _transition(booking, "cancel")
        booking.seat = None
        booking.closed_at = now
        booking.save(update_fields=["state", "seat", "closed_at"])
        event_record(hall_id=hall.pk, kind="booking.cancelled", at=now, data={"booking": booking.pk})
        audit_record(
            actor=None,
            action="booking.cancel",
            object_type="booking",
            object_id=booking.pk,
            hall_id=hall.pk,
            customer_ref=mask_phone(phone),
            at=now,
        )
    return booking


def booking_mark_no_show(*, booking_id: int, at: dt.datetime | None = None) -> bool:
    """One booking not checked in by its slot's end plus the grace becomes no_show (False if it moved on)."""
    now = at or timezone.now()
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("service")
            .filter(pk=booking_id, state=BookingState.BOOKED)
            .first()
        )
        if booking is None:
            return False
        _transition(booking, "no_show")
        booking.closed_at = now
        booking.save(update_fields=["state", "closed_at"])
        event_record(
            hall_id=booking.hall_id,
            kind="booking.no_show",
            at=now,
            data={"booking": booking.pk, "service": booking.service.code, "slot": booking.slot_start.isoformat()},
        )
    return True
