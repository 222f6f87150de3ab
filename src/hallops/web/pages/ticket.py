"""The customer's ticket page, /t/<token>/ (from the QR code; no login: the token is the credential).

Live over the hall's stream (``data-live-query="ticket=<token>"``): position and wait refresh after every
event, and "please go to counter 3" shows the moment the ticket is called. After a transfer the token given
to the customer follows the ticket to the counter it was sent to. A waiting customer can leave the queue.
No personal data is shown.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from hallops.errors import DomainError
from hallops.hall.models import Ticket
from hallops.hall.services import ticket_cancel_by_customer
from hallops.web.pages import customer_selectors as cs
from hallops.web.pages.taps import error_text


def _not_found(request: HttpRequest) -> HttpResponse:
    return render(request, "web/ticket/not_found.html", {}, status=404)


def _context(original: Ticket) -> dict[str, Any]:
    ticket = cs.live_ticket(original)
    hall = ticket.hall
    return {
        "token": original.token,
        "hall": hall,
        "state": cs.ticket_state(ticket=ticket, at=timezone.now()),
        "transferred": ticket.pk != original.pk,
    }


@require_GET
def ticket_page(request: HttpRequest, token: str) -> HttpResponse:
    original = cs.ticket_by_token(token)
    if original is None:
        return _not_found(request)
    hall = original.hall
    live_seq = hall.event_seq  # read before the ticket: an event in between shows as a gap and reloads
    ctx = _context(original)
    ctx.update(live_hall=hall, live_seq=live_seq)
    return render(request, "web/ticket/page.html", ctx)


@require_GET
def ticket_status(request: HttpRequest, token: str) -> HttpResponse:
    """The status panel (htmx refresh after each hall event)."""
    original = cs.ticket_by_token(token)
    if original is None:
        return _not_found(request)
    return render(request, "web/ticket/_status.html", _context(original))


@require_http_methods(["GET", "POST"])
def ticket_cancel(request: HttpRequest, token: str) -> HttpResponse:
    """Leave the queue: GET asks to confirm, POST cancels (only while waiting)."""
    original = cs.ticket_by_token(token)
    if original is None:
        return _not_found(request)
    error, status = "", 200
    if request.method == "POST":
        live = cs.live_ticket(original)
        try:
            ticket_cancel_by_customer(token=live.token)
        except DomainError as exc:
            error, status = error_text(exc), exc.status
        else:
            return HttpResponseRedirect(f"/t/{original.token}/", status=303)
    ctx = _context(original)
    ctx["error"] = error
    return render(request, "web/ticket/cancel.html", ctx, status=status)
