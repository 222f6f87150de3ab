"""Customer ratings given on a counter's rating pad (评价器), one per finished transaction.

A rating names the transaction, its counter and the agent who served it, so that satisfaction can be measured
per agent, counter and business type. Ratings are written only by ``hallops.feedback.services.rating_submit``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Score(models.IntegerChoices):
    VERY_SATISFIED = 3, _("very satisfied")
    SATISFIED = 2, _("satisfied")
    DISSATISFIED = 1, _("dissatisfied")


class Reason(models.TextChoices):
    """Why a customer was dissatisfied (optional, several allowed; only with a dissatisfied score)."""

    LONG_WAIT = "long_wait", _("waited too long")
    ATTITUDE = "attitude", _("staff attitude")
    NOT_SOLVED = "not_solved", _("problem not solved")
    TOO_SLOW = "too_slow", _("service too slow")
    UNCLEAR = "unclear", _("explanation not clear")


class Rating(models.Model):
    transaction = models.OneToOneField(
        "hall.ServiceTransaction", on_delete=models.CASCADE, related_name="rating", verbose_name=_("transaction")
    )
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="ratings")
    counter = models.ForeignKey("organisation.Counter", on_delete=models.CASCADE, related_name="ratings")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("agent")
    )
    score = models.PositiveSmallIntegerField(_("score"), choices=Score.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True, max_length=500)
    created_at = models.DateTimeField(_("rated at"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="the rating pad's device user (or the administrator) that submitted it",
    )

    class Meta:
        indexes = [models.Index(fields=["hall", "created_at"], name="rating_hall_time_idx")]

    def __str__(self) -> str:
        return f"rating {self.score} for transaction {self.transaction_id}"
