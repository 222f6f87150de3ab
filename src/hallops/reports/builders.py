"""Daily and weekly reports of a hall: the figures (from the analytics selectors), then an XLSX and a PDF.

:func:`report_data` reads every figure once; :func:`build_xlsx` and :func:`build_pdf` only lay them out, so
the two files always show the same numbers. The XLSX keeps raw values (seconds as numbers, shares as
fractions formatted as percentages) under a second header row naming each figure's JSON key (docs/kpis.md),
so that a spreadsheet or a script can read it; the PDF shows them formatted, in the report's language, with
the Noto Sans CJK font embedded (Debian's ``fonts-noto-cjk``).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from hallops.analytics import selectors as analytics
from hallops.catalog.models import BusinessType
from hallops.core.compare import FigureKind
from hallops.organisation.models import Hall
from hallops.reports.labels import (
    AGENT_COLUMNS,
    GROUP_COLUMNS,
    figure_kind,
    figure_label,
    figure_value,
    format_figure,
)
from hallops.reports.models import ReportKind

#: the CSS font family of the PDF; WeasyPrint finds it through fontconfig and embeds the glyphs it uses
PDF_FONT_FAMILY = "Noto Sans CJK SC"

KpiDict = dict[str, Any]


@dataclass(frozen=True)
class Section:
    """One grouped table: a key column (and an optional name column) then ``columns`` per group."""

    slug: str
    title: str
    key_label: str
    columns: tuple[str, ...]
    groups: dict[str, KpiDict]
    names: dict[str, str] = field(default_factory=dict)
    limits: dict[str, float] = field(default_factory=dict)  # business type -> limit in minutes


@dataclass(frozen=True)
class ReportData:
    hall_code: str
    hall_name: str
    tz: str
    kind: str
    start: dt.date
    end: dt.date
    language: str
    generated_at: dt.datetime
    total: KpiDict
    sections: tuple[Section, ...]

    @property
    def title(self) -> str:
        return _("Daily report") if self.kind == ReportKind.DAILY else _("Weekly report")

    @property
    def period(self) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        return f"{self.start.isoformat()} – {self.end.isoformat()}"

    @property
    def over_limit(self) -> list[dict[str, Any]]:
        return list(self.total.get("over_limit") or [])

    def local(self, iso: str) -> dt.datetime:
        """An ISO timestamp of the over-limit list in the hall's time zone (without the offset)."""
        return dt.datetime.fromisoformat(iso).astimezone(ZoneInfo(self.tz)).replace(tzinfo=None)


def report_period(kind: str, day: dt.date) -> tuple[dt.date, dt.date]:
    """The days a report covers: the day itself, or the Monday-to-Sunday week holding it."""
    if kind == ReportKind.DAILY:
        return day, day
    if kind == ReportKind.WEEKLY:
        monday = day - dt.timedelta(days=day.weekday())
        return monday, monday + dt.timedelta(days=6)
    raise ValueError(f"unknown report kind {kind!r}")


def report_data(
    *, hall: Hall, kind: str, start: dt.date, end: dt.date, language: str, at: dt.datetime | None = None
) -> ReportData:
    """Every figure of the report, read through the analytics selectors, with labels in ``language``."""
    halls = [hall]
    with translation.override(language):
        total = analytics.kpi_summary(halls=halls, start=start, end=end)["total"]

        def grouped(by: str) -> dict[str, KpiDict]:
            groups: dict[str, KpiDict] = analytics.kpi_summary(halls=halls, start=start, end=end, by=by).get(
                "groups", {}
            )
            return groups

        by_service = grouped("service")
        types = {b.code: b for b in BusinessType.objects.filter(code__in=list(by_service))}
        sections = [
            Section(
                slug="service",
                title=_("By business type"),
                key_label=_("Business type"),
                columns=GROUP_COLUMNS,
                groups=by_service,
                names={code: b.label for code, b in types.items()},
                limits={code: float(b.limit_minutes) for code, b in types.items()},
            )
        ]
        if kind == ReportKind.WEEKLY:
            sections.append(Section("day", _("By day"), _("Day"), GROUP_COLUMNS, grouped("day")))
        sections.append(Section("hour", _("By hour"), _("Hour"), GROUP_COLUMNS, grouped("hour")))
        sections.append(Section("agent", _("Agents"), _("Agent"), AGENT_COLUMNS, grouped("agent")))
        return ReportData(
            hall_code=hall.code,
            hall_name=hall.name,
            tz=hall.timezone,
            kind=kind,
            start=start,
            end=end,
            language=language,
            generated_at=at or timezone.now(),
            total=total,
            sections=tuple(sections),
        )


