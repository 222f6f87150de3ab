"""Live alerts for the floor manager and the counters (告警): raised, acknowledged, resolved.

One alert per condition: its ``key`` names the condition (``over_limit:tx:42``, ``wait_over_target:svc:7``),
and at most one unresolved alert per (hall, key) exists — a partial unique constraint makes raising the same
condition twice update the same row, even when two processes race. Alerts are written only by
``hallops.alerts.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hallops.core.alerting import CRITICAL_RATIO, IDLE_COUNTER_MINUTES, AlertKind, AlertSeverity, AlertState


class Kind(models.TextChoices):
    OVER_LIMIT = AlertKind.OVER_LIMIT.value, _("transaction over its time limit")
    WAIT_OVER_TARGET = AlertKind.WAIT_OVER_TARGET.value, _("wait over target")
    IDLE_COUNTER = AlertKind.IDLE_COUNTER.value, _("counter idle while customers wait")
    DISSATISFIED_RATING = AlertKind.DISSATISFIED_RATING.value, _("dissatisfied rating")
    OPEN_COUNTERS = AlertKind.OPEN_COUNTERS.value, _("open more counters")


class Severity(models.TextChoices):
    INFO = AlertSeverity.INFO.value, _("info")
    WARNING = AlertSeverity.WARNING.value, _("warning")
    CRITICAL = AlertSeverity.CRITICAL.value, _("critical")


class State(models.TextChoices):
    OPEN = AlertState.OPEN.value, _("not handled yet")
    ACKNOWLEDGED = AlertState.ACKNOWLEDGED.value, _("acknowledged")
    RESOLVED = AlertState.RESOLVED.value, _("resolved")


class Alert(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    key = models.CharField(_("condition key"), max_length=120)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    state = models.CharField(_("state"), max_length=15, choices=State.choices, default=State.OPEN)
    data = models.JSONField(_("details"), default=dict, blank=True)
    counter = models.ForeignKey(
        "organisation.Counter", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey("hall.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    raised_at = models.DateTimeField(_("raised at"))
    updated_at = models.DateTimeField(_("last seen at"))
    raise_count = models.PositiveIntegerField(_("times raised"), default=1)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_by_system = models.BooleanField(_("resolved by the system"), default=False)
    resolution_note = models.CharField(_("resolution note"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "key"],
                condition=~Q(state="resolved"),
                name="alert_one_unresolved_per_key",
            )
        ]
        indexes = [models.Index(fields=["hall", "state", "raised_at"], name="alert_hall_state_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.state})"


class AlertPolicy(models.Model):
    """A hall's alert thresholds; a hall without a row uses the defaults of ``hallops.core.alerting``."""

    hall = models.OneToOneField("organisation.Hall", on_delete=models.CASCADE, related_name="alert_policy")
    idle_counter_minutes = models.PositiveSmallIntegerField(
        _("alert when an open counter is idle this many minutes while customers wait"),
        default=IDLE_COUNTER_MINUTES,
        validators=[MinValueValidator(1)],
    )
    critical_percent = models.PositiveSmallIntegerField(
        _("critical at this percentage of the limit, target or idle threshold"),
        default=int(CRITICAL_RATIO * 100),
        validators=[MinValueValidator(100), MaxValueValidator(1000)],
    )

    class Meta:
        verbose_name = _("alert thresholds")
        verbose_name_plural = _("alert thresholds")

    def __str__(self) -> str:
        return f"alert thresholds of hall {self.hall_id}"
