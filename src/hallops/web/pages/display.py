"""The hall display (TV): current and recent calls, waits per business type, announcements; calls spoken.

Opened by a paired display of the hall (device cookie) or by the hall's staff as a preview. The board is
re-read on every hall event and every 30 seconds (the progress line); each call event also updates the
screen and is announced at once by ``static/hallops/display.js``.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from hallops.core.announce import call_text
from hallops.core.roles import Action
from hallops.hall.screens import DisplayBoard, display_board
from hallops.web.access import Page, hall_page
from hallops.web.render import render_page, render_partial


def _context(page: Page) -> dict[str, Any]:
    hall = page.hall
    board: DisplayBoard = display_board(hall=hall, at=timezone.now())
    latest = board.recent[0] if board.recent else None
    return {
        "board": board,
        "latest": latest,
        "latest_text_zh": call_text(hall.call_phrase_zh, latest.number, latest.counter) if latest else "",
        "latest_text_en": call_text(hall.call_phrase_en, latest.number, latest.counter) if latest else "",
        # The rules' progress announcement first (busy/idle modes), then the hall's own lines.
        "announcements": board.progress_announcements
        + [line.strip() for line in hall.announcements.splitlines() if line.strip()],
    }


@require_GET
@hall_page(Action.HALL_VIEW, devices=("display",))
def display(request: HttpRequest, page: Page) -> HttpResponse:
    response = render_page(request, "web/display/display.html", page, _context(page))
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@hall_page(Action.HALL_VIEW, devices=("display",))
def board(request: HttpRequest, page: Page) -> HttpResponse:
    """The board fragment (htmx), with the phrase, the announcements and the progress line swapped out of band."""
    response = render_partial(request, "web/display/_board.html", page, {**_context(page), "oob": True})
    response["Cache-Control"] = "no-store"
    return response
