from __future__ import annotations

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Complexity(models.TextChoices):
    SIMPLE = "simple", _("simple")
    COMPLEX = "complex", _("complex")


class BusinessType(models.Model):
    """A business type (业务类型) with its ticket prefix and service-time limit."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=80)
    prefix = models.CharField(_("ticket prefix"), max_length=3, validators=[RegexValidator(r"^[A-Z]{1,3}$")])
    complexity = models.CharField(_("complexity"), max_length=10, choices=Complexity.choices, default=Complexity.SIMPLE)
    limit_minutes = models.DecimalField(
        _("service-time limit (minutes)"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0.5)]
    )
    kiosk = models.BooleanField(_("kiosk-capable"), default=False)
    forced_self_service = models.BooleanField(_("forced to self-service"), default=False)
    pre_acceptance = models.BooleanField(_("pre-acceptance-capable"), default=False)
    self_service_zh = models.TextField(_("self-service instructions (Chinese)"), blank=True)
    self_service_en = models.TextField(_("self-service instructions (English)"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    active = models.BooleanField(_("active"), default=True)

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def label(self) -> str:
        """The name in the active language: English on an English page (Chinese when it has none), else Chinese."""
        return (self.name_en or self.name_zh) if (get_language() or "").startswith("en") else self.name_zh

    @property
    def limit_seconds(self) -> float:
        return float(self.limit_minutes) * 60
