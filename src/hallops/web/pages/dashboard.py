"""The manager dashboard: today live against the targets, a period's trends, the wait heat map, business types
against their limits, agents; the records behind every figure; the pilot comparison; the region view; reports.

For managers, auditors and administrators (``dashboard.view``). Every figure is one of docs/kpis.md, read
through ``hallops.analytics.selectors``; every figure links to the records behind it
(``/hall/<code>/dashboard/records/?…``, the filters in the URL).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from hallops.analytics import selectors as analytics
from hallops.catalog.models import BusinessType, Complexity
from hallops.core.compare import DEFAULT_REPLICATIONS, FigureKind, compare_records
from hallops.core.roles import Action
from hallops.errors import NotFound
from hallops.hall.selectors import hall_local_day
from hallops.organisation.models import Hall, Region
from hallops.reports.builders import build_pdf, build_xlsx, report_data, report_filename, report_period
from hallops.reports.labels import figure_label, format_figure
from hallops.reports.models import ReportKind
from hallops.reports.selectors import report_file, reports_for_hall
from hallops.web.access import Page, hall_page, staff_actor
from hallops.web.pages.dashboard_selectors import (
    MAX_COMPARE_DAYS,
    BadQuery,
    Period,
    day_from,
    drill_filters,
    filter_labels,
    hall_dashboard,
    period_from,
    record_rows,
    region_table,
    today_panel,
)
from hallops.web.render import render_page, render_partial

RECORDS_PER_PAGE = 50
COMPARE_SEED = 20240101
MAX_REPLICATIONS = 5000
PRESETS = (1, 7, 28, 91)
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _today(page: Page) -> dt.date:
    return hall_local_day(page.hall, timezone.now())


def _bad_query(request: HttpRequest, page: Page, exc: BadQuery) -> HttpResponse:
    context = {"field": exc.field, "message": exc.message, "back": request.path}
    return render_partial(request, "web/dashboard/bad_query.html", page, context, status=400)


def _presets(page: Page, today: dt.date, period: Period, path: str) -> list[dict[str, Any]]:
    out = []
    for days in PRESETS:
        p = Period(today - dt.timedelta(days=days - 1), today)
        label = _("Today") if days == 1 else _("Last %(n)s days") % {"n": days}
        out.append({"label": label, "url": f"{path}?{urlencode(p.query())}", "current": p == period})
    return out


@require_GET
@hall_page(Action.DASHBOARD_VIEW)
def dashboard(request: HttpRequest, page: Page) -> HttpResponse:
    today = _today(page)
    try:
        period = period_from(request.GET, today)
    except BadQuery as exc:
        return _bad_query(request, page, exc)
    board = hall_dashboard(page.hall, period)
    context = {
        "today": today_panel(page.hall, timezone.now()),
        "board": board,
        "period": period,
        "presets": _presets(page, today, period, request.path),
        "region": page.hall.city.region,
        "compare_url": f"/hall/{page.hall.code}/dashboard/compare/?{urlencode(period.query())}",
        "records_url": f"/hall/{page.hall.code}/dashboard/records/?{urlencode(period.query())}",
    }
    return render_page(request, "web/dashboard/dashboard.html", page, context)


@require_GET
@hall_page(Action.DASHBOARD_VIEW)
def dashboard_today(request: HttpRequest, page: Page) -> HttpResponse:
    """Today's panel (htmx fragment, refreshed on every hall event and every 30 seconds)."""
    response = render_partial(
        request, "web/dashboard/_today.html", page, {"today": today_panel(page.hall, timezone.now())}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@hall_page(Action.DASHBOARD_VIEW)
def dashboard_records(request: HttpRequest, page: Page) -> HttpResponse:
    """The records behind a figure: the period and the filters from the URL, 50 a page."""
    today = _today(page)
    try:
        period = period_from(request.GET, today)
        filters = drill_filters(request.GET)
    except BadQuery as exc:
        return _bad_query(request, page, exc)
    qs = analytics.records_behind(halls=[page.hall], start=period.start, end=period.end, **filters)
    paginator = Paginator(qs, RECORDS_PER_PAGE)
    number = request.GET.get("page") or "1"
    records = paginator.get_page(number)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "period": period,
        "filters": filter_labels(filters),
        "records": records,
        "rows": record_rows(list(records.object_list), page.hall),
        "query": query.urlencode(),
        "dashboard_url": f"/hall/{page.hall.code}/dashboard/?{urlencode(period.query())}",
    }
    return render_page(request, "web/dashboard/records.html", page, context)


