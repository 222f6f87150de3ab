"""Background jobs of the hall (Huey periodic tasks, run by ``hallops worker``)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from hallops.api.idempotency import idempotency_purge
from hallops.hall.jobs import halls_close_days
from hallops.hall.services import hall_day_end
from hallops.organisation.models import Hall


@db_periodic_task(crontab(minute="*/5"))
def close_hall_days() -> int:
    """Every five minutes: close past local days (open tickets become not_served)."""
    return halls_close_days(at=timezone.now())


@db_periodic_task(crontab(minute="17", hour="*"))
def purge_idempotency_keys() -> int:
    return idempotency_purge()


@db_task()
def close_hall_day(hall_id: int, day: str) -> int:
    """On demand: close one hall's local day (ISO date) now; returns how many tickets became not_served."""
    return hall_day_end(hall=Hall.objects.get(pk=hall_id), day=dt.date.fromisoformat(day))


__all__ = ["close_hall_day", "close_hall_days", "purge_idempotency_keys"]
