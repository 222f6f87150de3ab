"""Writes of the reports app: produce (or produce again) a hall's daily or weekly report and store its files."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from hallops.organisation.models import Hall
from hallops.reports.builders import build_pdf, build_xlsx, report_data, report_period
from hallops.reports.models import Report, ReportKind

#: a hall's night job produces yesterday's report from this local hour on (the day end and the analytics sync
#: have run by then)
NIGHTLY_FROM_HOUR = 2


def report_generate(
    *, hall: Hall, kind: str, day: dt.date, language: str | None = None, at: dt.datetime | None = None
) -> Report:
    """Build the report of ``kind`` covering ``day`` (its week for a weekly report) and store both files,
    replacing a stored one of the same period."""
    if kind not in ReportKind.values:
        raise ValueError(f"unknown report kind {kind!r}")
    at = at or timezone.now()
    language = language or settings.LANGUAGE_CODE
    start, end = report_period(kind, day)
    data = report_data(hall=hall, kind=kind, start=start, end=end, language=language, at=at)
    xlsx = build_xlsx(data)
    pdf = build_pdf(data)
    with transaction.atomic():
        report, _ = Report.objects.update_or_create(
            hall=hall,
            kind=kind,
            period_start=start,
            defaults={
                "period_end": end,
                "language": language,
                "created_at": at,
                "arrivals": int(data.total.get("arrivals") or 0),
                "served": int(data.total.get("served") or 0),
                "over_limit": len(data.over_limit),
                "xlsx": xlsx,
                "pdf": pdf,
            },
        )
    return report


def last_complete_day(hall: Hall, at: dt.datetime) -> dt.date:
    """The hall's last local day whose report is due at ``at``: yesterday once it is NIGHTLY_FROM_HOUR there."""
    local = at.astimezone(hall.tz)
    return local.date() - dt.timedelta(days=1 if local.hour >= NIGHTLY_FROM_HOUR else 2)


def reports_due(*, hall: Hall, at: dt.datetime) -> list[tuple[str, dt.date]]:
    """The (kind, first day) of the hall's reports due at ``at`` and not stored yet: the last complete day, and
    the last complete Monday-to-Sunday week."""
    day = last_complete_day(hall, at)
    sunday = day - dt.timedelta(days=(day.weekday() + 1) % 7)
    wanted = [(ReportKind.DAILY.value, day), (ReportKind.WEEKLY.value, sunday - dt.timedelta(days=6))]
    stored = set(
        Report.objects.filter(hall=hall, period_start__in=[d for _, d in wanted]).values_list("kind", "period_start")
    )
    return [(kind, start) for kind, start in wanted if (kind, start) not in stored]


def reports_nightly(*, at: dt.datetime) -> int:
    """Produce every hall's due reports (idempotent: a stored report is not produced again). Returns how many."""
    made = 0
    for hall in Hall.objects.order_by("code"):
        for kind, start in reports_due(hall=hall, at=at):
            report_generate(hall=hall, kind=kind, day=start, at=at)
            made += 1
    return made
