"""Template filters for the hall-wide screens: durations as people read them."""

from __future__ import annotations

import math

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

PHASE_LABELS = {
    "called": pgettext_lazy("transaction phase", "called, coming"),
    "arrived": pgettext_lazy("transaction phase", "arrived"),
    "communication": pgettext_lazy("transaction phase", "consulting"),
    "operation": pgettext_lazy("transaction phase", "in the system"),
    "done": pgettext_lazy("transaction phase", "done"),
}

DEVICE_KIND_LABELS = {
    "kiosk": pgettext_lazy("device kind", "ticket kiosk"),
    "display": pgettext_lazy("device kind", "hall display"),
    "rating_pad": pgettext_lazy("device kind", "rating pad"),
}


@register.filter
def minutes(seconds: float | None) -> int | None:
    """Whole minutes, rounded up (an estimate of 61 s reads "2 min"; 0 stays 0); None stays None."""
    if seconds is None:
        return None
    return math.ceil(max(0.0, float(seconds)) / 60)


@register.filter
def mmss(seconds: float | None) -> str:
    """m:ss (h:mm:ss from an hour), like the live timers; "" for None."""
    if seconds is None:
        return ""
    s = max(0, int(seconds))
    h, m, sec = s // 3600, (s % 3600) // 60, s % 60
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


@register.filter
def phase_label(phase: str) -> str:
    """A transaction phase as the floor view names it."""
    return str(PHASE_LABELS.get(phase, phase))


@register.filter
def device_kind_label(kind: str) -> str:
    return str(DEVICE_KIND_LABELS.get(kind, kind))


@register.filter
def get(mapping: dict[str, object] | None, key: str) -> object:
    """``mapping[key]``, or "" when absent (a form's values and errors by field name)."""
    return (mapping or {}).get(key, "")
