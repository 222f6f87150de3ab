"""Background job of the analytics app (a Huey periodic task, run by ``hallops worker``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hallops.analytics.services import halls_sync


@db_periodic_task(crontab(minute="*"))
def sync_live_records() -> int:
    """Every minute: turn each hall's finished visits into visit records (and roll-ups); returns rows added."""
    return halls_sync(at=timezone.now())


__all__ = ["sync_live_records"]