# ------------------------------------------------------------------------------------------------------ XLSX

_NUMBER_FORMATS = {
    FigureKind.SHARE: "0.0%",
    FigureKind.SECONDS: "0.0",
    FigureKind.RATIO: "0.000",
    FigureKind.COUNT: "0",
}
_BOLD = Font(bold=True)
_KEY_FONT = Font(color="888888", size=8)
_HEAD_FILL = PatternFill("solid", fgColor="E6EEFB")


def _cell_value(name: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    return str(value)


def _sheet_title(text: str) -> str:
    bad = set("[]:*?/\\")
    return "".join(c for c in text if c not in bad)[:31]


def _unit(name: str) -> str:
    kind = figure_kind(name)
    return {
        FigureKind.SHARE: _("share (0–1, shown as %)"),
        FigureKind.SECONDS: _("seconds"),
        FigureKind.RATIO: _("ratio"),
        FigureKind.COUNT: _("count"),
    }[kind]


def _header(ws: Worksheet, row: int, labels: list[str], keys: list[str]) -> None:
    for col, (label, key) in enumerate(zip(labels, keys, strict=True), start=1):
        top = ws.cell(row=row, column=col, value=label)
        top.font = _BOLD
        top.fill = _HEAD_FILL
        top.alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(row=row + 1, column=col, value=key).font = _KEY_FONT


def _widths(ws: Worksheet, widths: list[int]) -> None:
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width


def _summary_sheet(ws: Worksheet, data: ReportData) -> None:
    ws.title = _sheet_title(_("Summary"))
    ws["A1"] = f"{data.hall_name} · {data.title}"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = _("Period")
    ws["B2"] = data.period
    ws["A3"] = _("Produced at")
    ws["B3"] = data.generated_at.astimezone(ZoneInfo(data.tz)).strftime("%Y-%m-%d %H:%M")
    ws["A4"] = _("Hall")
    ws["B4"] = data.hall_code
    _header(ws, 6, [_("Figure"), _("Value"), _("Unit")], ["figure", "value", "unit"])
    row = 8
    for name, value in data.total.items():
        if name == "over_limit":
            continue
        ws.cell(row=row, column=1, value=figure_label(name))
        cell = ws.cell(row=row, column=2, value=_cell_value(name, value))
        cell.number_format = _NUMBER_FORMATS[figure_kind(name)]
        ws.cell(row=row, column=3, value=_unit(name))
        ws.cell(row=row, column=4, value=name).font = _KEY_FONT
        row += 1
    ws.freeze_panes = "A8"
    _widths(ws, [34, 18, 22, 36])


def _section_sheet(ws: Worksheet, section: Section) -> None:
    ws.title = _sheet_title(section.title)
    labels = [section.key_label]
    keys = ["key"]
    if section.names:
        labels += [_("Name"), _("Limit (min)")]
        keys += ["name", "limit_minutes"]
    labels += [figure_label(c) for c in section.columns]
    keys += list(section.columns)
    _header(ws, 1, labels, keys)
    row = 3
    for key, figures in section.groups.items():
        values: list[object] = [key or "-"]
        if section.names:
            values += [section.names.get(key, key), section.limits.get(key)]
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=value)
        for offset, name in enumerate(section.columns, start=len(values) + 1):
            cell = ws.cell(row=row, column=offset, value=_cell_value(name, figure_value(figures, name)))
            cell.number_format = _NUMBER_FORMATS[figure_kind(name)]
        row += 1
    ws.freeze_panes = "B3"
    _widths(ws, [22] + [14] * (len(keys) - 1))


_OVER_KEYS = ("ticket", "issued_at", "service", "counter", "agent", "called_at", "service_seconds", "limit_seconds")


