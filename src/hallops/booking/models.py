"""Hall visit bookings (预约到厅): one booking holds one seat of a 30-minute slot for one business type.

States change only through ``hallops.booking.services``: booked → checked_in (an appointment-priority ticket
is issued), booked → no_show (not checked in by the slot's end plus the grace), booked → cancelled.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class BookingState(models.TextChoices):
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")


class Booking(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="bookings")
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.PROTECT, related_name="+")
    slot_start = models.DateTimeField(_("slot start"))
    day = models.DateField(_("hall-local day of the slot"))
    seat = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="which of the slot's places this booking holds; freed when cancelled"
    )
    phone = models.CharField(_("phone"), max_length=20)
    code = models.CharField(_("check-in code"), max_length=6)
    state = models.CharField(_("state"), max_length=20, choices=BookingState.choices, default=BookingState.BOOKED)
    ticket = models.ForeignKey(
        "hall.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="when it became no_show or cancelled")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "day", "code"], name="booking_code_unique"),
            # The capacity guarantee: a slot's places are numbered 1..capacity and each is held at most once.
            models.UniqueConstraint(
                fields=["hall", "service", "slot_start", "seat"],
                condition=Q(seat__isnull=False),
                name="booking_seat_unique",
            ),
        ]
        indexes = [models.Index(fields=["state", "slot_start"], name="booking_due_idx")]

    def __str__(self) -> str:
        return f"{self.hall.code} {self.slot_start:%Y-%m-%d %H:%M} {self.service.code} ({self.state})"


class SlotCapacity(models.Model):
    """How many bookings one 30-minute slot takes for one business type in one hall (default: 2)."""

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey("catalog.BusinessType", on_delete=models.CASCADE, related_name="+")
    capacity = models.PositiveSmallIntegerField(_("bookings per slot"), default=2)

    class Meta:
        verbose_name_plural = "slot capacities"
        constraints = [models.UniqueConstraint(fields=["hall", "service"], name="slot_capacity_unique")]

    def __str__(self) -> str:
        return f"{self.hall.code} {self.service.code}: {self.capacity}"
