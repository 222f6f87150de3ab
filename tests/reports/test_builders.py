"""Report builders: the XLSX cells equal the analytics selectors' figures; the PDF embeds the CJK font."""

from __future__ import annotations

import datetime as dt
import io
import re
import zlib
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from hallops.analytics import selectors as analytics
from hallops.reports.builders import build_pdf, build_xlsx, report_data, report_period
from hallops.reports.labels import figure_value
from tests.factories import Setup
from tests.reports.history import TZ, load_history

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 3, 11)
AT = dt.datetime(2024, 3, 19, 3, 0, tzinfo=TZ)


@pytest.fixture
def loaded(setup: Setup) -> Setup:
    load_history(setup.hall, MONDAY, 7)
    return setup


def same(value: object, expected: object) -> bool:
    """Equal; floats to Excel's 15 significant digits (openpyxl writes them so)."""
    if isinstance(expected, float) and isinstance(value, int | float):
        return value == pytest.approx(expected, rel=1e-14, abs=0)
    return value == expected


def keyed_rows(ws: Worksheet, key_row: int) -> tuple[list[str], list[list[Any]]]:
    """The keys in ``key_row`` and the data rows below it."""
    keys = [c.value for c in ws[key_row]]
    rows = [list(r) for r in ws.iter_rows(min_row=key_row + 1, values_only=True)]
    return keys, rows  # type: ignore[return-value]


def test_period_of_daily_and_weekly_reports() -> None:
    """A daily report covers its day; a weekly one the Monday-to-Sunday week holding the day."""
    assert report_period("daily", dt.date(2024, 3, 13)) == (dt.date(2024, 3, 13), dt.date(2024, 3, 13))
    assert report_period("weekly", dt.date(2024, 3, 13)) == (MONDAY, dt.date(2024, 3, 17))
    assert report_period("weekly", dt.date(2024, 3, 17)) == (MONDAY, dt.date(2024, 3, 17))
    assert report_period("weekly", MONDAY) == (MONDAY, dt.date(2024, 3, 17))
    with pytest.raises(ValueError):
        report_period("monthly", MONDAY)


def test_daily_xlsx_cells_equal_the_selector_figures(loaded: Setup) -> None:
    """Every figure of the summary, every cell of the business-type, hour and agent sheets, and the over-limit
    list equal kpi_summary's values for the day (raw values, not rounded)."""
    hall = loaded.hall
    day = dt.date(2024, 3, 12)
    data = report_data(hall=hall, kind="daily", start=day, end=day, language="en", at=AT)
    wb = load_workbook(io.BytesIO(build_xlsx(data)))
    total = analytics.kpi_summary(halls=[hall], start=day, end=day)["total"]
    assert total["arrivals"] == 18 and total["over_limit"], "the fixture has arrivals and over-limit rows"

    summary = wb.worksheets[0]
    assert summary.title == "Summary"
    seen = {}
    for label, value, _unit, key in summary.iter_rows(min_row=8, max_col=4, values_only=True):
        seen[key] = value
        assert label and label != key, key  # a translated label beside the key
    expected = {k: v for k, v in total.items() if k != "over_limit"}
    assert set(seen) == set(expected)
    for key, value in expected.items():
        assert same(seen[key], value), (key, seen[key], value)

    sheets = {ws.title: ws for ws in wb.worksheets}
    assert list(sheets) == ["Summary", "By business type", "By hour", "Agents", "Over the limit"]
    for title, by in (("By business type", "service"), ("By hour", "hour"), ("Agents", "agent")):
        groups = analytics.kpi_summary(halls=[hall], start=day, end=day, by=by)["groups"]
        keys, rows = keyed_rows(sheets[title], 2)
        assert [r[0] for r in rows] == [k or "-" for k in groups], title
        for row in rows:
            figures = groups["" if row[0] == "-" else row[0]]
            for key, value in zip(keys, row, strict=True):
                if key in ("key", "name"):
                    continue
                if key == "limit_minutes":
                    assert value == {"new_subscriber": 8, "sim_replacement": 3, "value_added": 3}[row[0]]
                    continue
                assert same(value, figure_value(figures, key)), (title, row[0], key)

    keys, rows = keyed_rows(sheets["Over the limit"], 2)
    assert len(rows) == len(total["over_limit"])
    for row, o in zip(rows, total["over_limit"], strict=True):
        item = dict(zip(keys, row, strict=True))
        assert item["ticket"] == o["ticket"] and item["service"] == o["service"] and item["agent"] == o["agent"]
        assert same(item["service_seconds"], o["service_seconds"]) and same(item["limit_seconds"], o["limit_seconds"])
        assert same(item["over_seconds"], o["service_seconds"] - o["limit_seconds"]) and item["over_seconds"] > 0
        local = dt.datetime.fromisoformat(o["called_at"]).astimezone(TZ).replace(tzinfo=None)
        assert item["called_at"] == local


