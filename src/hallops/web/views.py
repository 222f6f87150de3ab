from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from hallops.organisation.models import Hall


def landing(request: HttpRequest) -> HttpResponse:
    halls = Hall.objects.select_related("city").order_by("code")
    return render(request, "web/landing.html", {"halls": halls})


def healthz(request: HttpRequest) -> HttpResponse:
    Hall.objects.exists()
    return JsonResponse({"status": "ok"})
