"""The counter workstation, /hall/<code>/counter/<number>/: open, call, time and finish transactions.

Every action is an htmx POST to ``do/<action>/`` that calls one service of ``hallops.hall.services`` (the same
calls as the API) and answers the re-rendered panel; a refused action answers the panel with the reason inline
and the service's status (409, 422 …), having written nothing. The panel also reloads on hall events.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hallops.core.roles import Action
from hallops.errors import DomainError, Forbidden, Invalid
from hallops.hall import services
from hallops.hall.models import NotCompletedReason, Outcome
from hallops.organisation.models import Counter
from hallops.web.access import Page, hall_page
from hallops.web.pages.counter_selectors import counter_desk, counter_in_hall
from hallops.web.pages.preaccept_selectors import preorder_view
from hallops.web.render import render_page, render_partial

REVEALED_KEY = "hallops_revealed_pre_orders"
REVEALED_KEEP = 50

# What the agent reads when the service refuses, by the error's code (the service's English message otherwise).
ERROR_TEXT = {
    "counter_in_use": gettext_lazy("Another agent or browser session holds this counter."),
    "counter_closed": gettext_lazy("The counter is closed: open it first."),
    "counter_paused": gettext_lazy("The counter is paused: resume it first."),
    "transaction_open": gettext_lazy("Finish the current transaction first."),
    "no_transaction": gettext_lazy("There is no transaction in progress at this counter."),
    "illegal_transition": gettext_lazy("That step is not possible in the transaction's current state."),
    "parked_tickets": gettext_lazy("Resume or transfer the parked tickets before closing."),
    "no_ticket": gettext_lazy("A walk-in customer has no ticket for that step."),
    "not_served_here": gettext_lazy("That counter does not serve this business type."),
    "held_elsewhere": gettext_lazy("The ticket is held by another counter."),
    "no_show_expired": gettext_lazy("The missed number has expired."),
    "invalid_number": gettext_lazy("That is not a ticket number (e.g. A012)."),
    "unknown_service": gettext_lazy("Choose a business type."),
    "unknown_counter": gettext_lazy("There is no such counter in this hall."),
    "duplicate": gettext_lazy("That business type is already part of this visit."),
    "role_not_allowed": gettext_lazy("Your role does not allow this."),
}
FIELD_TEXT = {
    ("required", "reason"): gettext_lazy("Give a reason for the pause."),
    ("required", "service"): gettext_lazy("Choose a business type or a counter to transfer to."),
    ("invalid_choice", "reason"): gettext_lazy("Choose the reason why the transaction was not completed."),
    ("invalid_choice", "outcome"): gettext_lazy("Choose the outcome."),
    ("not_found", "number"): gettext_lazy("There is no such ticket number today."),
    ("not_found", "ticket"): gettext_lazy("That ticket was not found."),
}


def error_text(exc: DomainError) -> str:
    text = FIELD_TEXT.get((exc.code, exc.field or "")) or ERROR_TEXT.get(exc.code)
    return str(text) if text is not None else exc.message


def _int(value: str, field: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise Invalid("not a number", field=field, code="invalid_number" if field == "number" else "unknown_counter")
    return int(value)


def _revealed(request: HttpRequest) -> list[int]:
    return [int(x) for x in request.session.get(REVEALED_KEY, []) if isinstance(x, int)]


def _reveal(request: HttpRequest, page: Page, counter: Counter) -> str:
    desk = counter_desk(counter=counter, actor=page.actor, at=timezone.now())
    pre = desk.transaction.pre_order if desk.transaction else None
    if pre is None:
        raise Invalid("no pre-order to show", field="pre_order", code="no_pre_order")
    if not services.preorder_reveal(actor=page.actor, pre_order=pre):
        raise Forbidden("your role may not see personal data", field="pre_order", code="role_not_allowed")
    request.session[REVEALED_KEY] = [*_revealed(request), pre.pk][-REVEALED_KEEP:]
    return ""


def _quiet(_result: object) -> str:
    """An action that needs no note: the re-rendered panel shows what changed."""
    return ""


def _call_note(result: services.CallResult | None) -> str:
    if result is None:
        return _("Nobody is waiting for what this counter serves.")
    return _("Called %(number)s.") % {"number": result.ticket.number}


def _actions(page: Page, counter: Counter, post: QueryDict) -> dict[str, Callable[[], str]]:
    """Each action of the workstation: one service call; answers a short note for the agent (or "")."""
    a, cid = page.actor, counter.pk

    def service(name: str = "service") -> str:
        return (post.get(name) or "").strip()

    def done() -> str:
        outcome = post.get("outcome") or Outcome.COMPLETED
        reason = post.get("reason", "") if outcome == Outcome.NOT_COMPLETED else ""
        services.counter_complete(actor=a, counter_id=cid, outcome=outcome, reason=reason)
        return ""

    def transfer() -> str:
        child = services.counter_transfer(
            actor=a,
            counter_id=cid,
            service_code=service() or None,
            to_counter_number=_int(post.get("to_counter", ""), "counter"),
        )
        return _("%(number)s transferred.") % {"number": child.number}

    def no_show() -> str:
        ticket = services.counter_no_show(actor=a, counter_id=cid)
        return _("%(number)s marked as a no-show.") % {"number": ticket.number}

    def park() -> str:
        ticket = services.counter_park(actor=a, counter_id=cid)
        return _("%(number)s parked: resume it when the customer is back.") % {"number": ticket.number}

    def resume() -> str:
        ticket_id = _int(post.get("ticket", ""), "ticket") or 0
        return _call_note(services.counter_resume(actor=a, counter_id=cid, ticket_id=ticket_id))

    return {
        "open": lambda: _quiet(services.counter_open(actor=a, counter_id=cid)),
        "pause": lambda: _quiet(services.counter_pause(actor=a, counter_id=cid, reason=post.get("reason", ""))),
        "close": lambda: _quiet(services.counter_close(actor=a, counter_id=cid)),
        "call-next": lambda: _call_note(services.counter_call_next(actor=a, counter_id=cid)),
        "call": lambda: _call_note(
            services.counter_call(actor=a, counter_id=cid, number=(post.get("number") or "").strip().upper())
        ),
        "recall": lambda: _quiet(services.counter_recall(actor=a, counter_id=cid)),
        "no-show": no_show,
        "transfer": transfer,
        "park": park,
        "resume": resume,
        "add-service": lambda: _quiet(services.counter_add_service(actor=a, counter_id=cid, service_code=service())),
        "walk-in": lambda: _quiet(services.counter_walk_in(actor=a, counter_id=cid, service_code=service())),
        "arrive": lambda: _quiet(services.counter_arrive(actor=a, counter_id=cid)),
        "communication": lambda: _quiet(services.counter_start_communication(actor=a, counter_id=cid)),
        "operation": lambda: _quiet(services.counter_start_operation(actor=a, counter_id=cid)),
        "done": done,
    }


def _counter(page: Page, number: int) -> Counter:
    counter = counter_in_hall(hall=page.hall, number=number)
    if counter is None:
        raise Http404("counter not found")
    return counter


def _context(request: HttpRequest, page: Page, counter: Counter, **extra: Any) -> dict[str, Any]:
    counter = _counter(page, counter.number)  # read again: an action has just changed it
    desk = counter_desk(counter=counter, actor=page.actor, at=timezone.now())
    pre = desk.transaction.pre_order if desk.transaction else None
    revealed = pre is not None and pre.pk in _revealed(request)
    return {
        "desk": desk,
        "counter": desk.counter,
        "pre": preorder_view(pre, revealed=revealed) if pre is not None else None,
        "can_see_pii": page.actor.can(page.hall.pk, Action.CUSTOMER_VIEW_PII),
        "can_manage": page.actor.can(page.hall.pk, Action.COUNTER_MANAGE),
        "outcomes": [(Outcome.COMPLETED.value, Outcome.COMPLETED.label)],
        "reasons": NotCompletedReason.choices,
        "base": f"/hall/{page.hall.code}/counter/{counter.number}/",
        "wait_target_seconds": page.hall.wait_target_minutes * 60,
        "posted": {},
        **extra,
    }


def _respond(request: HttpRequest, page: Page, counter: Counter, *, status: int = 200, **extra: Any) -> HttpResponse:
    context = _context(request, page, counter, **extra)
    if request.headers.get("HX-Request"):  # the panel, and the action's message outside it (live reloads keep it)
        return render_partial(request, "web/counter/_action.html", page, context, status=status)
    return render_page(request, "web/counter/page.html", page, context, status=status)


@require_GET
@hall_page(Action.COUNTER_OPERATE)
def counter_page(request: HttpRequest, page: Page, number: int) -> HttpResponse:
    counter = _counter(page, number)
    return render_page(request, "web/counter/page.html", page, _context(request, page, counter))


@require_GET
@hall_page(Action.COUNTER_OPERATE)
def counter_panel(request: HttpRequest, page: Page, number: int) -> HttpResponse:
    counter = _counter(page, number)
    return render_partial(request, "web/counter/_panel.html", page, _context(request, page, counter))


@require_POST
@hall_page(Action.COUNTER_OPERATE)
def counter_action(request: HttpRequest, page: Page, number: int, action: str) -> HttpResponse:
    counter = _counter(page, number)
    actions = _actions(page, counter, request.POST)
    run = (lambda: _reveal(request, page, counter)) if action == "reveal" else actions.get(action)
    if run is None:
        raise Http404("unknown action")
    try:
        note = run()
    except DomainError as exc:
        return _respond(
            request,
            page,
            counter,
            status=exc.status,
            error=error_text(exc),
            error_field=exc.field,
            action=action,
            posted=request.POST,
        )
    return _respond(request, page, counter, note=note, action=action)
