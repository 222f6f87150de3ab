"""/api/v1/halls/{hall}/alerts: list a hall's alerts, acknowledge and resolve one (mounted in ``hallops.api.v1``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from hallops.alerts import selectors, services
from hallops.alerts.models import Alert
from hallops.api.auth import actor_of
from hallops.api.schemas import ErrorOut, In
from hallops.organisation.access import hall_for

router = Router(tags=["alerts"])
ERRORS: dict[int, Any] = {code: ErrorOut for code in (400, 401, 403, 404, 409, 413, 422, 503)}


class AlertOut(Schema):
    id: int
    kind: str
    key: str
    severity: str
    state: str
    counter: int | None
    ticket: str | None
    data: dict[str, Any]
    raised_at: str
    updated_at: str
    raise_count: int
    acknowledged_at: str | None
    acknowledged_by: str | None
    resolved_at: str | None
    resolved_by: str | None
    resolved_by_system: bool
    note: str


class AlertListOut(Schema):
    items: list[AlertOut]
    count: int


class ResolveIn(In):
    note: str = Field("", max_length=500)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def alert_out(alert: Alert) -> dict[str, Any]:
    """An alert as the API shows it (its data holds ticket numbers and codes, never a customer's details)."""
    return {
        "id": alert.pk,
        "kind": alert.kind,
        "key": alert.key,
        "severity": alert.severity,
        "state": alert.state,
        "counter": alert.counter.number if alert.counter is not None else None,
        "ticket": (alert.ticket.number or None) if alert.ticket is not None else None,
        "data": alert.data or {},
        "raised_at": alert.raised_at.isoformat(),
        "updated_at": alert.updated_at.isoformat(),
        "raise_count": alert.raise_count,
        "acknowledged_at": _iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by.get_username() if alert.acknowledged_by is not None else None,
        "resolved_at": _iso(alert.resolved_at),
        "resolved_by": alert.resolved_by.get_username() if alert.resolved_by is not None else None,
        "resolved_by_system": alert.resolved_by_system,
        "note": alert.resolution_note,
    }


@router.get("/{hall}/alerts", response={200: AlertListOut, **ERRORS})
def list_alerts(request: HttpRequest, hall: str, state: str | None = None, limit: int = 100) -> dict[str, Any]:
    """The hall's alerts, newest first: ``state`` = open, acknowledged, resolved or several joined by commas
    (default: open and acknowledged); ``limit`` 1–200."""
    h = hall_for(actor_of(request), hall)
    alerts = selectors.alerts_for_hall(hall=h, states=selectors.alert_states(state), limit=limit)
    items = [alert_out(a) for a in alerts]
    return {"items": items, "count": len(items)}


@router.post("/{hall}/alerts/{alert_id}/ack", response={200: AlertOut, **ERRORS})
def ack_alert(request: HttpRequest, hall: str, alert_id: int) -> dict[str, Any]:
    """Acknowledge an open alert (managers; an agent for the counter they hold). 409 unless it is open."""
    actor = actor_of(request)
    h = hall_for(actor, hall)
    alert = services.alert_ack(actor=actor, alert_id=alert_id, hall=h)
    return alert_out(alert)


@router.post("/{hall}/alerts/{alert_id}/resolve", response={200: AlertOut, **ERRORS})
def resolve_alert(request: HttpRequest, hall: str, alert_id: int, payload: ResolveIn | None = None) -> dict[str, Any]:
    """Resolve an open or acknowledged alert, with an optional note (managers). 409 if it is resolved already."""
    actor = actor_of(request)
    h = hall_for(actor, hall)
    alert = services.alert_resolve(actor=actor, alert_id=alert_id, hall=h, note=payload.note if payload else "")
    return alert_out(alert)