def _compare_halls(page: Page) -> list[Hall]:
    """The halls whose dashboard the caller may see (the other side of a hall comparison)."""
    halls = Hall.objects.order_by("code")
    return [h for h in halls if page.actor.can(h.pk, Action.DASHBOARD_VIEW)]


def _replications(request: HttpRequest) -> int:
    raw = (request.GET.get("replications") or "").strip()
    if not raw:
        return DEFAULT_REPLICATIONS
    if not raw.isdigit() or not 100 <= int(raw) <= MAX_REPLICATIONS:
        raise BadQuery("replications", _("must be a whole number from 100 to %(n)s") % {"n": MAX_REPLICATIONS})
    return int(raw)


@require_GET
@hall_page(Action.DASHBOARD_VIEW)
def dashboard_compare(request: HttpRequest, page: Page) -> HttpResponse:
    """Pilot comparison: this hall against another (same period), or this hall in two periods, on every KPI,
    with the difference and its bootstrap interval (``core.compare``)."""
    today = _today(page)
    mode = request.GET.get("mode") or "periods"
    halls = _compare_halls(page)
    try:
        if mode not in ("periods", "halls"):
            raise BadQuery("mode", _("must be periods or halls"))
        replications = _replications(request)
        if mode == "halls":
            period_b = period_from(request.GET, today, max_days=MAX_COMPARE_DAYS)
            period_a = period_b
            other_code = request.GET.get("other") or next((h.code for h in halls if h.pk != page.hall.pk), "")
            if not other_code:
                raise BadQuery("other", _("there is no other hall whose dashboard you may see"))
            other = next((h for h in halls if h.code == other_code), None)
            if other is None:
                raise Http404("hall not found")
            hall_a, hall_b = page.hall, other
        else:
            period_b = period_from(request.GET, today, max_days=MAX_COMPARE_DAYS)
            period_a = period_from(
                request.GET, today, prefix="a_", default=period_b.before(), max_days=MAX_COMPARE_DAYS
            )
            hall_a = hall_b = page.hall
    except BadQuery as exc:
        return _bad_query(request, page, exc)
    complex_services = frozenset(
        BusinessType.objects.filter(complexity=Complexity.COMPLEX).values_list("code", flat=True)
    )
    records_a = analytics.records_for(halls=[hall_a], start=period_a.start, end=period_a.end)
    records_b = analytics.records_for(halls=[hall_b], start=period_b.start, end=period_b.end)
    comparison = compare_records(
        records_a,
        records_b,
        rng=np.random.default_rng(COMPARE_SEED),
        replications=replications,
        tz_a=hall_a.tz,
        tz_b=hall_b.tz,
        complex_services=complex_services,
    )
    rows = []
    for f in comparison.figures:
        rows.append(
            {
                "key": f.name,
                "label": figure_label(f.name),
                "a": format_figure(f.name, f.a),
                "b": format_figure(f.name, f.b),
                "difference": format_figure(f.name, f.difference, signed=True),
                "interval": (
                    f"{format_figure(f.name, f.low, signed=True)} … {format_figure(f.name, f.high, signed=True)}"
                    if f.low is not None and f.high is not None
                    else ""
                ),
                "count": f.kind is FigureKind.COUNT,
                "noise": "more" if f.more_than_noise else ("within" if f.low is not None else ""),
                "defined": f.defined,
            }
        )
    context = {
        "mode": mode,
        "halls": halls,
        "hall_a": hall_a,
        "hall_b": hall_b,
        "period_a": period_a,
        "period_b": period_b,
        "comparison": comparison,
        "rows": rows,
        "seed": COMPARE_SEED,
        "confidence_percent": round(comparison.confidence * 100),
        "max_days": MAX_COMPARE_DAYS,
        "dashboard_url": f"/hall/{page.hall.code}/dashboard/?{urlencode(period_b.query())}",
    }
    return render_page(request, "web/dashboard/compare.html", page, context)


