"""Alerts: kinds, severities and the state machine open → acknowledged → resolved (and open → resolved).

Deny by default: any move not in :data:`ALERT_TRANSITIONS` raises ``IllegalTransition``.  Raising an alert
again while it is unresolved is not a transition: it updates the same alert (see ``hallops.alerts.services``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from hallops.core.states import IllegalTransition


class AlertKind(StrEnum):
    OVER_LIMIT = "over_limit"  # a transaction longer than its business type's limit
    WAIT_OVER_TARGET = "wait_over_target"  # a customer waiting longer than the hall's target
    IDLE_COUNTER = "idle_counter"  # a counter open and idle while people wait for a service it serves
    DISSATISFIED_RATING = "dissatisfied_rating"  # a rating of 1 (dissatisfied)
    OPEN_COUNTERS = "open_counters"  # the rules engine: open more counters


class AlertSeverity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


#: Severities from lowest to highest.
SEVERITY_ORDER: tuple[AlertSeverity, ...] = (AlertSeverity.INFO, AlertSeverity.WARNING, AlertSeverity.CRITICAL)


class AlertState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertAction(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


_S = AlertState
_A = AlertAction

ALERT_TRANSITIONS: Mapping[tuple[AlertState, AlertAction], AlertState] = MappingProxyType(
    {
        (_S.OPEN, _A.ACKNOWLEDGE): _S.ACKNOWLEDGED,
        (_S.OPEN, _A.RESOLVE): _S.RESOLVED,
        (_S.ACKNOWLEDGED, _A.RESOLVE): _S.RESOLVED,
    }
)

#: States in which an alert is still live: raising the same (hall, key) again updates it.
UNRESOLVED: frozenset[AlertState] = frozenset({_S.OPEN, _S.ACKNOWLEDGED})


def alert_next_state(state: AlertState | str, action: AlertAction | str) -> AlertState:
    """The alert's state after ``action``; raises IllegalTransition if the table does not allow it."""
    try:
        return ALERT_TRANSITIONS[(AlertState(state), AlertAction(action))]
    except (KeyError, ValueError):
        raise IllegalTransition(str(state), str(action)) from None


def severity_rank(severity: AlertSeverity | str) -> int:
    """0 for info, 1 for warning, 2 for critical; raises ValueError for anything else."""
    return SEVERITY_ORDER.index(AlertSeverity(severity))


# ------------------------------------------------------------------------------------------------ thresholds

#: Defaults; a hall may change them (``hallops.alerts.models.AlertPolicy``).
IDLE_COUNTER_MINUTES = 3
CRITICAL_RATIO = 1.5


def severity_past(
    elapsed_seconds: float, allowed_seconds: float, *, critical_ratio: float = CRITICAL_RATIO
) -> AlertSeverity | None:
    """None while ``elapsed`` is within ``allowed``; WARNING past it; CRITICAL at ``critical_ratio`` × allowed or more.

    The one rule of the detectors: a transaction's service time against its business type's limit, the longest
    wait against the hall's target, a counter's idle time against the hall's idle threshold.
    """
    if allowed_seconds < 0:
        raise ValueError(f"allowed_seconds must be >= 0, got {allowed_seconds}")
    if critical_ratio < 1:
        raise ValueError(f"critical_ratio must be >= 1, got {critical_ratio}")
    if elapsed_seconds <= allowed_seconds:
        return None
    if elapsed_seconds >= critical_ratio * allowed_seconds:
        return AlertSeverity.CRITICAL
    return AlertSeverity.WARNING


def alert_key(kind: AlertKind | str, *parts: object) -> str:
    """The condition key of an alert: ``over_limit:tx:42``. Raising the same key again updates the same alert."""
    return ":".join([str(AlertKind(kind)), *(str(p) for p in parts)])
