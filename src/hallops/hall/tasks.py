"""Background jobs of the hall (Huey periodic tasks, run by ``hallops worker``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hallops.api.idempotency import idempotency_purge
from hallops.hall.jobs import halls_close_days


@db_periodic_task(crontab(minute="*/5"))
def close_hall_days() -> int:
    """Every five minutes: close past local days (open tickets become not_served)."""
    return halls_close_days(at=timezone.now())


@db_periodic_task(crontab(minute="17", hour="*"))
def purge_idempotency_keys() -> int:
    return idempotency_purge()


__all__ = ["close_hall_days", "purge_idempotency_keys"]
