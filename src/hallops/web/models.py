from __future__ import annotations

from django.db import models


class DemoState(models.Model):
    """Whether ``hallops serve`` runs simulated demo traffic (set by ``hallops demo [--no-traffic]``)."""

    traffic = models.BooleanField(default=True)
    loaded_at = models.DateTimeField(null=True, blank=True)
