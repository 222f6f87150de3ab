"""Tickets, transactions, pre-orders and the append-only hall event log.

Statuses are changed only by ``hallops.hall.services`` through the transition tables in
``hallops.core.states``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hallops.core.identity import IdType
from hallops.core.policy import Priority
from hallops.core.states import Phase, PreOrderState, TicketState


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, m.value) for m in enum]  # type: ignore[attr-defined]


class Channel(models.TextChoices):
    GREETER = "greeter", _("greeter")
    KIOSK = "kiosk", _("kiosk")
    REMOTE = "remote", _("remote")
    APPOINTMENT = "appointment", _("appointment")
    API = "api", _("API")


class TicketSequence(models.Model):
    """The last number issued per (hall, prefix, hall-local day); locked to number tickets without gaps."""

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(max_length=3)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hall", "prefix", "day"], name="ticket_sequence_unique")]


class Ticket(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="tickets")
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.PROTECT, related_name="tickets")
    day = models.DateField(_("hall-local day"))
    prefix = models.CharField(max_length=3, blank=True)
    seq = models.PositiveIntegerField(null=True, blank=True)
    number = models.CharField(_("number"), max_length=10, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    priority = models.CharField(_("priority"), max_length=20, choices=_choices(Priority), default="normal")
    star_level = models.PositiveSmallIntegerField(_("VIP star level"), default=0)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=_choices(TicketState), default="waiting")
    issued_at = models.DateTimeField(_("issued at"))
    rank = models.DateTimeField(_("queue rank"), help_text="issued_at minus the priority bonus")
    quoted_wait_seconds = models.PositiveIntegerField(_("estimated wait quoted at issue"), null=True, blank=True)
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)
    counter = models.ForeignKey(
        "organisation.Counter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the counter holding the ticket (called, serving or parked)",
    )
    target_counter = models.ForeignKey(
        "organisation.Counter",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="only this counter may call the ticket (a transfer to a counter)",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transfers",
        help_text="the ticket this one was transferred from (same number and issue time)",
    )
    override_reason = models.CharField(max_length=200, blank=True)
    token = models.CharField(max_length=32, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["hall", "prefix", "day", "seq"],
                condition=Q(parent__isnull=True, seq__isnull=False),
                name="ticket_number_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["hall", "status", "rank"], name="ticket_queue_idx"),
            models.Index(fields=["hall", "day", "number"], name="ticket_number_idx"),
        ]

    def __str__(self) -> str:
        return self.number or f"ticket {self.pk}"


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("completed")
    NOT_COMPLETED = "not_completed", _("not completed")
    TRANSFERRED = "transferred", _("transferred")
    NO_SHOW = "no_show", _("no-show")
    PARKED = "parked", _("parked")
    CANCELLED = "cancelled", _("cancelled")
    NOT_SERVED = "not_served", _("not served (day end)")


class NotCompletedReason(models.TextChoices):
    MISSING_DOCUMENTS = "missing_documents", _("missing documents")
    SYSTEM_FAULT = "system_fault", _("system fault")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("referred elsewhere")
    CUSTOMER_DECLINED = "customer_declined", _("customer declined")
    NOT_ELIGIBLE = "not_eligible", _("not eligible")
    OTHER = "other", _("other")


class ServiceTransaction(models.Model):
    """One counter transaction, timed phase by phase: called → arrived → communication → operation → done."""

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="transactions")
    counter = models.ForeignKey("organisation.Counter", on_delete=models.PROTECT, related_name="transactions")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    ticket = models.ForeignKey(
        Ticket,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        help_text="empty for a walk-in served without a ticket",
    )
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.PROTECT, related_name="+")
    extra_services = models.ManyToManyField("catalog.BusinessType", blank=True, related_name="+")
    limit_seconds = models.PositiveIntegerField()
    phase = models.CharField(max_length=20, choices=_choices(Phase), default="called")
    called_at = models.DateTimeField()
    arrived_at = models.DateTimeField(null=True, blank=True)
    communication_at = models.DateTimeField(null=True, blank=True)
    operation_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    reason = models.CharField(max_length=30, choices=NotCompletedReason.choices, blank=True)
    service_seconds = models.FloatField(null=True, blank=True)
    handling_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["counter"], condition=Q(done_at__isnull=True), name="one_open_transaction_per_counter"
            ),
        ]
        indexes = [models.Index(fields=["hall", "service", "done_at"], name="transaction_recent_idx")]


class PreOrder(models.Model):
    """An electronic pre-order (电子预受理单) captured while the customer waits; travels with the ticket."""

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="pre_order")
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=_choices(PreOrderState), default="draft")
    customer_name = models.CharField(max_length=60, blank=True)
    id_type = models.CharField(max_length=30, choices=_choices(IdType), blank=True)
    id_number = models.CharField(max_length=30, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    products = models.JSONField(default=list, blank=True)
    documents = models.JSONField(default=list, blank=True)
    notes = models.TextField(blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    editor_until = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()


class HallEvent(models.Model):
    """Append-only log of every state change in a hall, numbered per hall; the source of all KPIs."""

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="events")
    seq = models.BigIntegerField()
    at = models.DateTimeField()
    kind = models.CharField(max_length=40)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(Ticket, on_delete=models.SET_NULL, null=True, blank=True, related_name="events")
    counter = models.ForeignKey(
        "organisation.Counter", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    transaction = models.ForeignKey(
        ServiceTransaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["hall", "seq"], name="hall_event_seq_unique")]


class IdempotencyRecord(models.Model):
    """A stored answer for an ``Idempotency-Key`` (scoped to the caller), kept at least 24 hours."""

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=200)
    body_hash = models.CharField(max_length=64)
    done = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique")]
