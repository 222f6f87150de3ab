"""Background jobs of the reports (Huey periodic tasks, run by ``hallops worker``)."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hallops.reports.services import reports_nightly


@db_periodic_task(crontab(minute="40"))
def produce_nightly_reports() -> int:
    """Every hour at :40: each hall's reports that are due (yesterday's once it is 02:00 there, and last
    week's) and not stored yet. Hourly, so that every time zone gets its report in its own night and a missed
    run is caught up."""
    return reports_nightly(at=timezone.now())


__all__ = ["produce_nightly_reports"]
