"""Detectors: look at a hall's live state at an instant and raise, update or clear the alerts it calls for.

``hall_scan(hall, at)`` runs every minute for every hall (``hallops.alerts.tasks``). It owns three kinds:

- ``over_limit``: an open transaction whose service time (since arrival, else the call) is past its business
  type's limit — one alert per transaction, cleared when the transaction ends;
- ``wait_over_target``: a business type whose longest-waiting customer has waited longer than the hall's
  ``wait_target_minutes`` — one alert per business type, cleared when nobody of that type waits that long;
- ``idle_counter``: an open counter serving nobody while customers wait for a business type it serves, for more
  than the hall's idle threshold (counted from the later of its last activity — opening or its last finished
  transaction — and the oldest such customer's ticket) — one alert per counter, cleared when it calls, pauses or
  closes, or nobody waits.

Severity (one rule, ``hallops.core.alerting.severity_past``): warning past the limit, target or threshold;
critical at ``critical_percent`` of it (150% by default). ``dissatisfied_rating`` alerts are raised by the rating
itself, ``open_counters`` by the rules engine; the scan never clears those.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.db.models import Max

from hallops.alerts.models import Alert, AlertPolicy, Kind, State
from hallops.alerts.services import alert_clear, alert_raise
from hallops.core.alerting import CRITICAL_RATIO, IDLE_COUNTER_MINUTES, AlertKind, alert_key, severity_past
from hallops.core.states import TicketState
from hallops.core.timing import service_seconds
from hallops.hall.models import ServiceTransaction, Ticket
from hallops.hall.selectors import hall_local_day, queue_summary, transaction_times
from hallops.organisation.models import Counter, CounterStatus, Hall

_log = logging.getLogger(__name__)

SCANNED_KINDS = (Kind.OVER_LIMIT, Kind.WAIT_OVER_TARGET, Kind.IDLE_COUNTER)


@dataclass(frozen=True)
class Thresholds:
    idle_counter_seconds: float
    critical_ratio: float


@dataclass
class ScanResult:
    raised: list[str] = field(default_factory=list)  # keys raised or updated
    cleared: list[str] = field(default_factory=list)


def hall_thresholds(hall: Hall) -> Thresholds:
    policy = AlertPolicy.objects.filter(hall=hall).first()
    if policy is None:
        return Thresholds(idle_counter_seconds=IDLE_COUNTER_MINUTES * 60.0, critical_ratio=CRITICAL_RATIO)
    return Thresholds(
        idle_counter_seconds=policy.idle_counter_minutes * 60.0, critical_ratio=policy.critical_percent / 100
    )


def _iso(at: dt.datetime) -> str:
    return at.isoformat()


def _over_limit(hall: Hall, at: dt.datetime, limits: Thresholds, result: ScanResult) -> None:
    open_txs = (
        ServiceTransaction.objects.filter(hall=hall, done_at__isnull=True, called_at__lte=at)
        .select_related("counter", "ticket", "service")
        .order_by("pk")
    )
    for tx in open_txs:
        elapsed = service_seconds(transaction_times(tx), at)
        if elapsed is None:
            continue
        severity = severity_past(elapsed, tx.limit_seconds, critical_ratio=limits.critical_ratio)
        if severity is None:
            continue
        key = alert_key(AlertKind.OVER_LIMIT, "tx", tx.pk)
        alert_raise(
            hall=hall,
            kind=Kind.OVER_LIMIT,
            key=key,
            severity=severity,
            data={
                "counter": tx.counter.number,
                "number": tx.ticket.number if tx.ticket is not None else None,
                "service": tx.service.code,
                "limit_seconds": tx.limit_seconds,
                "service_seconds": round(elapsed),
                "service_since": _iso(tx.arrived_at or tx.called_at),
                "transaction": tx.pk,
            },
            counter=tx.counter,
            ticket=tx.ticket,
            at=at,
        )
        result.raised.append(key)


def _wait_over_target(
    hall: Hall, at: dt.datetime, limits: Thresholds, result: ScanResult
) -> dict[int, tuple[int, dt.datetime]]:
    """Raise per business type; return (how many wait, since when the oldest waits) per business type id."""
    target = hall.wait_target_minutes * 60.0
    waiting: dict[int, tuple[int, dt.datetime]] = {}
    for line in queue_summary(hall=hall, at=at):
        if line.waiting and line.oldest_issued_at is not None:
            waiting[line.service.pk] = (line.waiting, line.oldest_issued_at)
        if line.oldest_issued_at is None:
            continue
        waited = (at - line.oldest_issued_at).total_seconds()
        severity = severity_past(waited, target, critical_ratio=limits.critical_ratio)
        if severity is None:
            continue
        oldest = (
            Ticket.objects.filter(
                hall=hall, day=hall_local_day(hall, at), status=TicketState.WAITING, service=line.service
            )
            .order_by("issued_at", "pk")
            .first()
        )
        key = alert_key(AlertKind.WAIT_OVER_TARGET, "svc", line.service.code)
        over = Ticket.objects.filter(
            hall=hall,
            day=hall_local_day(hall, at),
            status=TicketState.WAITING,
            service=line.service,
            issued_at__lt=at - dt.timedelta(seconds=target),
        ).count()
        alert_raise(
            hall=hall,
            kind=Kind.WAIT_OVER_TARGET,
            key=key,
            severity=severity,
            data={
                "service": line.service.code,
                "waiting": line.waiting,
                "over_target": over,
                "oldest_number": oldest.number if oldest is not None else None,
                "oldest_issued_at": _iso(line.oldest_issued_at),
                "wait_seconds": round(waited),
                "target_minutes": hall.wait_target_minutes,
            },
            ticket=oldest,
            at=at,
        )
        result.raised.append(key)
    return waiting


def _idle_counters(
    hall: Hall, at: dt.datetime, limits: Thresholds, waiting: dict[int, tuple[int, dt.datetime]], result: ScanResult
) -> None:
    if not waiting:
        return
    counters = [
        c
        for c in Counter.objects.filter(hall=hall, status=CounterStatus.OPEN, status_since__isnull=False)
        .prefetch_related("services")
        .order_by("number")
        if c.status_since is not None and c.status_since <= at
    ]
    if not counters:
        return
    busy = set(
        ServiceTransaction.objects.filter(counter__in=counters, done_at__isnull=True).values_list(
            "counter_id", flat=True
        )
    )
    idle = [c for c in counters if c.pk not in busy]
    if not idle:
        return
    since_min = min(c.status_since for c in idle if c.status_since is not None)
    last_done = dict(
        ServiceTransaction.objects.filter(counter__in=idle, done_at__gte=since_min, done_at__lte=at)
        .values("counter_id")
        .annotate(last=Max("done_at"))
        .values_list("counter_id", "last")
    )
    for counter in idle:
        assert counter.status_since is not None
        idle_since = max(counter.status_since, last_done.get(counter.pk) or counter.status_since)
        queues = [waiting[s.pk] for s in counter.services.all() if s.pk in waiting]
        if not queues:
            continue
        people = sum(n for n, _ in queues)
        # Idle *while someone waits*: from the later of the counter's last activity and the oldest customer's
        # arrival among the business types it serves.
        needed_since = max(idle_since, min(first for _, first in queues))
        idle_for = (at - needed_since).total_seconds()
        severity = severity_past(idle_for, limits.idle_counter_seconds, critical_ratio=limits.critical_ratio)
        if severity is None:
            continue
        key = alert_key(AlertKind.IDLE_COUNTER, "counter", counter.number)
        alert_raise(
            hall=hall,
            kind=Kind.IDLE_COUNTER,
            key=key,
            severity=severity,
            data={
                "counter": counter.number,
                "idle_since": _iso(idle_since),
                "needed_since": _iso(needed_since),
                "idle_seconds": round(idle_for),
                "waiting": people,
                "threshold_minutes": round(limits.idle_counter_seconds / 60),
            },
            counter=counter,
            at=at,
        )
        result.raised.append(key)


def hall_scan(hall: Hall, at: dt.datetime) -> ScanResult:
    """Raise or update the alerts the hall's state at ``at`` calls for; clear those whose condition is gone."""
    limits = hall_thresholds(hall)
    result = ScanResult()
    _over_limit(hall, at, limits, result)
    waiting = _wait_over_target(hall, at, limits, result)
    _idle_counters(hall, at, limits, waiting, result)
    live = set(result.raised)
    stale = (
        Alert.objects.filter(hall=hall, kind__in=SCANNED_KINDS, state__in=(State.OPEN, State.ACKNOWLEDGED))
        .exclude(key__in=live)
        .values_list("key", flat=True)
    )
    for key in list(stale):
        if alert_clear(hall=hall, key=key, at=at) is not None:
            result.cleared.append(key)
    return result


def halls_scan(*, at: dt.datetime) -> int:
    """Scan every hall; returns how many alerts were raised or updated. One hall's failure does not stop the rest."""
    total = 0
    for hall in Hall.objects.order_by("pk"):
        try:
            total += len(hall_scan(hall, at).raised)
        except Exception:  # pragma: no cover - logged, and the next minute tries again
            _log.exception("alert scan of hall %s failed", hall.code)
    return total
