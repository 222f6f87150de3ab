"""Stored staffing plans and what-if runs (docs/planning.md, "Plans from the database").

A :class:`Plan` is one day of one hall: the arrivals forecast, the requirement per half hour (counters,
pre-acceptance clerks, kiosk assistants), the roster and its gaps, and the scenario document the requirement
was checked on, all in ``data`` (JSON). Plans are never changed: re-planning stores a new one, and the newest
plan of a day is the day's plan. A :class:`WhatIfRun` is one what-if simulation started from a plan: its
settings, its state and progress (replications done of the total), and its result.

Rows are written only by ``hallops.planning.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PlanSource(models.TextChoices):
    NIGHTLY = "nightly", _("nightly job")
    DEMO = "demo", _("demo load")
    MANUAL = "manual", _("re-planned on the planning page")
    COMMAND = "command", _("hallops plan")


class PlanMethod(models.TextChoices):
    #: Erlang's first guess, checked and corrected by the four-zone simulator
    SIMULATION = "simulation", _("Erlang, corrected by simulation")
    #: Erlang's first guess only
    ERLANG = "erlang", _("Erlang only")


class Plan(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day planned (hall-local)"))
    created_at = models.DateTimeField(_("made at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source = models.CharField(_("made by"), max_length=10, choices=PlanSource.choices)
    method = models.CharField(_("method"), max_length=12, choices=PlanMethod.choices)
    forecast_arrivals = models.FloatField(_("arrivals forecast"))
    counter_hours = models.FloatField(_("counter-hours required"))
    staff_hours = models.FloatField(_("staff-hours rostered"))
    uncovered = models.PositiveIntegerField(_("head-half-hours not covered"))
    data = models.JSONField(_("forecast, requirement, roster and scenario"))

    class Meta:
        indexes = [models.Index(fields=["hall", "day", "-created_at"], name="plan_hall_day_idx")]

    def __str__(self) -> str:
        return f"plan {self.day} ({self.source})"


class RunState(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class RunPreset(models.TextChoices):
    #: the plan as it is against the plan with the manager's changes
    CUSTOM = "custom", _("the plan against your changes")
    #: seed 000's before and after: a single counter zone against the four zones, on the same customers
    ZONES = "zones", _("single counter zone against four zones")


class WhatIfRun(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, on_delete=models.SET_NULL, null=True, blank=True, related_name="runs")
    day = models.DateField(_("day simulated"))
    created_at = models.DateTimeField(_("started at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    preset = models.CharField(_("comparison"), max_length=10, choices=RunPreset.choices)
    state = models.CharField(_("state"), max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    #: replications per side (both sides run on the same seeds: the same customers)
    replications = models.PositiveSmallIntegerField(_("replications"))
    seed = models.PositiveIntegerField(_("seed"))
    #: replications done over both sides, of ``total``
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField()
    #: what the manager changed (None where the plan's value was kept)
    changes = models.JSONField(_("changes"))
    #: {"a": {"label", "scenario"}, "b": {"label", "scenario"}}: the two scenario documents simulated
    scenarios = models.JSONField()
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["hall", "-created_at"], name="whatif_hall_idx")]

    def __str__(self) -> str:
        return f"what-if {self.pk} {self.day} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (RunState.DONE, RunState.FAILED)
