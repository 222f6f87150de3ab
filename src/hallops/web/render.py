"""Rendering hall pages: every page of a hall carries what its live connection needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from hallops.web.access import Page


def render_page(
    request: HttpRequest, template: str, page: Page, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render a hall page; ``live_seq`` is the hall's event number read before the page's data, so a screen
    that connects later sees any event it missed as a gap and reloads."""
    ctx: dict[str, Any] = {"page": page, "hall": page.hall, "live_hall": page.hall, "live_seq": page.hall.event_seq}
    ctx.update(context or {})
    return render(request, template, ctx, status=status)


def render_partial(
    request: HttpRequest, template: str, page: Page, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """An htmx fragment of a hall page (no live attributes)."""
    ctx: dict[str, Any] = {"page": page, "hall": page.hall}
    ctx.update(context or {})
    return render(request, template, ctx, status=status)
