"""Who is looking at a page: a staff session or a paired device, scoped to one hall.

Pages use :func:`hall_page`: it resolves the hall from the URL, the caller (a logged-in staff member with a
role in that hall, or — on pages that accept devices — a paired device of that hall and kind) and checks the
action. Another hall's page answers 404, a role without the action 403, nobody logged in goes to the login
page (device pages to the pairing page as well).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.http import urlencode

from hallops.accounts.devices import COOKIE_NAME, device_for_cookie, device_role, device_seen
from hallops.accounts.models import Device
from hallops.core.roles import Action
from hallops.errors import Forbidden, NotFound
from hallops.organisation.access import Actor, actor_for_user, hall_for
from hallops.organisation.models import Hall

P = ParamSpec("P")


@dataclass(frozen=True)
class Page:
    """The caller of a hall page."""

    hall: Hall
    actor: Actor
    device: Device | None = None

    @property
    def is_device(self) -> bool:
        return self.device is not None


def request_device(request: HttpRequest) -> Device | None:
    """The paired device this request comes from (cookie), cached on the request."""
    if not hasattr(request, "_hallops_device"):
        device = device_for_cookie(request.COOKIES.get(COOKIE_NAME))
        if device is not None:
            device_seen(device)
        request._hallops_device = device  # type: ignore[attr-defined]
    return request._hallops_device  # type: ignore[attr-defined, no-any-return]


def staff_actor(request: HttpRequest) -> Actor | None:
    user = request.user
    if not user.is_authenticated:
        return None
    session_key = request.session.session_key or ""
    return actor_for_user(user, session_ref=f"web:{session_key[:20]}")  # type: ignore[arg-type]


def resolve_page(request: HttpRequest, code: str, action: Action, devices: Iterable[str] = ()) -> Page | HttpResponse:
    device = request_device(request) if devices else None
    if device is not None and device.kind in set(devices):
        if device.hall.code != code:
            raise Http404("hall not found")
        actor = actor_for_user(device.user, session_ref=f"device:{device.pk}", token_hall_id=device.hall_id)
        if not actor.can(device.hall_id, action):
            return HttpResponseForbidden()
        return Page(hall=device.hall, actor=actor, device=device)
    actor = staff_actor(request)
    if actor is None:
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"/login/?{query}")
    try:
        hall = hall_for(actor, code, action)
    except NotFound:
        raise Http404("hall not found") from None
    except Forbidden:
        return render(request, "web/forbidden.html", {"action": action.value}, status=403)
    return Page(hall=hall, actor=actor)


def hall_page(
    action: Action, *, devices: Iterable[str] = ()
) -> Callable[[Callable[Concatenate[HttpRequest, Page, P], HttpResponse]], Callable[..., HttpResponse]]:
    """Decorate a view ``(request, page, **kwargs)`` whose URL has ``<code>``: it runs only for allowed callers.

    ``devices`` names the device kinds (``Device.Kind`` values) that may open the page without a staff login.
    """
    kinds = tuple(devices)

    def decorate(view: Callable[Concatenate[HttpRequest, Page, P], HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, code: str, *args: Any, **kwargs: Any) -> HttpResponse:
            page = resolve_page(request, code, action, kinds)
            if isinstance(page, HttpResponse):
                return page
            return view(request, page, *args, **kwargs)

        return wrapper

    return decorate


__all__ = ["Page", "device_role", "hall_page", "request_device", "resolve_page", "staff_actor"]