def test_weekly_xlsx_has_the_days_and_the_week_total(loaded: Setup) -> None:
    """A weekly report covers Monday to Sunday: seven rows by day whose arrivals add up to the week's."""
    start, end = report_period("weekly", dt.date(2024, 3, 14))
    data = report_data(hall=loaded.hall, kind="weekly", start=start, end=end, language="en", at=AT)
    wb = load_workbook(io.BytesIO(build_xlsx(data)))
    assert [ws.title for ws in wb.worksheets] == [
        "Summary",
        "By business type",
        "By day",
        "By hour",
        "Agents",
        "Over the limit",
    ]
    total = analytics.kpi_summary(halls=[loaded.hall], start=start, end=end)["total"]
    keys, rows = keyed_rows(wb["By day"], 2)
    assert [r[0] for r in rows] == [(start + dt.timedelta(days=i)).isoformat() for i in range(7)]
    arrivals = keys.index("arrivals")
    assert sum(r[arrivals] for r in rows) == total["arrivals"] == 7 * 18
    assert wb["Summary"]["B2"].value == "2024-03-11 – 2024-03-17"


def _pdf_streams(pdf: bytes) -> bytes:
    """The PDF with its compressed streams inflated (object streams hold the font dictionaries)."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n", pdf):
        start = match.end()
        try:
            out.append(zlib.decompressobj().decompress(pdf[start : start + 2_000_000]))
        except zlib.error:
            continue
    return b"\n".join(out)


def test_pdf_embeds_the_cjk_font(loaded: Setup) -> None:
    """The PDF is a PDF whose fonts are the embedded subsets of Noto Sans CJK (no system font needed to read
    the Chinese)."""
    day = dt.date(2024, 3, 12)
    data = report_data(hall=loaded.hall, kind="daily", start=day, end=day, language="zh-hans", at=AT)
    pdf = build_pdf(data)
    assert pdf.startswith(b"%PDF-")
    inflated = _pdf_streams(pdf)
    fonts = set(re.findall(rb"/BaseFont\s*/([A-Z]{6}\+[^\s/]+)", inflated))
    assert fonts and all(b"Noto-Sans-CJK" in f for f in fonts), fonts
    assert re.search(rb"/FontFile[23]?\s", inflated), "the font program is embedded"


def test_empty_day_still_builds(setup: Setup) -> None:
    """A day without records: figures are null (empty cells), the over-limit list is empty, both files build."""
    day = dt.date(2024, 3, 12)
    data = report_data(hall=setup.hall, kind="daily", start=day, end=day, language="zh-hans", at=AT)
    wb = load_workbook(io.BytesIO(build_xlsx(data)))
    values = {key: value for _l, value, _u, key in wb.worksheets[0].iter_rows(min_row=8, max_col=4, values_only=True)}
    assert values["arrivals"] == 0 and values["wait_mean_seconds"] is None
    assert build_pdf(data).startswith(b"%PDF-")
