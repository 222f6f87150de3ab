"""The self-service ticket kiosk: customer-facing, touch-sized, Chinese by default with an English switch.

A tap issues one ticket (a retried tap returns the same one) and leads to the printed slip; a business type
forced to self-service leads to its instructions instead, with no number. The screen goes back to its start
after a timeout. Opened by a paired kiosk (device cookie) or by staff of the hall who may issue tickets.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from hallops.booking.services import booking_check_in
from hallops.core.roles import Action
from hallops.errors import DomainError, Invalid
from hallops.hall.models import Channel
from hallops.hall.services import ticket_issue
from hallops.web.access import Page, hall_page
from hallops.web.pages import customer_selectors as cs
from hallops.web.pages.taps import error_text, issue_once, new_tap
from hallops.web.render import render_page, render_partial

KIOSK = dict(devices=("kiosk",))
PAPER_COOKIE = "hallops_paper"
PAPERS = ("58", "80")


def _lang(request: HttpRequest) -> str:
    """The customer's language for this visit (?lang=en): the next customer starts in the kiosk's own language."""
    lang = request.POST.get("lang") or request.GET.get("lang") or ""
    return lang if lang in ("en", "zh-hans") else ""


def customer_lang(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view in the customer's language when the visit chose one (the page's words and its errors)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        lang = _lang(request)
        if not lang:
            return view(request, *args, **kwargs)
        with translation.override(lang):
            return view(request, *args, **kwargs)

    return wrapper


def _suffix(request: HttpRequest) -> str:
    lang = _lang(request)
    return f"?lang={lang}" if lang else ""


def _home(page: Page) -> str:
    return f"/hall/{page.hall.code}/kiosk/"


def _start(request: HttpRequest, page: Page, *, error: str = "", status: int = 200) -> HttpResponse:
    needs = cs.hall_needs(hall=page.hall, at=timezone.now(), kiosk_only=True)
    ctx: dict[str, Any] = {"needs": needs, "tap": new_tap(), "lang": _lang(request), "error": error}
    return render_page(request, "web/kiosk/start.html", page, ctx, status=status)


@require_GET
@hall_page(Action.TICKET_ISSUE, **KIOSK)
@customer_lang
def kiosk(request: HttpRequest, page: Page) -> HttpResponse:
    response = _start(request, page)
    paper = request.GET.get("paper", "")
    if paper in PAPERS:  # the kiosk's printer: /kiosk/?paper=58 once when it is set up
        response.set_cookie(PAPER_COOKIE, paper, max_age=400 * 24 * 3600, samesite="Lax")
    return response


@require_GET
@hall_page(Action.TICKET_ISSUE, **KIOSK)
@customer_lang
def kiosk_needs(request: HttpRequest, page: Page) -> HttpResponse:
    """The business-type buttons with their live waits (refreshed after hall events)."""
    needs = cs.hall_needs(hall=page.hall, at=timezone.now(), kiosk_only=True)
    return render_partial(request, "web/kiosk/_needs.html", page, {"needs": needs})


@require_POST
@hall_page(Action.TICKET_ISSUE, **KIOSK)
@customer_lang
def kiosk_issue(request: HttpRequest, page: Page) -> HttpResponse:
    code = request.POST.get("service", "")
    try:
        need = cs.need_by_code(code=code)
        if need is None or not need.kiosk:
            raise Invalid(_("Choose a business type."), field="service", code="unknown_service")
        token = issue_once(
            actor=page.actor,
            tap=request.POST.get("tap", ""),
            payload={"hall": page.hall.code, "service": need.code},
            work=lambda: (
                ticket_issue(actor=page.actor, hall=page.hall, service_code=need.code, channel=Channel.KIOSK).ticket
            ),
        )
    except DomainError as exc:
        return _start(request, page, error=error_text(exc), status=exc.status)
    return HttpResponseRedirect(f"{_home(page)}ticket/{token}/{_suffix(request)}", status=303)


@require_http_methods(["GET", "POST"])
@hall_page(Action.TICKET_ISSUE, **KIOSK)
@customer_lang
def kiosk_checkin(request: HttpRequest, page: Page) -> HttpResponse:
    """Booking check-in: the customer types the 6-digit code from the SMS; an appointment ticket is printed."""
    code, error, status = "", "", 200
    if request.method == "POST":
        code = request.POST.get("code", "").strip()[:12]
        try:
            token = issue_once(
                actor=page.actor,
                tap=request.POST.get("tap", ""),
                payload={"hall": page.hall.code, "checkin": code},
                work=lambda: (
                    booking_check_in(actor=page.actor, hall=page.hall, code=code, channel=Channel.KIOSK).issue.ticket
                ),
            )
        except DomainError as exc:
            error, status = error_text(exc), exc.status
        else:
            return HttpResponseRedirect(f"{_home(page)}ticket/{token}/{_suffix(request)}", status=303)
    ctx = {"code": code, "error": error, "tap": new_tap(), "lang": _lang(request)}
    return render_page(request, "web/kiosk/checkin.html", page, ctx, status=status)


@require_GET
@hall_page(Action.TICKET_ISSUE, **KIOSK)
@customer_lang
def kiosk_ticket(request: HttpRequest, page: Page, token: str) -> HttpResponse:
    """The printed slip (printing starts by itself), or the self-service instructions for a diverted need."""
    ticket = cs.ticket_by_token(token)
    if ticket is None or ticket.hall_id != page.hall.pk:
        raise Http404("ticket not found")
    url = cs.ticket_url(ticket)
    paper = request.COOKIES.get(PAPER_COOKIE, "80")
    ctx = {
        "slip": cs.ticket_state(ticket=ticket, at=timezone.now()),
        "url": url,
        "qr": cs.qr_svg(url),
        "paper": paper if paper in PAPERS else "80",
        "lang": _lang(request),
    }
    return render_page(request, "web/kiosk/ticket.html", page, ctx)
