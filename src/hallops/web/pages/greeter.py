"""The greeter's tablet at the hall entrance: pick the need, see the fastest route with its wait, issue the
ticket (priority, phone, override of self-service with a reason), print it; check in visit bookings."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from hallops.booking.services import booking_check_in
from hallops.core.policy import Priority
from hallops.core.roles import Action
from hallops.errors import DomainError, Invalid
from hallops.hall.models import Channel
from hallops.hall.services import ticket_issue
from hallops.web.access import Page, hall_page
from hallops.web.pages import customer_selectors as cs
from hallops.web.pages.taps import error_field, error_text, issue_once, new_tap
from hallops.web.render import render_page, render_partial

PRIORITIES = (Priority.NORMAL.value, Priority.ELDERLY.value, Priority.VIP.value)
ISSUE_FIELDS = ("service", "priority", "star_level", "phone", "override_reason")


def _context(page: Page, need_code: str, **extra: Any) -> dict[str, Any]:
    now = timezone.now()
    need = cs.need_by_code(code=need_code)
    ctx: dict[str, Any] = {
        "needs": cs.hall_needs(hall=page.hall, at=now),
        "need": need,
        "routes": cs.need_routes(hall=page.hall, service=need, at=now) if need else [],
        "forced": cs.need_forced(hall=page.hall, service=need) if need else False,
        "tap": new_tap(),
        "form": {"priority": Priority.NORMAL.value, "star_level": "", "phone": "", "override_reason": ""},
        "errors": {},
        "checkin_code": "",
        "checkin_error": "",
        "priorities": PRIORITIES,
        "stars": range(1, 6),
    }
    ctx.update(extra)
    return ctx


@require_GET
@hall_page(Action.TICKET_ISSUE_OVERRIDE)
def greeter(request: HttpRequest, page: Page) -> HttpResponse:
    return render_page(request, "web/greeter/page.html", page, _context(page, request.GET.get("need", "")))


@require_GET
@hall_page(Action.TICKET_ISSUE_OVERRIDE)
def greeter_needs(request: HttpRequest, page: Page) -> HttpResponse:
    """The need buttons with their live waits (refreshed after hall events)."""
    needs = cs.hall_needs(hall=page.hall, at=timezone.now())
    need = cs.need_by_code(code=request.GET.get("need", ""))
    return render_partial(request, "web/greeter/_needs.html", page, {"needs": needs, "need": need})


@require_GET
@hall_page(Action.TICKET_ISSUE_OVERRIDE)
def greeter_routes(request: HttpRequest, page: Page) -> HttpResponse:
    """The recommendation for the picked need with the current wait of each route."""
    need = cs.need_by_code(code=request.GET.get("need", ""))
    if need is None:
        raise Http404("unknown business type")
    routes = cs.need_routes(hall=page.hall, service=need, at=timezone.now())
    forced = cs.need_forced(hall=page.hall, service=need)
    return render_partial(request, "web/greeter/_routes.html", page, {"need": need, "routes": routes, "forced": forced})


def _star_level(raw: str) -> int:
    try:
        stars = int(raw)
    except (TypeError, ValueError):
        raise Invalid(_("A VIP ticket needs a star level from 1 to 5."), field="star_level") from None
    return stars


@require_POST
@hall_page(Action.TICKET_ISSUE_OVERRIDE)
def greeter_issue(request: HttpRequest, page: Page) -> HttpResponse:
    post = request.POST
    code = post.get("service", "")
    form = {k: post.get(k, "").strip() for k in ("priority", "star_level", "phone", "override_reason")}
    tap = post.get("tap", "")
    divert = post.get("action") == "divert"
    try:
        need = cs.need_by_code(code=code)
        if need is None:
            raise Invalid(_("Choose a business type."), field="service", code="unknown_service")
        priority = form["priority"] or Priority.NORMAL.value
        if priority not in PRIORITIES:
            raise Invalid(_("Choose a priority."), field="priority")
        stars = _star_level(form["star_level"]) if priority == Priority.VIP.value else 0
        reason = ""
        if cs.need_forced(hall=page.hall, service=need) and not divert:
            reason = form["override_reason"]
            if not reason:
                raise Invalid(
                    _("Give the reason for serving this at a counter (or send the customer to self-service)."),
                    field="override_reason",
                    code="required",
                )
        payload = {"hall": page.hall.code, "service": need.code, "priority": priority, "stars": stars}
        payload.update(phone=form["phone"], reason=reason, divert=divert)
        token = issue_once(
            actor=page.actor,
            tap=tap,
            payload=payload,
            work=lambda: (
                ticket_issue(
                    actor=page.actor,
                    hall=page.hall,
                    service_code=need.code,
                    channel=Channel.GREETER,
                    priority=priority,
                    star_level=stars,
                    phone=form["phone"],
                    override_reason=reason,
                ).ticket
            ),
        )
    except DomainError as exc:
        field = error_field(exc, ISSUE_FIELDS, "service")
        ctx = _context(page, code, form=form, errors={field: error_text(exc)}, tap=tap or new_tap())
        return render_page(request, "web/greeter/page.html", page, ctx, status=exc.status)
    return HttpResponseRedirect(f"/hall/{page.hall.code}/greeter/ticket/{token}/", status=303)


@require_POST
@hall_page(Action.TICKET_ISSUE_OVERRIDE)
def greeter_checkin(request: HttpRequest, page: Page) -> HttpResponse:
    """Check a visit booking in by its code: an appointment-priority ticket."""
    code = request.POST.get("code", "").strip()[:12]
    tap = request.POST.get("tap", "")
    try:
        token = issue_once(
            actor=page.actor,
            tap=tap,
            payload={"hall": page.hall.code, "checkin": code},
            work=lambda: (
                booking_check_in(actor=page.actor, hall=page.hall, code=code, channel=Channel.GREETER).issue.ticket
            ),
        )
    except DomainError as exc:
        ctx = _context(page, "", checkin_code=code, checkin_error=error_text(exc), tap=new_tap())
        return render_page(request, "web/greeter/page.html", page, ctx, status=exc.status)
    return HttpResponseRedirect(f"/hall/{page.hall.code}/greeter/ticket/{token}/", status=303)


@require_GET
@hall_page(Action.TICKET_ISSUE_OVERRIDE)
def greeter_ticket(request: HttpRequest, page: Page, token: str) -> HttpResponse:
    """The ticket just issued, ready to print (or the self-service instructions for a diverted need)."""
    ticket = cs.ticket_by_token(token)
    if ticket is None or ticket.hall_id != page.hall.pk:
        raise Http404("ticket not found")
    url = cs.ticket_url(ticket)
    ctx = {
        "slip": cs.ticket_state(ticket=ticket, at=timezone.now()),
        "url": url,
        "qr": cs.qr_svg(url),
        "paper": request.COOKIES.get("hallops_paper", "80"),
    }
    return render_page(request, "web/greeter/ticket.html", page, ctx)