def _over_labels(*, seconds: bool = True) -> list[str]:
    head = [_("Ticket"), _("Issued at"), _("Business type"), _("Counter"), _("Agent"), _("Called at")]
    if seconds:
        return [*head, _("Service time (s)"), _("Limit (s)"), _("Over by (s)")]
    return [*head, _("Service time"), _("Limit"), _("Over by")]


def _over_sheet(ws: Worksheet, data: ReportData) -> None:
    ws.title = _sheet_title(_("Over the limit"))
    _header(ws, 1, _over_labels(), [*_OVER_KEYS, "over_seconds"])
    for row, o in enumerate(data.over_limit, start=3):
        for col, key in enumerate(_OVER_KEYS, start=1):
            value = o[key]
            cell = ws.cell(row=row, column=col, value=data.local(value) if key.endswith("_at") else value)
            if key.endswith("_at"):
                cell.number_format = "yyyy-mm-dd hh:mm:ss"
        ws.cell(row=row, column=len(_OVER_KEYS) + 1, value=o["service_seconds"] - o["limit_seconds"])
    ws.freeze_panes = "A3"
    _widths(ws, [10, 20, 18, 10, 14, 20, 14, 10, 12])


def build_xlsx(data: ReportData) -> bytes:
    """The report as an XLSX workbook: summary, one sheet per grouped table, the over-limit list."""
    with translation.override(data.language):
        wb = Workbook()
        _summary_sheet(wb.active, data)
        for section in data.sections:
            _section_sheet(wb.create_sheet(), section)
        _over_sheet(wb.create_sheet(), data)
        wb.properties.title = f"{data.hall_code} {data.title} {data.period}"
        wb.properties.creator = "HallOps"
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()


# ------------------------------------------------------------------------------------------------------- PDF


def _pdf_context(data: ReportData) -> dict[str, Any]:
    items = [
        {"label": figure_label(name), "value": format_figure(name, value), "key": name}
        for name, value in data.total.items()
        if name != "over_limit"
    ]
    half = (len(items) + 1) // 2
    summary = [(items[i], items[half + i] if half + i < len(items) else None) for i in range(half)]
    sections = []
    for section in data.sections:
        rows = []
        for key, figures in section.groups.items():
            name = section.names.get(key, "") if section.names else ""
            limit = section.limits.get(key)
            rows.append(
                {
                    "key": key or "-",
                    "name": name,
                    "limit": f"{limit:g}" if limit is not None else "",
                    "cells": [format_figure(c, figure_value(figures, c)) for c in section.columns],
                }
            )
        sections.append(
            {
                "title": section.title,
                "key_label": section.key_label,
                "named": bool(section.names),
                "columns": [figure_label(c) for c in section.columns],
                "rows": rows,
            }
        )
    over = [
        {
            "ticket": o["ticket"],
            "issued_at": data.local(o["issued_at"]).strftime("%m-%d %H:%M"),
            "service": o["service"],
            "counter": o["counter"] or "-",
            "agent": o["agent"] or "-",
            "called_at": data.local(o["called_at"]).strftime("%H:%M:%S"),
            "service_time": format_figure("service_mean_seconds", o["service_seconds"]),
            "limit": format_figure("service_mean_seconds", o["limit_seconds"]),
            "over_by": format_figure("service_mean_seconds", o["service_seconds"] - o["limit_seconds"]),
        }
        for o in data.over_limit
    ]
    return {
        "data": data,
        "font_family": PDF_FONT_FAMILY,
        "summary": summary,
        "sections": sections,
        "over": over,
        "over_labels": _over_labels(seconds=False),
        "produced": data.generated_at.astimezone(ZoneInfo(data.tz)).strftime("%Y-%m-%d %H:%M"),
    }


def build_pdf(data: ReportData) -> bytes:
    """The report as a PDF (A4), the CJK font embedded."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment and most processes never need it

    with translation.override(data.language):
        html = render_to_string("reports/report.html", _pdf_context(data))
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def report_filename(data: ReportData, extension: str) -> str:
    kind = "daily" if data.kind == ReportKind.DAILY else "weekly"
    return f"hallops-{data.hall_code}-{kind}-{data.start.isoformat()}.{extension}"
