from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone


def screen(request: HttpRequest) -> dict[str, object]:
    """The server's clock for the page's timers (they correct the browser's clock by it)."""
    return {"server_now": timezone.now().isoformat()}
