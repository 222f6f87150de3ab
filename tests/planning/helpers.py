"""Planning test data: the demo generator's history loaded into a test hall, fixed days and a cheap setting."""

from __future__ import annotations

import datetime as dt

from hallops.analytics.demo import demo_history_load
from hallops.organisation.models import Hall
from hallops.planning.services import PlanSettings

#: the history's last day (a Sunday); "now" is the next evening, 20:00 in Shanghai; the plan is for the day after
HISTORY_END = dt.date(2026, 3, 8)
TODAY = dt.date(2026, 3, 9)
AT = dt.datetime(2026, 3, 9, 12, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 10)
#: few replications and evaluations: the tests check the plan's structure, not its figures
QUICK = PlanSettings(replications=2, max_evaluations=6)
ERLANG = PlanSettings(simulate=False)


def load_history(hall: Hall, *, end: dt.date = HISTORY_END, days: int = 28) -> None:
    demo_history_load(halls=[hall], end=end, days=days)
