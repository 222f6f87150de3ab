"""The hall's devices: list, add (one-time pairing code shown once), new code, revoke.

Writes go through ``hallops.accounts.devices``. A new pairing code is kept in the manager's session only until
the next page view shows it (so a reload neither shows it again nor creates a second device).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from hallops.accounts.devices import PAIRING_MINUTES, device_create, device_new_code, device_revoke
from hallops.accounts.models import Device
from hallops.core.roles import Action
from hallops.errors import DomainError, NotFound
from hallops.hall.screens import hall_device, hall_devices
from hallops.hall.selectors import counters_for_hall
from hallops.web.access import Page, hall_page
from hallops.web.render import render_page
from hallops.web.templatetags.hall_screens import DEVICE_KIND_LABELS

_SESSION_KEY = "hallops_pairing_code"


class DeviceForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=list(DEVICE_KIND_LABELS.items()))
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("Where it stands, e.g. “Waiting area TV” or “Entrance kiosk”."),
    )
    counter_number = forms.TypedChoiceField(
        label=gettext_lazy("Counter (rating pads only)"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, counters: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["counter_number"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((n, str(n)) for n in counters)]


def _service_error(exc: DomainError) -> tuple[str | None, str]:
    """The form field and the message (in the page's language) for a service's refusal."""
    if exc.field == "counter_number":
        return "counter_number", _("A rating pad belongs to one counter of this hall: choose it.")
    if exc.field == "kind":
        return "kind", _("Choose what kind of device this is.")
    return None, exc.message


def _remember_code(request: HttpRequest, page: Page, device: Device, code: str) -> None:
    expires = timezone.now() + dt.timedelta(minutes=PAIRING_MINUTES)
    request.session[_SESSION_KEY] = {
        "hall": page.hall.pk,
        "device": device.pk,
        "code": code,
        "expires": expires.isoformat(),
    }


def _take_code(request: HttpRequest, page: Page) -> dict[str, Any] | None:
    shown = request.session.pop(_SESSION_KEY, None)
    if not shown or shown.get("hall") != page.hall.pk:
        return None
    device = Device.objects.filter(pk=shown["device"], hall=page.hall).first()
    if device is None:
        return None
    return {
        "device": device,
        "code": shown["code"],
        "expires": dt.datetime.fromisoformat(shown["expires"]),
    }


def _device(page: Page, device_id: int) -> Device:
    try:
        return hall_device(hall=page.hall, device_id=device_id)
    except NotFound:
        raise Http404("device not found") from None


def _list_url(page: Page) -> str:
    return f"/hall/{page.hall.code}/devices/"


@require_http_methods(["GET", "POST"])
@hall_page(Action.DEVICE_MANAGE)
def devices(request: HttpRequest, page: Page) -> HttpResponse:
    counters = [c.number for c in counters_for_hall(hall=page.hall)]
    status = 200
    if request.method == "POST":
        form = DeviceForm(request.POST, counters=counters)
        if form.is_valid():
            try:
                device, code = device_create(
                    actor=page.actor,
                    hall=page.hall,
                    kind=form.cleaned_data["kind"],
                    name=form.cleaned_data["name"],
                    counter_number=form.cleaned_data["counter_number"],
                )
            except DomainError as exc:
                form.add_error(*_service_error(exc))
            else:
                _remember_code(request, page, device, code)
                return HttpResponseRedirect(_list_url(page))
        status = 422
    else:
        form = DeviceForm(counters=counters)
    context = {
        "form": form,
        "devices": list(hall_devices(hall=page.hall)),
        "shown": _take_code(request, page) if request.method == "GET" else None,
        "now": timezone.now(),
        "pairing_minutes": PAIRING_MINUTES,
        "nav": "devices",
    }
    response = render_page(request, "web/devices/devices.html", page, context, status=status)
    response["Cache-Control"] = "no-store"  # the pairing code must not stay in a cache
    return response


@require_POST
@hall_page(Action.DEVICE_MANAGE)
def new_code(request: HttpRequest, page: Page, device_id: int) -> HttpResponse:
    device = _device(page, device_id)
    if device.revoked_at is not None:
        messages.error(request, _("A revoked device cannot be paired again: add a new device."))
        return HttpResponseRedirect(_list_url(page))
    code = device_new_code(actor=page.actor, device=device)
    _remember_code(request, page, device, code)
    return HttpResponseRedirect(_list_url(page))


@require_POST
@hall_page(Action.DEVICE_MANAGE)
def revoke(request: HttpRequest, page: Page, device_id: int) -> HttpResponse:
    device = _device(page, device_id)
    if device.revoked_at is None:
        device_revoke(actor=page.actor, device=device)
        messages.success(
            request, _("%(name)s is revoked: it can no longer open its screen.") % {"name": device.name or device.pk}
        )
    return HttpResponseRedirect(_list_url(page))
