"""Writes for alerts: raise (idempotent per condition), acknowledge, resolve, and clear when the condition ends.

Every write runs in one transaction and appends a hall event (``alert.raised``, ``alert.updated``,
``alert.acknowledged``, ``alert.resolved``) so that live screens refresh, and an audit row. Raising a condition
that already has an unresolved alert updates that alert instead of adding one: the partial unique constraint on
(hall, key) for unresolved alerts decides a race between two processes, and the loser updates the winner's row.
A re-raise whose severity is unchanged only refreshes ``data`` and ``updated_at`` (no event, no audit row), so
the minute-by-minute detector does not flood the hall's event log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from hallops.alerts.models import Alert, Kind, Severity, State
from hallops.audit.services import audit_record
from hallops.core.alerting import AlertAction, alert_next_state
from hallops.core.roles import Action
from hallops.core.states import IllegalTransition
from hallops.errors import Conflict, Invalid, NotFound
from hallops.hall.events import event_record
from hallops.hall.models import Ticket
from hallops.organisation.access import Actor, require
from hallops.organisation.models import Counter, Hall

KEY_MAX = 120
NOTE_MAX = 500
_UNRESOLVED = (State.OPEN, State.ACKNOWLEDGED)


def _event_data(alert: Alert, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "alert": alert.pk,
        "kind": alert.kind,
        "key": alert.key,
        "severity": alert.severity,
        "state": alert.state,
    }
    data.update(extra)
    return data


def _emit(alert: Alert, *, kind: str, at: dt.datetime, actor: Actor | None, **extra: Any) -> None:
    event_record(
        hall_id=alert.hall_id,
        kind=kind,
        at=at,
        actor_id=actor.user_id if actor is not None else None,
        counter=alert.counter,
        ticket=alert.ticket,
        data=_event_data(alert, **extra),
    )
    audit_record(
        actor=actor.user if actor is not None else None,
        action=kind,
        object_type="alert",
        object_id=alert.pk,
        hall_id=alert.hall_id,
        at=at,
        detail={"kind": alert.kind, "key": alert.key, "severity": alert.severity, "state": alert.state, **extra},
    )


def _clean_raise(kind: str, key: str, severity: str, data: dict[str, Any] | None) -> dict[str, Any]:
    if kind not in Kind.values:
        raise Invalid(f"unknown alert kind {kind!r}", field="kind", code="invalid_choice")
    if severity not in Severity.values:
        raise Invalid(f"unknown severity {severity!r}", field="severity", code="invalid_choice")
    if not key or len(key) > KEY_MAX or "\x00" in key:
        raise Invalid(f"the key is 1 to {KEY_MAX} characters", field="key")
    if data is not None and not isinstance(data, dict):
        raise Invalid("data is an object", field="data")
    return dict(data or {})


def _unresolved(hall_id: int, key: str) -> Alert | None:
    return (
        Alert.objects.select_for_update(of=("self",))
        .select_related("counter", "ticket")
        .filter(hall_id=hall_id, key=key, state__in=_UNRESOLVED)
        .first()
    )


def alert_raise(
    *,
    hall: Hall,
    kind: str,
    key: str,
    severity: str,
    data: dict[str, Any] | None,
    counter: Counter | None = None,
    ticket: Ticket | None = None,
    at: dt.datetime | None = None,
) -> Alert:
    """Raise the alert for condition ``key`` in ``hall``, or update the unresolved alert already raised for it.

    Idempotent: while an alert with the same (hall, key) is open or acknowledged, raising again replaces its
    ``data``, refreshes ``updated_at`` and returns it (its state is kept: an acknowledged alert stays
    acknowledged). A higher or lower severity is stored and announced as ``alert.updated``. Raised by the
    system (detectors, the rating pad, the rules engine): no actor, no permission check. Safe to call inside
    the caller's transaction.
    """
    payload = _clean_raise(kind, key, severity, data)
    if counter is not None and counter.hall_id != hall.pk:
        raise Invalid("the counter is not in this hall", field="counter")
    if ticket is not None and ticket.hall_id != hall.pk:
        raise Invalid("the ticket is not in this hall", field="ticket")
    now = at if at is not None else timezone.now()
    with transaction.atomic():
        alert = _unresolved(hall.pk, key)
        if alert is None:
            try:
                with transaction.atomic():  # a savepoint: losing the race must not spoil the caller's transaction
                    alert = Alert.objects.create(
                        hall=hall,
                        kind=kind,
                        key=key,
                        severity=severity,
                        state=State.OPEN,
                        data=payload,
                        counter=counter,
                        ticket=ticket,
                        raised_at=now,
                        updated_at=now,
                    )
            except IntegrityError:
                # Another process raised the same condition between our read and our insert; it has committed
                # (PostgreSQL made our insert wait for it), so a fresh read finds its row.
                alert = _unresolved(hall.pk, key)
                if alert is None:  # pragma: no cover - it was resolved in between: raise anew
                    raise
            else:
                _emit(alert, kind="alert.raised", at=now, actor=None)
                return alert
        return _refresh(alert, severity=severity, data=payload, counter=counter, ticket=ticket, at=now)


def _refresh(
    alert: Alert,
    *,
    severity: str,
    data: dict[str, Any],
    counter: Counter | None,
    ticket: Ticket | None,
    at: dt.datetime,
) -> Alert:
    previous = alert.severity
    alert.severity = severity
    alert.data = data
    alert.updated_at = max(at, alert.updated_at)
    alert.raise_count += 1
    fields = ["severity", "data", "updated_at", "raise_count"]
    if counter is not None and alert.counter_id != counter.pk:
        alert.counter = counter
        fields.append("counter")
    if ticket is not None and alert.ticket_id != ticket.pk:
        alert.ticket = ticket
        fields.append("ticket")
    alert.save(update_fields=fields)
    if previous != severity:
        _emit(alert, kind="alert.updated", at=at, actor=None, previous_severity=previous)
    return alert


def _locked(actor: Actor, alert_id: int, hall: Hall | None) -> Alert:
    locked = Alert.objects.select_for_update(of=("self",)).select_related("counter", "ticket")
    alert = locked.filter(pk=alert_id).first()
    if alert is None or not actor.can_see(alert.hall_id) or (hall is not None and alert.hall_id != hall.pk):
        raise NotFound("alert not found", field="alert")
    return alert


def _move(alert: Alert, action: AlertAction) -> State:
    try:
        return State(alert_next_state(alert.state, action))
    except IllegalTransition:
        verb = "acknowledged" if action == AlertAction.ACKNOWLEDGE else "resolved"
        raise Conflict(
            f"an alert that is {alert.state} cannot be {verb}", field="state", code="illegal_transition"
        ) from None


def alert_may_ack(actor: Actor, alert: Alert) -> bool:
    """Managers (``alert.manage``) acknowledge any alert; an agent only an alert about the counter they hold."""
    if actor.can(alert.hall_id, Action.ALERT_MANAGE):
        return True
    return (
        alert.counter is not None
        and alert.counter.agent_id == actor.user_id
        and actor.can(alert.hall_id, Action.COUNTER_OPERATE)
    )


def alert_ack(*, actor: Actor, alert_id: int, hall: Hall | None = None, at: dt.datetime | None = None) -> Alert:
    """Acknowledge an open alert: someone is on it. 404 for another hall's alert, 409 unless it is open."""
    now = at if at is not None else timezone.now()
    with transaction.atomic():
        alert = _locked(actor, alert_id, hall)
        if not alert_may_ack(actor, alert):  # 403 role_not_allowed, as for any missing action
            require(actor, alert.hall_id, Action.ALERT_MANAGE, what="alert")
        alert.state = _move(alert, AlertAction.ACKNOWLEDGE)
        alert.acknowledged_at = now
        alert.acknowledged_by_id = actor.user_id
        alert.save(update_fields=["state", "acknowledged_at", "acknowledged_by"])
        _emit(alert, kind="alert.acknowledged", at=now, actor=actor)
    return alert


