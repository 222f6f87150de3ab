"""Alerts on the screens: the floor view's alert board, the counter workstation's banner, the hall's alert log.

The board and the banner are htmx fragments that load with their page and reload on ``alert.*`` hall events
(and after a gap). Acknowledge and resolve are htmx POSTs to ``/hall/<code>/alerts/<id>/<ack|resolve>/`` that
call the same services as the API and answer the re-rendered fragment; a refusal answers the fragment with the
reason inline and the service's status (404, 409, 422 …), having written nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from hallops.alerts import selectors, services
from hallops.alerts.models import Alert, Kind, State
from hallops.alerts.services import alert_may_ack
from hallops.catalog.models import BusinessType
from hallops.core.roles import Action
from hallops.errors import DomainError, Invalid
from hallops.feedback.models import Reason
from hallops.organisation.models import Counter
from hallops.web.access import Page, hall_page
from hallops.web.pages.counter_selectors import counter_in_hall
from hallops.web.pages.floor import may_watch_floor
from hallops.web.render import render_page, render_partial
from hallops.web.templatetags.hall_screens import mmss

ERROR_TEXT = {
    "illegal_transition": gettext_lazy("This alert has already been handled: the list is now up to date."),
    "role_not_allowed": gettext_lazy("Your role does not allow this."),
    "not_found": gettext_lazy("That alert was not found."),
    "too_long": gettext_lazy("The note is too long (at most 500 characters)."),
}
HISTORY_STATES = ("open", "acknowledged", "resolved")


@dataclass(frozen=True)
class AlertRow:
    """One alert as a screen shows it."""

    alert: Alert
    text: str
    since: dt.datetime | None  # the start of the condition's own timer (service, wait, idle), if it has one
    limit_seconds: int | None  # that timer's allowance
    may_ack: bool
    may_resolve: bool

    @property
    def css(self) -> str:
        return {"critical": "red", "warning": "amber"}.get(self.alert.severity, "info")


def _when(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _label(services_by_code: dict[str, BusinessType], code: object) -> str:
    service = services_by_code.get(str(code)) if code else None
    return service.label if service is not None else str(code or "—")


def alert_text(alert: Alert, services_by_code: dict[str, BusinessType]) -> str:
    """The alert in one sentence of the page's language (named placeholders, never f-strings)."""
    d: dict[str, Any] = alert.data if isinstance(alert.data, dict) else {}
    counter = d.get("counter") or (alert.counter.number if alert.counter else "—")
    number = d.get("number") or d.get("oldest_number") or (alert.ticket.number if alert.ticket else None)
    if alert.kind == Kind.OVER_LIMIT:
        return _("Counter %(counter)s: %(number)s (%(service)s) is past its %(limit)s limit") % {
            "counter": counter,
            "number": number or _("walk-in"),
            "service": _label(services_by_code, d.get("service")),
            "limit": mmss(d.get("limit_seconds")),
        }
    if alert.kind == Kind.WAIT_OVER_TARGET:
        return _("%(service)s: %(number)s has waited more than %(target)s min; %(waiting)s waiting in all") % {
            "service": _label(services_by_code, d.get("service")),
            "number": number or "—",
            "target": d.get("target_minutes", "—"),
            "waiting": d.get("waiting", "—"),
        }
    if alert.kind == Kind.IDLE_COUNTER:
        return _("Counter %(counter)s is open but idle while %(waiting)s customers wait for its business types") % {
            "counter": counter,
            "waiting": d.get("waiting", "—"),
        }
    if alert.kind == Kind.DISSATISFIED_RATING:
        text = _("Counter %(counter)s: %(number)s rated the service “dissatisfied”") % {
            "counter": counter,
            "number": number or _("walk-in"),
        }
        reasons = [str(Reason(r).label) for r in d.get("reasons", []) if r in Reason.values]
        return text + (_(": %(reasons)s") % {"reasons": _(", ").join(reasons)} if reasons else "")
    if alert.kind == Kind.OPEN_COUNTERS:
        count = d.get("count")
        text = (
            _("Open %(count)s more counters") % {"count": count} if isinstance(count, int) else _("Open more counters")
        )
        detail = d.get("message") or d.get("reason")
        return text + (_(": %(detail)s") % {"detail": detail} if isinstance(detail, str) and detail else "")
    return str(alert.get_kind_display())


def _timer(alert: Alert) -> tuple[dt.datetime | None, int | None]:
    d: dict[str, Any] = alert.data if isinstance(alert.data, dict) else {}
    if alert.kind == Kind.OVER_LIMIT:
        limit = d.get("limit_seconds")
        return _when(d.get("service_since")), int(limit) if isinstance(limit, int | float) else None
    if alert.kind == Kind.WAIT_OVER_TARGET:
        target = d.get("target_minutes")
        return _when(d.get("oldest_issued_at")), int(target) * 60 if isinstance(target, int) else None
    if alert.kind == Kind.IDLE_COUNTER:
        return _when(d.get("needed_since") or d.get("idle_since")), None
    return None, None


