"""Busy/idle modes and process rules of a hall, stored as data (the format lives in ``hallops.core.rules``).

- ``ModeConfig``: a hall's mode thresholds, dwell time, scheduled windows and calendar (``core.modes`` format);
  its presence (enabled) means the hall's process is run by the rules engine.
- ``Rule`` and ``RuleVersion``: a rule's definition is never edited in place; each edit adds a version and the
  rule points at its current one. Firings reference the version that fired.
- ``ProcessState``: the hall's current mode, since when, and the active effects (one row per hall, the one read
  of every screen and of ticket issuing).
- ``RuleFiring``: one row per period a rule version held, with the state that caused it (recorded on change).
- ``ModeChange``: each change of mode, with the signal that caused it.
- ``NearTurnNotice``: the one near-turn SMS a ticket gets.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hallops.core.modes import Mode

MODE_CHOICES = [
    (Mode.IDLE.value, _("idle")),
    (Mode.NORMAL.value, _("normal")),
    (Mode.BUSY.value, _("busy")),
    (Mode.PEAK.value, _("peak")),
]


class ModeConfig(models.Model):
    hall = models.OneToOneField("organisation.Hall", on_delete=models.CASCADE, related_name="mode_config")
    enabled = models.BooleanField(
        _("run the hall's process by the rules"),
        default=True,
        help_text=_("Off: modes are not decided and no rule applies (pre-acceptance offered as without rules)."),
    )
    config = models.JSONField(_("mode thresholds, dwell time, windows and calendar"))
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("mode configuration")
        verbose_name_plural = _("mode configurations")

    def __str__(self) -> str:
        return str(self.hall)


class Rule(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(_("name"), max_length=100)
    enabled = models.BooleanField(_("enabled"), default=True)
    order = models.PositiveSmallIntegerField(
        _("order"), default=100, help_text=_("Lower first; the first progress announcement wins.")
    )
    current = models.ForeignKey(
        "RuleVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["hall", "order", "id"]
        verbose_name = _("rule")
        verbose_name_plural = _("rules")
        constraints = [models.UniqueConstraint(fields=["hall", "name"], name="rule_name_unique")]

    def __str__(self) -> str:
        return f"{self.hall.code} {self.name}"


class RuleVersion(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    definition = models.JSONField(_("definition"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["rule", "-number"]
        verbose_name = _("rule version")
        verbose_name_plural = _("rule versions")
        constraints = [models.UniqueConstraint(fields=["rule", "number"], name="rule_version_unique")]

    def __str__(self) -> str:
        return f"{self.rule.name} v{self.number}"


class ProcessState(models.Model):
    hall = models.OneToOneField("organisation.Hall", on_delete=models.CASCADE, related_name="process_state")
    mode = models.CharField(_("mode"), max_length=10, choices=MODE_CHOICES)
    since = models.DateTimeField(_("since"))
    effects = models.JSONField(_("active effects"), default=dict)
    firing = models.JSONField(_("rule versions firing"), default=list)
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("process state")
        verbose_name_plural = _("process states")

    def __str__(self) -> str:
        return f"{self.hall.code} {self.mode}"


class RuleFiring(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    version = models.ForeignKey(RuleVersion, on_delete=models.PROTECT, related_name="firings")
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    cause = models.JSONField(_("state that caused it"))

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("rule firing")
        verbose_name_plural = _("rule firings")
        indexes = [models.Index(fields=["hall", "-started_at"], name="rule_firing_hall_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "version"], condition=Q(ended_at__isnull=True), name="rule_firing_one_open"
            )
        ]

    def __str__(self) -> str:
        return f"{self.version} @ {self.started_at:%Y-%m-%d %H:%M}"


class ModeChange(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(_("at"))
    from_mode = models.CharField(_("from"), max_length=10, choices=MODE_CHOICES, blank=True)
    to_mode = models.CharField(_("to"), max_length=10, choices=MODE_CHOICES)
    reason = models.CharField(_("reason"), max_length=20)
    signal = models.JSONField(_("signal"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("mode change")
        verbose_name_plural = _("mode changes")
        indexes = [models.Index(fields=["hall", "-at"], name="mode_change_hall_idx")]

    def __str__(self) -> str:
        return f"{self.from_mode or '—'} → {self.to_mode}"


class NearTurnNotice(models.Model):
    ticket = models.OneToOneField("hall.Ticket", on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField()
    people_ahead = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("near-turn notice")
        verbose_name_plural = _("near-turn notices")
