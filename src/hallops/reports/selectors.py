"""Reads of the stored reports (the files are loaded only when downloaded)."""

from __future__ import annotations

from django.db.models import QuerySet

from hallops.errors import NotFound
from hallops.organisation.models import Hall
from hallops.reports.models import Report

FILE_FIELDS = ("xlsx", "pdf")


def reports_for_hall(*, hall: Hall) -> QuerySet[Report]:
    """The hall's stored reports, newest period first, without their files."""
    return Report.objects.filter(hall=hall).defer(*FILE_FIELDS).order_by("-period_start", "kind")


def report_file(*, hall: Hall, report_id: int, fmt: str) -> tuple[Report, bytes]:
    """One stored report of this hall and its file in ``fmt`` (xlsx or pdf); another hall's report is not found."""
    if fmt not in FILE_FIELDS:
        raise NotFound("no such format", field="format")
    report = Report.objects.filter(hall=hall, pk=report_id).defer(*(f for f in FILE_FIELDS if f != fmt)).first()
    if report is None:
        raise NotFound("report not found", field="report")
    return report, bytes(getattr(report, fmt))
