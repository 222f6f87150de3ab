"""The rating pad, /hall/<code>/rate/<counter>/: after "done" at its counter, the customer rates the service.

Opened by the rating pad paired to that counter (a pad of another counter gets 404), or by staff who work the
counters (agents, managers, administrators) as a preview. The pad shows an idle screen; when the counter finishes
a transaction it asks for a rating (live, on the hall's events), thanks the customer, and goes back to idle.
Ratings go through ``hallops.feedback.services.rating_submit`` (once per transaction, in the rating window).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hallops.accounts.models import Device
from hallops.core.roles import Action
from hallops.errors import DomainError
from hallops.feedback.models import Reason, Score
from hallops.feedback.selectors import counter_for_pad, transaction_awaiting_rating
from hallops.feedback.services import rating_submit
from hallops.organisation.models import Counter
from hallops.web.access import Page, request_device, resolve_page
from hallops.web.render import render_page, render_partial

THANKS_SECONDS = 6
RATING_ERRORS = {
    "already_rated": gettext_lazy("This service has already been rated. Thank you!"),
    "window_closed": gettext_lazy("The time to rate this service is over."),
    "not_finished": gettext_lazy("This service is not finished yet."),
    "role_not_allowed": gettext_lazy("Preview only: customers rate on the pad paired to this counter."),
}


def _resolve(request: HttpRequest, code: str, number: int) -> tuple[Page, Counter] | HttpResponse:
    """The pad of this counter, or staff who work the counters (preview); a pad of another counter is 404."""
    device = request_device(request)
    if device is not None and device.kind == Device.Kind.RATING_PAD:
        page = resolve_page(request, code, Action.RATING_SUBMIT, devices=(Device.Kind.RATING_PAD,))
        if isinstance(page, Page) and page.device is not None and page.device.counter_number != number:
            raise Http404("counter not found")
    else:
        page = resolve_page(request, code, Action.COUNTER_OPERATE)
    if isinstance(page, HttpResponse):
        return page
    counter = counter_for_pad(hall=page.hall, number=number) if 0 <= number < 2**15 else None
    if counter is None:
        raise Http404("counter not found")
    return page, counter


def _context(page: Page, counter: Counter, **extra: Any) -> dict[str, Any]:
    tx = transaction_awaiting_rating(hall=page.hall, counter_number=counter.number, at=timezone.now())
    agent = tx.agent if tx is not None else counter.agent
    return {
        "counter": counter,
        "tx": tx,
        "service": tx.service.label if tx is not None else "",
        "agent_name": (agent.get_full_name() or agent.get_username()) if agent is not None else "",
        "scores": [Score.VERY_SATISFIED, Score.SATISFIED, Score.DISSATISFIED],
        "reasons": Reason.choices,
        "can_submit": page.actor.can(page.hall.pk, Action.RATING_SUBMIT),
        "preview": not page.is_device,
        "base": f"/hall/{page.hall.code}/rate/{counter.number}/",
        "thanks_seconds": THANKS_SECONDS,
        "state": "question" if tx is not None else "idle",
        **extra,
    }


@require_GET
def rate_page(request: HttpRequest, code: str, number: int) -> HttpResponse:
    resolved = _resolve(request, code, number)
    if isinstance(resolved, HttpResponse):
        return resolved
    page, counter = resolved
    return render_page(request, "web/rating/page.html", page, _context(page, counter))


@require_GET
def rate_state(request: HttpRequest, code: str, number: int) -> HttpResponse:
    resolved = _resolve(request, code, number)
    if isinstance(resolved, HttpResponse):
        return resolved
    page, counter = resolved
    return render_partial(request, "web/rating/_pad.html", page, _context(page, counter))


@require_POST
def rate_submit(request: HttpRequest, code: str, number: int) -> HttpResponse:
    resolved = _resolve(request, code, number)
    if isinstance(resolved, HttpResponse):
        return resolved
    page, counter = resolved
    template = "web/rating/_pad.html" if request.headers.get("HX-Request") else "web/rating/page.html"
    render = render_partial if request.headers.get("HX-Request") else render_page
    try:
        score = int(request.POST.get("score", "0"))
        tx_id = int(request.POST.get("transaction", "0"))
    except ValueError:
        score, tx_id = 0, 0
    try:
        rating = rating_submit(
            actor=page.actor,
            hall=page.hall,
            counter_number=counter.number,
            transaction_id=tx_id,
            score=score,
            reasons=request.POST.getlist("reasons"),
            comment=request.POST.get("comment", "")[:1000],
        )
    except DomainError as exc:
        message = RATING_ERRORS.get(exc.code, exc.message)
        return render(request, template, page, _context(page, counter, error=str(message)), status=exc.status)
    return render(request, template, page, _context(page, counter, state="thanks", rating=rating))
