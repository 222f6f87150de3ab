"""Background job of the rules engine (a Huey periodic task, run by ``hallops worker``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hallops.rules.services import halls_evaluate


@db_periodic_task(crontab(minute="*"))
def evaluate_halls() -> int:
    """Every minute: decide each configured hall's mode and apply its rules; returns how many halls changed."""
    return halls_evaluate(at=timezone.now())


__all__ = ["evaluate_halls"]
