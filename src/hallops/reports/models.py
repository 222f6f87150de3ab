"""Stored daily and weekly reports: both files (XLSX and PDF) are kept in the database row.

Rows are written only by ``hallops.reports.services`` (the nightly job, or an administrator regenerating one).
Keeping the files in the database rather than under ``HALLOPS_DATA_DIR`` means every server process and host
serves the same files, and a database backup holds them (a daily report is about 10 KB of XLSX and 150 KB of PDF).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportKind(models.TextChoices):
    DAILY = "daily", _("daily report")
    WEEKLY = "weekly", _("weekly report")


class Report(models.Model):
    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    period_start = models.DateField(_("first day"))
    period_end = models.DateField(_("last day"), help_text=_("inclusive"))
    language = models.CharField(_("language"), max_length=10)
    created_at = models.DateTimeField(_("produced at"))
    # a few figures for the list of reports (the files hold everything)
    arrivals = models.PositiveIntegerField(_("arrivals"), default=0)
    served = models.PositiveIntegerField(_("served"), default=0)
    over_limit = models.PositiveIntegerField(_("over the limit"), default=0)
    xlsx = models.BinaryField(editable=False)
    pdf = models.BinaryField(editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hall", "kind", "period_start"], name="report_hall_kind_start"),
        ]
        indexes = [models.Index(fields=["hall", "-period_start"], name="report_hall_start_idx")]

    def __str__(self) -> str:
        return f"{self.hall_id} {self.kind} {self.period_start}"
