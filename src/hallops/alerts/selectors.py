"""Reads for alerts: the floor's and a counter's live alerts, a hall's alerts by state, and their labels."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import QuerySet

from hallops.alerts.models import Alert, State
from hallops.catalog.models import BusinessType
from hallops.errors import Invalid
from hallops.organisation.models import Counter, Hall

UNRESOLVED = (State.OPEN, State.ACKNOWLEDGED)
LIST_MAX = 200


def _base() -> QuerySet[Alert]:
    return Alert.objects.select_related("counter", "ticket", "acknowledged_by", "resolved_by")


def alert_states(value: str | None) -> tuple[str, ...]:
    """``open``, ``acknowledged``, ``resolved``, several joined by commas, or nothing (= the unresolved ones)."""
    if not value:
        return tuple(UNRESOLVED)
    states = tuple(dict.fromkeys(p.strip() for p in value.split(",") if p.strip()))
    for s in states:
        if s not in State.values:
            raise Invalid(f"unknown state {s!r}: open, acknowledged or resolved", field="state", code="invalid_choice")
    return states or tuple(UNRESOLVED)


def alerts_for_hall(*, hall: Hall, states: Sequence[str] = UNRESOLVED, limit: int = LIST_MAX) -> list[Alert]:
    """The hall's alerts in these states, newest first (resolved ones by when they were resolved)."""
    order = ("-resolved_at", "-pk") if tuple(states) == (State.RESOLVED,) else ("-raised_at", "-pk")
    return list(_base().filter(hall=hall, state__in=list(states)).order_by(*order)[: max(1, min(limit, LIST_MAX))])


def alerts_for_counter(*, counter: Counter) -> list[Alert]:
    """The unresolved alerts about one counter, newest first."""
    return list(_base().filter(counter=counter, state__in=UNRESOLVED).order_by("-raised_at", "-pk"))


def alert_for_hall(*, hall: Hall, alert_id: int) -> Alert | None:
    return _base().filter(hall=hall, pk=alert_id).first()


def alert_services(alerts: Iterable[Alert]) -> dict[str, BusinessType]:
    """The business types the alerts' data name (by code), read in one query, for their labels."""
    codes = {a.data.get("service") for a in alerts if isinstance(a.data, dict)}
    codes.discard(None)
    if not codes:
        return {}
    return {b.code: b for b in BusinessType.objects.filter(code__in=codes)}