def alert_resolve(
    *, actor: Actor, alert_id: int, note: str = "", hall: Hall | None = None, at: dt.datetime | None = None
) -> Alert:
    """Resolve an open or acknowledged alert with an optional note (``alert.manage``). 409 if already resolved."""
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise Invalid(f"the note is longer than {NOTE_MAX} characters", field="note", code="too_long")
    if "\x00" in note:
        raise Invalid("the note holds a NUL character", field="note")
    now = at if at is not None else timezone.now()
    with transaction.atomic():
        alert = _locked(actor, alert_id, hall)
        require(actor, alert.hall_id, Action.ALERT_MANAGE, what="alert")
        _resolve(alert, actor=actor, note=note, at=now)
    return alert


def _resolve(alert: Alert, *, actor: Actor | None, note: str, at: dt.datetime) -> None:
    alert.state = _move(alert, AlertAction.RESOLVE)
    alert.resolved_at = at
    alert.resolved_by_id = actor.user_id if actor is not None else None
    alert.resolved_by_system = actor is None
    alert.resolution_note = note
    alert.save(update_fields=["state", "resolved_at", "resolved_by", "resolved_by_system", "resolution_note"])
    _emit(alert, kind="alert.resolved", at=at, actor=actor, by_system=actor is None)


def alert_clear(*, hall: Hall, key: str, at: dt.datetime | None = None) -> Alert | None:
    """The condition is gone: resolve its unresolved alert as the system. Returns it, or None if there was none."""
    now = at if at is not None else timezone.now()
    with transaction.atomic():
        alert = _unresolved(hall.pk, key)
        if alert is None:
            return None
        _resolve(alert, actor=None, note="", at=now)
    return alert
