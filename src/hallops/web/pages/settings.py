"""The hall's own settings: call announcements, display ticker, no-upselling threshold, wait target, no-shows.

Saved through ``organisation.services.hall_settings_update``: every rejected field is shown inline and nothing
is written; a saved change reaches the hall's displays at once (a hall event).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hallops.core.announce import call_phrase, call_text
from hallops.core.policy import NoShowPolicy
from hallops.core.roles import Action
from hallops.organisation.services import HALL_SETTINGS, SettingsInvalid, hall_settings_update
from hallops.web.access import Page, hall_page
from hallops.web.render import render_page

SAMPLE_NUMBER = "A001"
SAMPLE_COUNTER = 3


def _policy_choices() -> list[tuple[str, str]]:
    labels = {
        NoShowPolicy.KEEP: _("Keep the number: it can be called again for the minutes below"),
        NoShowPolicy.PUSH_BACK: _("Push the number back in the queue by the places below"),
        NoShowPolicy.CANCEL: _("Cancel the number: the customer takes a new ticket"),
    }
    return [(p.value, labels[p]) for p in NoShowPolicy]


def _values(page: Page) -> dict[str, Any]:
    return {name: getattr(page.hall, name) for name in HALL_SETTINGS}


@require_http_methods(["GET", "POST"])
@hall_page(Action.HALL_SETTINGS)
def hall_settings(request: HttpRequest, page: Page) -> HttpResponse:
    values = _values(page)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        submitted = {name: request.POST.get(name, "") for name in HALL_SETTINGS}
        try:
            changed = hall_settings_update(actor=page.actor, hall=page.hall, **submitted)
        except SettingsInvalid as exc:
            errors, values, status = exc.errors, submitted, 422
        else:
            messages.success(
                request, _("Saved. The hall's displays use the new settings now.") if changed else _("Nothing changed.")
            )
            return HttpResponseRedirect(f"/hall/{page.hall.code}/settings/")
    context = {
        "values": values,
        "errors": errors,
        "policies": _policy_choices(),
        "sample_number": SAMPLE_NUMBER,
        "sample_counter": SAMPLE_COUNTER,
        "sample_spoken": call_phrase(page.hall.call_phrase_zh, SAMPLE_NUMBER, SAMPLE_COUNTER),
        "sample_text_en": call_text(page.hall.call_phrase_en, SAMPLE_NUMBER, SAMPLE_COUNTER),
        "nav": "settings",
    }
    return render_page(request, "web/settings/settings.html", page, context, status=status)
