"""Stored reports: produced for the hall's last complete day and week, once, by the nightly Huey task."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from hallops.errors import NotFound
from hallops.reports.models import Report
from hallops.reports.selectors import report_file, reports_for_hall
from hallops.reports.services import report_generate, reports_due, reports_nightly
from hallops.reports.tasks import produce_nightly_reports
from tests.factories import Setup
from tests.reports.history import TZ, load_history

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 3, 11)


def test_generate_stores_both_files_and_replaces_the_same_period(setup: Setup) -> None:
    """report_generate stores the XLSX and the PDF with a few headline figures; producing the same period again
    replaces the row rather than adding one."""
    load_history(setup.hall, MONDAY, 2)
    day = dt.date(2024, 3, 12)
    report = report_generate(hall=setup.hall, kind="daily", day=day, at=dt.datetime(2024, 3, 13, 3, tzinfo=TZ))
    assert (report.period_start, report.period_end, report.language) == (day, day, "zh-hans")
    assert report.arrivals == 18 and report.served > 0 and report.over_limit > 0
    _, xlsx = report_file(hall=setup.hall, report_id=report.pk, fmt="xlsx")
    _, pdf = report_file(hall=setup.hall, report_id=report.pk, fmt="pdf")
    assert load_workbook(io.BytesIO(xlsx)).worksheets[0]["B2"].value == "2024-03-12"
    assert pdf.startswith(b"%PDF-")
    again = report_generate(hall=setup.hall, kind="daily", day=day, at=dt.datetime(2024, 3, 13, 4, tzinfo=TZ))
    assert again.pk == report.pk and Report.objects.count() == 1
    with pytest.raises(NotFound):
        report_file(hall=setup.other_hall, report_id=report.pk, fmt="pdf")  # another hall's report
    with pytest.raises(NotFound):
        report_file(hall=setup.hall, report_id=report.pk, fmt="csv")
    listed = list(reports_for_hall(hall=setup.hall))
    assert listed == [report]


@pytest.mark.parametrize(
    ("local", "daily", "weekly"),
    [
        # Wednesday 03:00: yesterday (Tuesday), and the week that ended on the last Sunday
        (dt.datetime(2024, 3, 13, 3, 0, tzinfo=TZ), dt.date(2024, 3, 12), dt.date(2024, 3, 4)),
        # Wednesday 01:30: too early for yesterday (the day before is the last complete one)
        (dt.datetime(2024, 3, 13, 1, 30, tzinfo=TZ), dt.date(2024, 3, 11), dt.date(2024, 3, 4)),
        # Monday 02:00: yesterday was Sunday, so the week just ended
        (dt.datetime(2024, 3, 18, 2, 0, tzinfo=TZ), dt.date(2024, 3, 17), dt.date(2024, 3, 11)),
    ],
)
def test_reports_due_in_the_halls_own_time(setup: Setup, local: dt.datetime, daily: dt.date, weekly: dt.date) -> None:
    """Due: the last complete local day (from 02:00) and the last complete Monday-to-Sunday week. The hall's
    time zone decides, not the server's: the same instant is another local day in New York."""
    at = local
    assert reports_due(hall=setup.hall, at=at) == [("daily", daily), ("weekly", weekly)]
    setup.other_hall.timezone = "America/New_York"
    setup.other_hall.save()
    ny = at.astimezone(ZoneInfo("America/New_York"))
    due = dict(reports_due(hall=setup.other_hall, at=at))
    assert due["daily"] == ny.date() - dt.timedelta(days=1 if ny.hour >= 2 else 2)


def test_nightly_produces_each_halls_reports_once(setup: Setup) -> None:
    """The nightly run produces each hall's due daily and weekly report; a second run produces nothing; the
    Huey periodic task runs the same function."""
    load_history(setup.hall, MONDAY, 7)
    at = dt.datetime(2024, 3, 18, 2, 40, tzinfo=TZ)
    assert reports_nightly(at=at) == 4  # two halls x (daily + weekly)
    assert reports_nightly(at=at) == 0
    weekly = Report.objects.get(hall=setup.hall, kind="weekly")
    assert (weekly.period_start, weekly.period_end, weekly.arrivals) == (MONDAY, dt.date(2024, 3, 17), 7 * 18)
    empty = Report.objects.get(hall=setup.other_hall, kind="daily")
    assert empty.arrivals == 0  # a hall without records still gets its (empty) report
    from django.utils import timezone

    due_now = sum(len(reports_due(hall=h, at=timezone.now())) for h in (setup.hall, setup.other_hall))
    assert due_now == 4  # today's reports are other periods than 2024's
    assert produce_nightly_reports.call_local() == due_now
    assert produce_nightly_reports.call_local() == 0
    assert Report.objects.count() == 8
