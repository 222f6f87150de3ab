"""Background job of the alerts (a Huey periodic task, run by ``hallops worker``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hallops.alerts.detect import halls_scan


@db_periodic_task(crontab(minute="*"))
def scan_alerts() -> int:
    """Every minute: raise, update and clear the over-limit, long-wait and idle-counter alerts of every hall."""
    return halls_scan(at=timezone.now())


__all__ = ["scan_alerts"]