def alert_rows(page: Page, alerts: list[Alert]) -> list[AlertRow]:
    by_code = selectors.alert_services(alerts)
    may_manage = page.actor.can(page.hall.pk, Action.ALERT_MANAGE)
    rows = []
    for alert in alerts:
        since, limit = _timer(alert) if alert.state != State.RESOLVED else (None, None)
        rows.append(
            AlertRow(
                alert=alert,
                text=alert_text(alert, by_code),
                since=since,
                limit_seconds=limit,
                may_ack=alert.state == State.OPEN and alert_may_ack(page.actor, alert),
                may_resolve=alert.state != State.RESOLVED and may_manage,
            )
        )
    return rows


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", {"action": Action.COUNTER_MANAGE.value}, status=403)


def _counter(page: Page, number: int) -> Counter:
    counter = counter_in_hall(hall=page.hall, number=number)
    if counter is None:
        raise Http404("counter not found")
    return counter


def _floor(request: HttpRequest, page: Page, *, status: int = 200, **extra: Any) -> HttpResponse:
    alerts = selectors.alerts_for_hall(hall=page.hall, limit=100)
    context = {"rows": alert_rows(page, alerts), "view": "floor", **extra}
    response = render_partial(request, "web/alerts/_board.html", page, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _banner(request: HttpRequest, page: Page, counter: Counter, *, status: int = 200, **extra: Any) -> HttpResponse:
    alerts = selectors.alerts_for_counter(counter=counter)
    context = {"rows": alert_rows(page, alerts), "view": "counter", "counter": counter, **extra}
    response = render_partial(request, "web/alerts/_banner.html", page, context, status=status)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@hall_page(Action.HALL_VIEW)
def floor_board(request: HttpRequest, page: Page) -> HttpResponse:
    """The floor view's alert board (htmx fragment): the hall's open and acknowledged alerts, newest first."""
    if not may_watch_floor(page):
        return _forbidden(request)
    return _floor(request, page)


@require_GET
@hall_page(Action.COUNTER_OPERATE)
def counter_banner(request: HttpRequest, page: Page, number: int) -> HttpResponse:
    """The counter workstation's banner (htmx fragment): the unresolved alerts about this counter."""
    return _banner(request, page, _counter(page, number))


@require_POST
@hall_page(Action.HALL_VIEW)
def alert_action(request: HttpRequest, page: Page, alert_id: int, action: str) -> HttpResponse:
    """Acknowledge or resolve, then answer the fragment the button was on (``view`` = floor | counter)."""
    if action not in ("ack", "resolve"):
        raise Http404("unknown action")
    view = request.POST.get("view", "floor")
    counter: Counter | None = None
    if view == "counter":
        number = request.POST.get("counter", "")
        if not number.isdigit() or len(number) > 5:
            raise Http404("counter not found")
        counter = _counter(page, int(number))
    elif not may_watch_floor(page):
        return _forbidden(request)
    error: DomainError | None = None
    try:
        if action == "ack":
            services.alert_ack(actor=page.actor, alert_id=alert_id, hall=page.hall)
        else:
            note = request.POST.get("note", "")
            if "\x00" in note:
                raise Invalid("the note holds a NUL character", field="note")
            services.alert_resolve(actor=page.actor, alert_id=alert_id, hall=page.hall, note=note)
    except DomainError as exc:
        error = exc
    extra: dict[str, Any] = {}
    status = 200
    if error is not None:
        status = error.status
        text = ERROR_TEXT.get(error.code)
        extra = {"error": str(text) if text is not None else error.message, "error_alert": alert_id}
    if counter is not None:
        return _banner(request, page, counter, status=status, **extra)
    return _floor(request, page, status=status, **extra)


@require_GET
@hall_page(Action.HALL_VIEW)
def alert_log(request: HttpRequest, page: Page) -> HttpResponse:
    """The hall's alert log (read-only; alerts are handled on the floor view): by state, newest first, at most 200."""
    if not may_watch_floor(page):
        return _forbidden(request)
    state = request.GET.get("state", "")
    states = (state,) if state in HISTORY_STATES else HISTORY_STATES
    alerts = selectors.alerts_for_hall(hall=page.hall, states=states, limit=selectors.LIST_MAX)
    context = {
        "rows": [replace(row, may_ack=False, may_resolve=False) for row in alert_rows(page, alerts)],  # read-only
        "state": state if state in HISTORY_STATES else "",
        "states": [(s, State(s).label) for s in HISTORY_STATES],
        "now": timezone.now(),
    }
    return render_page(request, "web/alerts/log.html", page, context)
