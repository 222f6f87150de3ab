"""The floor view's process panel: the hall's busy/idle mode, since when, the active effects of its rules and
the latest firings. Loaded with the floor view and reloaded on each ``process.changed`` hall event."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from hallops.core.roles import Action
from hallops.rules.selectors import process_panel
from hallops.web.access import Page, hall_page
from hallops.web.pages.floor import _forbidden, may_watch_floor
from hallops.web.render import render_partial


@require_GET
@hall_page(Action.HALL_VIEW)
def process(request: HttpRequest, page: Page) -> HttpResponse:
    """The panel's body (htmx fragment); for those who may watch the floor."""
    if not may_watch_floor(page):
        return _forbidden(request)
    response = render_partial(request, "web/rules/_process_body.html", page, {"process": process_panel(hall=page.hall)})
    response["Cache-Control"] = "no-store"
    return response
