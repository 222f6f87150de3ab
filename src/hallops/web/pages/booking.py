"""Hall visit booking, /hall/<code>/book/ (no login): pick a business type, a day and a 30-minute slot,
enter a mobile number, get the check-in code by SMS. Full slots and bad input are refused next to the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hallops.booking import selectors as bs
from hallops.booking.services import booking_cancel, booking_create
from hallops.core.masking import mask_phone
from hallops.errors import DomainError
from hallops.organisation.models import Hall

SALT = "hallops.booking.done"
FIELDS = ("service", "day", "slot", "phone")


def _hall(code: str) -> Hall:
    hall = bs.hall_by_code(code)
    if hall is None:
        raise Http404("hall not found")
    return hall


def _day(hall: Hall, raw: str, days: list[dt.date]) -> dt.date:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return days[0]
    return day if day in days else days[0]


def _context(request: HttpRequest, hall: Hall, data: Any, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    services = list(bs.bookable_services(hall=hall))
    days = bs.booking_days(hall=hall, at=now)
    service = next((s for s in services if s.code == data.get("service")), None)
    day = _day(hall, data.get("day", ""), days)
    slots = bs.day_slots(hall=hall, service=service, day=day, at=now) if service else []
    ctx: dict[str, Any] = {
        "hall": hall,
        "services": services,
        "days": days,
        "service": service,
        "day": day,
        "slots": slots,
        "slot": data.get("slot", ""),
        "phone": data.get("phone", ""),
        "errors": {},
        "cancel": {"code": "", "phone": "", "error": "", "field": ""},
        "cancelled": request.GET.get("cancelled") == "1",
    }
    ctx.update(extra)
    return ctx


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, code: str) -> HttpResponse:
    hall = _hall(code)
    if request.method == "GET":
        return render(request, "web/booking/page.html", _context(request, hall, request.GET))
    post = request.POST
    try:
        booking = booking_create(
            hall=hall,
            service_code=post.get("service", ""),
            slot_start=bs.parse_slot(hall=hall, value=post.get("slot", "")),
            phone=post.get("phone", ""),
            source=request.META.get("REMOTE_ADDR") or "",
        )
    except DomainError as exc:
        field = exc.field if exc.field in FIELDS else "slot"
        ctx = _context(request, hall, post, errors={field: exc.message})
        return render(request, "web/booking/page.html", ctx, status=exc.status)
    ref = signing.dumps(booking.pk, salt=SALT)
    return HttpResponseRedirect(f"/hall/{hall.code}/book/done/{ref}/", status=303)


@require_GET
def book_slots(request: HttpRequest, code: str) -> HttpResponse:
    """The slot picker for the chosen business type and day (htmx, when either changes)."""
    hall = _hall(code)
    return render(request, "web/booking/_slots.html", _context(request, hall, request.GET))


@require_GET
def book_done(request: HttpRequest, code: str, ref: str) -> HttpResponse:
    """The confirmation: when, what, and where the code went (masked); the code itself only by SMS."""
    hall = _hall(code)
    try:
        booking_id = int(signing.loads(ref, salt=SALT, max_age=24 * 3600))
    except (signing.BadSignature, TypeError, ValueError):
        raise Http404("booking not found") from None
    booking = bs.booking_by_id(hall=hall, booking_id=booking_id)
    if booking is None:
        raise Http404("booking not found")
    opens, closes = bs.check_in_window(booking)
    ctx = {
        "hall": hall,
        "booking": booking,
        "slot_local": booking.slot_start.astimezone(hall.tz),
        "slot_end_local": (booking.slot_start + bs.SLOT).astimezone(hall.tz),
        "opens_local": opens.astimezone(hall.tz),
        "closes_local": closes.astimezone(hall.tz),
        "masked_phone": mask_phone(booking.phone),
    }
    return render(request, "web/booking/done.html", ctx)


@require_POST
def book_cancel(request: HttpRequest, code: str) -> HttpResponse:
    hall = _hall(code)
    form = {"code": request.POST.get("code", "").strip()[:12], "phone": request.POST.get("phone", "").strip()[:30]}
    try:
        booking_cancel(hall=hall, code=form["code"], phone=form["phone"], source=request.META.get("REMOTE_ADDR") or "")
    except DomainError as exc:
        cancel = {**form, "error": exc.message, "field": exc.field if exc.field in ("code", "phone") else "code"}
        ctx = _context(request, hall, {}, cancel=cancel)
        return render(request, "web/booking/page.html", ctx, status=exc.status)
    return HttpResponseRedirect(f"/hall/{hall.code}/book/?cancelled=1", status=303)