# ------------------------------------------------------------------------------------------------- reports


@require_GET
@hall_page(Action.DASHBOARD_VIEW)
def reports(request: HttpRequest, page: Page) -> HttpResponse:
    """The hall's stored reports (produced each night) with their files, and any report on demand."""
    today = _today(page)
    context = {
        "reports": list(reports_for_hall(hall=page.hall)[:120]),
        "yesterday": today - dt.timedelta(days=1),
        "last_week": today - dt.timedelta(days=7),
        "kinds": ReportKind.choices,
    }
    return render_page(request, "web/reports/reports.html", page, context)


def _attachment(content: bytes, fmt: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@hall_page(Action.DASHBOARD_VIEW)
def report_download(request: HttpRequest, page: Page, report_id: int, fmt: str) -> HttpResponse:
    """A stored report's file (another hall's report answers 404)."""
    try:
        report, content = report_file(hall=page.hall, report_id=report_id, fmt=fmt)
    except NotFound:
        raise Http404("report not found") from None
    filename = f"hallops-{page.hall.code}-{report.kind}-{report.period_start.isoformat()}.{fmt}"
    return _attachment(content, fmt, filename)


@require_GET
@hall_page(Action.DASHBOARD_VIEW)
def report_on_demand(request: HttpRequest, page: Page) -> HttpResponse:
    """A daily or weekly report of any day, built now in the page's language (nothing is stored)."""
    kind = request.GET.get("kind") or ReportKind.DAILY
    fmt = request.GET.get("format") or "xlsx"
    try:
        if kind not in ReportKind.values:
            raise BadQuery("kind", _("must be daily or weekly"))
        if fmt not in CONTENT_TYPES:
            raise BadQuery("format", _("must be xlsx or pdf"))
        day = day_from(request.GET, "day") or _today(page) - dt.timedelta(days=1)
    except BadQuery as exc:
        return _bad_query(request, page, exc)
    start, end = report_period(kind, day)
    data = report_data(
        hall=page.hall, kind=kind, start=start, end=end, language=translation.get_language() or "zh-hans"
    )
    content = build_xlsx(data) if fmt == "xlsx" else build_pdf(data)
    return _attachment(content, fmt, report_filename(data, fmt))


# -------------------------------------------------------------------------------------------------- region


@require_GET
def region_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    """The halls of a region side by side. Shown: the region's halls whose dashboard the caller may see (all
    of them for an administrator). No hall of the region visible: 404; visible but none allowed: 403."""
    actor = staff_actor(request)
    if actor is None:
        return redirect(f"/login/?{urlencode({'next': request.get_full_path()})}")
    region = Region.objects.filter(code=code).first() if "\x00" not in code else None
    if region is None:
        raise Http404("region not found")
    in_region = list(Hall.objects.filter(city__region=region).select_related("city").order_by("code"))
    if not any(actor.can_see(h.pk) for h in in_region):
        raise Http404("region not found")
    halls = [h for h in in_region if actor.can(h.pk, Action.DASHBOARD_VIEW)]
    if not halls:
        return render(request, "web/forbidden.html", {"action": Action.DASHBOARD_VIEW.value}, status=403)
    today = dt.datetime.now(tz=halls[0].tz).date()
    try:
        period = period_from(request.GET, today)
    except BadQuery as exc:
        context = {"field": exc.field, "message": exc.message, "back": request.path}
        return render(request, "web/dashboard/bad_query.html", context, status=400)
    context = {
        "region": region,
        "period": period,
        "table": region_table(halls, period),
        "hidden": len(in_region) - len(halls),
        "presets": [
            {
                "label": _("Today") if d == 1 else _("Last %(n)s days") % {"n": d},
                "url": f"{request.path}?{urlencode(Period(today - dt.timedelta(days=d - 1), today).query())}",
                "current": Period(today - dt.timedelta(days=d - 1), today) == period,
            }
            for d in PRESETS
        ],
    }
    return render(request, "web/dashboard/region.html", context)


__all__ = [
    "dashboard",
    "dashboard_compare",
    "dashboard_records",
    "dashboard_today",
    "region_dashboard",
    "report_download",
    "report_on_demand",
    "reports",
]
