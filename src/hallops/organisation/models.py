from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hallops.core.policy import NoShowPolicy
from hallops.core.roles import Role


class Region(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class City(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="cities")
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "cities"

    def __str__(self) -> str:
        return self.name


class Hall(models.Model):
    """A business hall (营业厅). Times are stored in UTC and shown in the hall's time zone."""

    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="halls")
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    timezone = models.CharField(_("time zone"), max_length=50, default="Asia/Shanghai")
    open_24h = models.BooleanField(_("open around the clock"), default=False)
    opens_at = models.TimeField(_("opens at"), default=dt.time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=dt.time(18, 0))
    issue_cutoff_minutes = models.PositiveSmallIntegerField(_("stop issuing minutes before closing"), default=15)
    upsell_block_waiting = models.PositiveSmallIntegerField(_("no upselling while this many wait"), default=3)
    no_show_policy = models.CharField(
        _("missed-number policy"),
        max_length=20,
        choices=[(p.value, p.value) for p in NoShowPolicy],
        default=NoShowPolicy.KEEP.value,
    )
    no_show_keep_minutes = models.PositiveSmallIntegerField(_("keep a missed number for minutes"), default=10)
    no_show_push_back_places = models.PositiveSmallIntegerField(_("push a missed number back places"), default=3)
    wait_target_minutes = models.PositiveSmallIntegerField(_("waiting-time target in minutes"), default=10)
    call_phrase_zh = models.CharField(
        _("call announcement (Chinese)"),
        max_length=200,
        default="请{number}号到{counter}号窗口",
        help_text=_("{number} is read digit by digit, {counter} is the counter number"),
    )
    call_phrase_en = models.CharField(
        _("call announcement (English)"), max_length=200, default="Number {number}, please go to counter {counter}"
    )
    announcements = models.TextField(_("display ticker, one announcement per line"), blank=True)
    event_seq = models.BigIntegerField(_("last event sequence number"), default=0, editable=False)

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class CounterStatus(models.TextChoices):
    OPEN = "open", _("open")
    PAUSED = "paused", _("paused")
    CLOSED = "closed", _("closed")


class CounterZone(models.TextChoices):
    COUNTER = "counter", _("counter zone")
    VIP = "vip", _("VIP")
    FAST = "fast", _("fast lane")
    PREACCEPT = "preaccept", _("pre-acceptance zone")
    SELFSERVICE = "selfservice", _("self-service zone")


class Counter(models.Model):
    """A service window (窗口). One agent and one live session at a time."""

    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, related_name="counters")
    number = models.PositiveSmallIntegerField(_("number"))
    zone = models.CharField(_("zone"), max_length=20, choices=CounterZone.choices, default=CounterZone.COUNTER)
    services = models.ManyToManyField("catalog.BusinessType", related_name="counters", blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CounterStatus.choices, default=CounterStatus.CLOSED)
    pause_reason = models.CharField(_("pause reason"), max_length=100, blank=True)
    status_since = models.DateTimeField(_("status since"), null=True, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    session_ref = models.CharField(_("live session"), max_length=80, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hall", "number"], name="counter_number_unique")]

    def __str__(self) -> str:
        return f"{self.hall.code} #{self.number}"


class StaffRole(models.Model):
    """A role held by a user in one hall (administrators and auditors may hold it with no hall: all halls)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="hall_roles")
    hall = models.ForeignKey(Hall, on_delete=models.CASCADE, null=True, blank=True, related_name="staff_roles")
    role = models.CharField(_("role"), max_length=20, choices=[(r.value, r.value) for r in Role])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "hall", "role"], name="staff_role_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.role} @ {self.hall.code if self.hall else '*'}"
