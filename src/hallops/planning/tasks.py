"""Background jobs of planning (Huey, run by ``hallops worker``): tomorrow's plans each evening, and what-if runs."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from hallops.planning.services import plans_nightly, whatif_execute


@db_periodic_task(crontab(minute="5"))
def plan_tomorrow() -> int:
    """Every hour at :05: tomorrow's plan for each hall whose local time is past 20:00 and that has none made
    today (so every time zone gets its plan in its own evening, and a missed run is caught up)."""
    return plans_nightly(at=timezone.now())


@db_task()
def run_whatif(run_id: int) -> None:
    """One what-if run (queued by ``services.whatif_start`` after COMMIT)."""
    whatif_execute(run_id=run_id)


__all__ = ["plan_tomorrow", "run_whatif"]
