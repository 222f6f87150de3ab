"""Visit records (one row per transaction, as ``hallops.core.kpi.TransactionRecord``) and their roll-ups.

Rows are written only by ``hallops.analytics.services`` (history import, the demo's history, live sync), which
also keeps the roll-ups up to date in the same transaction. See docs/analytics.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hallops.analytics.figures import FIGURES


class Source(models.TextChoices):
    LIVE = "live", _("live hall")
    IMPORT = "import", _("imported history")
    DEMO = "demo", _("demo history")


class RecordOutcome(models.TextChoices):
    DONE = "done", _("done")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")
    DIVERTED = "diverted", _("diverted")
    NOT_SERVED = "not_served", _("not served")


class VisitRecord(models.Model):
    """One counter transaction, or one ticket that never reached a counter (``core.kpi.TransactionRecord``).

    The rows of a transfer or a multi-service visit share their ticket, identified by (hall, ``ticket``,
    ``local_day`` = hall-local date of ``issued_at``). A row is identified within its ticket by ``row_key``:
    its ``called_at`` in microseconds since the Unix epoch, or -1 for the ticket's row without a call. Loading
    a row whose (hall, local_day, ticket, row_key) is stored adds nothing.

    ``counter_ext`` and ``agent_ext`` hold the value the source gave (for live rows the counter number and the
    agent's username): they are the keys of the counter and agent groups. ``counter`` and ``agent`` link the
    row to this hall's counter with that number and to the hall's staff member with that username, when
    they match.
    """

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    ticket = models.CharField(_("ticket"), max_length=20)
    local_day = models.DateField(_("hall-local day of issue"))
    row_key = models.BigIntegerField(help_text="called_at in microseconds since the epoch; -1 without a call")
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=20)
    priority = models.CharField(_("priority"), max_length=20)
    issued_at = models.DateTimeField(_("issued at"))
    called_at = models.DateTimeField(_("called at"), null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    communication_at = models.DateTimeField(null=True, blank=True)
    operation_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=12, choices=RecordOutcome.choices)
    counter = models.ForeignKey(
        "organisation.Counter", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    counter_ext = models.CharField(_("counter"), max_length=40, blank=True)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    agent_ext = models.CharField(_("agent"), max_length=60, blank=True)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    quoted_wait_seconds = models.FloatField(null=True, blank=True)
    pre_order = models.BooleanField(_("pre-order"), default=False)
    limit_minutes = models.FloatField(null=True, blank=True)
    # Derived when the row is loaded (the group keys and the figures drill-down filters on).
    hour_start = models.DateTimeField(help_text="the start of the hall-local hour of issued_at")
    local_hour = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField(help_text="0 = Monday, of local_day")
    first = models.BooleanField(default=False, help_text="the ticket's first transaction: it carries the ticket")
    wait_seconds = models.FloatField(null=True, blank=True, help_text="on the first row of a called ticket")
    ticket_done = models.BooleanField(default=False)
    ticket_no_show = models.BooleanField(default=False)
    ticket_cancelled = models.BooleanField(default=False)
    ticket_diverted = models.BooleanField(default=False)
    service_seconds = models.FloatField(null=True, blank=True, help_text="done rows")
    handling_seconds = models.FloatField(null=True, blank=True, help_text="done rows")
    over_limit = models.BooleanField(default=False, help_text="a done row whose service time exceeds its limit")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "local_day", "ticket", "row_key"], name="visit_record_key"),
        ]
        indexes = [
            models.Index(fields=["hall", "local_day", "service"], name="visit_record_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.local_day} {self.outcome}"


def _count() -> models.PositiveIntegerField:  # type: ignore[type-arg]
    return models.PositiveIntegerField(default=0)


def _micros() -> models.BigIntegerField:  # type: ignore[type-arg]
    return models.BigIntegerField(default=0)


class Figures(models.Model):
    """Additive counts and sums of one roll-up cell (durations as integer microseconds, so that adding and
    subtracting is exact). Ticket figures go to the cell of the ticket's first transaction, done-transaction
    figures to the cell of the transaction, as ``core.kpi`` groups them."""

    # tickets
    arrivals = _count()
    called = _count()
    served_tickets = _count()
    no_shows = _count()
    cancelled = _count()
    diverted = _count()
    wait_us = _micros()
    wait_within = _count()
    quoted = _count()
    quote_error_us = _micros()
    # done transactions
    served = _count()
    handling_us = _micros()
    service_us = _micros()
    walk_n = _count()
    walk_us = _micros()
    communication_n = _count()
    communication_us = _micros()
    operation_n = _count()
    operation_us = _micros()
    over_limit = _count()
    pre_order = _count()
    handling_pre_us = _micros()
    rated = _count()
    satisfied = _count()
    # the wait histogram (called tickets), buckets of figures.WAIT_BUCKET_EDGES
    wait_h00 = _count()
    wait_h01 = _count()
    wait_h02 = _count()
    wait_h03 = _count()
    wait_h04 = _count()
    wait_h05 = _count()
    wait_h06 = _count()
    wait_h07 = _count()
    wait_h08 = _count()
    wait_h09 = _count()
    wait_h10 = _count()
    wait_h11 = _count()
    wait_h12 = _count()
    wait_h13 = _count()
    wait_h14 = _count()
    wait_h15 = _count()
    wait_h16 = _count()
    wait_h17 = _count()
    wait_h18 = _count()
    wait_h19 = _count()

    class Meta:
        abstract = True


#: the additive columns of a roll-up cell (the names of ``figures.FIGURES``)
FIGURE_FIELDS: tuple[str, ...] = FIGURES
assert {f.name for f in Figures._meta.local_fields} == set(FIGURES)


class HourlyFigures(Figures):
    """Roll-up per (hall, hall-local hour of the ticket's issue, business type, channel)."""

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    hour_start = models.DateTimeField()
    local_day = models.DateField()
    local_hour = models.PositiveSmallIntegerField()
    weekday = models.PositiveSmallIntegerField()
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "hour_start", "service", "channel"], name="hourly_figures_key"),
        ]
        indexes = [models.Index(fields=["hall", "local_day"], name="hourly_figures_day_idx")]


class AgentDayFigures(Figures):
    """Roll-up per (hall, hall-local day of the ticket's issue, agent, counter, business type)."""

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    local_day = models.DateField()
    weekday = models.PositiveSmallIntegerField()
    agent = models.CharField(max_length=60, blank=True)
    counter = models.CharField(max_length=40, blank=True)
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "local_day", "agent", "counter", "service"], name="agent_day_figures_key"
            ),
        ]
        indexes = [models.Index(fields=["hall", "local_day"], name="agent_day_figures_day_idx")]


class HallSync(models.Model):
    """Per hall: how far live sync has read the hall's event log; its row also serialises the analytics
    writes of one hall (every load locks it first)."""

    hall = models.OneToOneField("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    event_seq = models.BigIntegerField(default=0)
    synced_at = models.DateTimeField(null=True, blank=True)
