from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from hallops.accounts.devices import COOKIE_MAX_AGE, COOKIE_NAME, device_pair, device_screen_path
from hallops.accounts.throttle import minutes_left
from hallops.errors import DomainError
from hallops.organisation.models import Hall
from hallops.web.access import request_device, staff_actor


def landing(request: HttpRequest) -> HttpResponse:
    halls = Hall.objects.select_related("city").order_by("code")
    actor = staff_actor(request)
    mine = {h.pk for h in halls if actor is not None and actor.can_see(h.pk)}
    device = request_device(request)
    context = {"halls": halls, "mine": mine, "device": device, "device_path": device and device_screen_path(device)}
    return render(request, "web/landing.html", context)


def healthz(request: HttpRequest) -> HttpResponse:
    Hall.objects.exists()
    return JsonResponse({"status": "ok"})


class ThrottledLoginForm(AuthenticationForm):
    """Django's login form; after 5 failed attempts in 15 minutes it says the login is locked."""

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except ValidationError:
            if getattr(self.request, "hallops_locked_out", False):
                minutes = minutes_left("login", self.cleaned_data.get("username") or "")
                raise ValidationError(
                    _("Too many failed logins. Try again in %(minutes)s minutes."),
                    code="locked_out",
                    params={"minutes": minutes},
                ) from None
            raise


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    form_class = ThrottledLoginForm
    redirect_authenticated_user = False


@require_http_methods(["GET", "POST"])
def pair(request: HttpRequest) -> HttpResponse:
    """A device enters its one-time pairing code and gets its cookie (never a token in a URL)."""
    code, error, status = "", "", 200
    if request.method == "POST":
        code = request.POST.get("code", "")[:20]
        try:
            device, cookie = device_pair(code=code, source=request.META.get("REMOTE_ADDR") or "")
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            response = HttpResponseRedirect(device_screen_path(device))
            response.set_cookie(
                COOKIE_NAME,
                cookie,
                max_age=COOKIE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
            return response
    return render(request, "web/pair.html", {"code": code, "error": error}, status=status)


def safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback
