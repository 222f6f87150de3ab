"""The manager's floor view: every counter with its timers, the queue against the waiting-time target, alerts.

For the hall's managers and administrators; auditors may watch it too (read-only: the page has no actions,
and it shows ticket numbers, never customers' data). It refreshes on every hall event and every 15 seconds
(so that waits crossing the target show up even when nothing happens), and its timers tick in the browser.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from hallops.core.roles import Action
from hallops.hall.screens import floor_view
from hallops.web.access import Page, hall_page
from hallops.web.render import render_page, render_partial

#: Who may watch the floor: those who manage counters (managers, administrators) or read the audit (auditors).
FLOOR_ACTIONS = (Action.COUNTER_MANAGE, Action.AUDIT_VIEW)


def may_watch_floor(page: Page) -> bool:
    return any(page.actor.can(page.hall.pk, action) for action in FLOOR_ACTIONS)


def _forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "web/forbidden.html", {"action": Action.COUNTER_MANAGE.value}, status=403)


def _context(page: Page) -> dict[str, Any]:
    return {
        "floor": floor_view(hall=page.hall, at=timezone.now()),
        "read_only": not page.actor.can(page.hall.pk, Action.COUNTER_MANAGE),
    }


@require_GET
@hall_page(Action.HALL_VIEW)
def floor(request: HttpRequest, page: Page) -> HttpResponse:
    if not may_watch_floor(page):
        return _forbidden(request)
    return render_page(request, "web/floor/floor.html", page, _context(page))


@require_GET
@hall_page(Action.HALL_VIEW)
def panel(request: HttpRequest, page: Page) -> HttpResponse:
    """The floor's panels (htmx fragment)."""
    if not may_watch_floor(page):
        return _forbidden(request)
    response = render_partial(request, "web/floor/_panel.html", page, _context(page))
    response["Cache-Control"] = "no-store"
    return response
