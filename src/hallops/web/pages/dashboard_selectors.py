"""Reads for the dashboard pages: the period and filters in the URL, and what each panel shows.

Every figure comes from ``hallops.analytics.selectors`` (the one KPI definition, docs/kpis.md); this module only
picks the figures a panel shows, labels them and builds the drill-down link of each (``records_url``), whose
query string is what ``records_behind`` filters on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.utils.translation import gettext as _

from hallops.analytics import selectors as analytics
from hallops.catalog.models import BusinessType
from hallops.core.compare import FigureKind
from hallops.core.kpi import WAIT_TARGET_SECONDS
from hallops.hall.screens import floor_view
from hallops.hall.selectors import hall_local_day
from hallops.organisation.models import Hall
from hallops.reports.labels import figure_kind, figure_label, figure_value, format_figure

#: the longest period one dashboard page reads (longer periods: the reports, or the region view per month)
MAX_PERIOD_DAYS = 366
#: the longest period of each side of a pilot comparison (the bootstrap reads every record of it)
MAX_COMPARE_DAYS = 92
DEFAULT_PERIOD_DAYS = 28
#: seed 000: counter handling within 10 minutes
HANDLING_TARGET_SECONDS = 600.0


class BadQuery(ValueError):
    """A query parameter the page cannot use; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def query(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    def before(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))


def _date(params: Mapping[str, str], name: str) -> dt.date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise BadQuery(name, _("not a date (YYYY-MM-DD)")) from None


def day_from(params: Mapping[str, str], name: str) -> dt.date | None:
    """One day from the query (``YYYY-MM-DD``), or None when absent."""
    return _date(params, name)


def period_from(
    params: Mapping[str, str],
    today: dt.date,
    *,
    prefix: str = "",
    default: Period | None = None,
    max_days: int = MAX_PERIOD_DAYS,
) -> Period:
    """``start``/``end`` (or ``days=N`` ending today) from the query; the last 28 days by default."""
    start, end = _date(params, prefix + "start"), _date(params, prefix + "end")
    days_raw = (params.get(prefix + "days") or "").strip()
    if start is None and end is None:
        if days_raw:
            if not days_raw.isdigit() or not 1 <= int(days_raw) <= max_days:
                raise BadQuery(prefix + "days", _("must be a whole number of days from 1 to %(n)s") % {"n": max_days})
            return Period(today - dt.timedelta(days=int(days_raw) - 1), today)
        return default or Period(today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)
    if start is None:
        assert end is not None
        start = end
    if end is None:
        end = start
    if end < start:
        raise BadQuery(prefix + "end", _("is before the first day"))
    if (end - start).days + 1 > max_days:
        raise BadQuery(prefix + "end", _("the period is longer than %(n)s days") % {"n": max_days})
    return Period(start, end)


# ------------------------------------------------------------------------------------------------ drill-down

#: the drill-down filters the URL may carry (besides start/end/page) and how each is parsed
DRILL_FILTERS = (
    "service",
    "agent",
    "counter",
    "channel",
    "hour",
    "weekday",
    "outcome",
    "over_limit",
    "wait_over_target",
    "tickets",
    "called",
)
OUTCOMES = ("done", "no_show", "cancelled", "diverted", "not_served")


def drill_filters(params: Mapping[str, str]) -> dict[str, Any]:
    """The drill-down filters in the query, validated; ``records_behind`` takes them as keyword arguments."""
    out: dict[str, Any] = {}
    for name in ("service", "agent", "counter", "channel"):
        if name in params:
            out[name] = params[name][:60]
    for name, top in (("hour", 23), ("weekday", 6)):
        raw = (params.get(name) or "").strip()
        if raw:
            if not raw.isdigit() or int(raw) > top:
                raise BadQuery(name, _("must be a whole number from 0 to %(n)s") % {"n": top})
            out[name] = int(raw)
    outcome = (params.get("outcome") or "").strip()
    if outcome:
        if outcome not in OUTCOMES:
            raise BadQuery("outcome", _("unknown outcome"))
        out["outcome"] = outcome
    for name in ("over_limit", "wait_over_target", "tickets", "called"):
        raw = (params.get(name) or "").strip().lower()
        if raw in {"1", "true", "yes", "on"}:
            out[name] = True
        elif raw not in {"", "0", "false", "no", "off"}:
            raise BadQuery(name, _("must be 1 or 0"))
    return out


def records_url(hall_code: str, period: Period, **filters: Any) -> str:
    """The drill-down page of the records behind a figure: the period and the figure's filters in the URL."""
    query = period.query()
    for name, value in filters.items():
        if value is None or value is False:
            continue
        query[name] = "1" if value is True else str(value)
    return f"/hall/{hall_code}/dashboard/records/?{urlencode(query)}"


# ----------------------------------------------------------------------------------------------- the panels


@dataclass(frozen=True)
class Card:
    """One figure with its target (if any), whether the target is met, and the records behind it."""

    key: str
    label: str
    value: object
    text: str
    url: str
    target_text: str = ""
    status: str = ""  # "ok", "bad" or "" (no target, or no value)
    hint: str = ""


def _card(
    key: str,
    figures: Mapping[str, Any],
    url: str,
    *,
    target: float | None = None,
    higher_is_better: bool = False,
    label: str | None = None,
    hint: str = "",
) -> Card:
    value = figure_value(dict(figures), key)
    status = ""
    target_text = ""
    if target is not None:
        target_text = format_figure(key, target)
        if isinstance(value, int | float):
            met = value >= target if higher_is_better else value <= target
            status = "ok" if met else "bad"
    return Card(
        key=key,
        label=label or figure_label(key),
        value=value,
        text=format_figure(key, value),
        url=url,
        target_text=target_text,
        status=status,
        hint=hint,
    )


def kpi_cards(hall: Hall, period: Period, total: Mapping[str, Any]) -> list[Card]:
    """The headline figures of a period against the seeds' targets, each linked to its records."""
    target_wait = hall.wait_target_minutes * 60.0
    code = hall.code
    return [
        _card("arrivals", total, records_url(code, period, tickets=True)),
        _card("served", total, records_url(code, period, outcome="done")),
        _card("wait_mean_seconds", total, records_url(code, period, called=True), target=target_wait),
        _card("wait_p90_seconds", total, records_url(code, period, wait_over_target=True), target=target_wait),
        _card(
            "wait_within_10min_share",
            total,
            records_url(code, period, wait_over_target=True),
            hint=_("the link lists those who waited longer"),
        ),
        _card(
            "handling_mean_seconds", total, records_url(code, period, outcome="done"), target=HANDLING_TARGET_SECONDS
        ),
        _card("over_limit_share", total, records_url(code, period, over_limit=True), target=0.0),
        _card("no_show_rate", total, records_url(code, period, outcome="no_show")),
        _card("diversion_share", total, records_url(code, period, outcome="diverted")),
        _card("pre_order_share", total, records_url(code, period, outcome="done")),
        _card("satisfaction_share", total, records_url(code, period, outcome="done")),
    ]


@dataclass(frozen=True)
class QueueNow:
    service: BusinessType
    waiting: int
    estimated_wait_seconds: int | None
    over_target: bool


@dataclass(frozen=True)
class Today:
    day: dt.date
    cards: list[Card]
    queue: list[QueueNow]
    waiting: int
    target_seconds: int


def today_panel(hall: Hall, at: dt.datetime) -> Today:
    """Today live. Arrivals, customers served, who waits now (by business type, with the estimate for a ticket
    issued now) and the waits of today's called tickets are read from the hall itself (``floor_view``), so
    they move with every event. Handling, over-limit and satisfaction come from today's visit records, which
    the analytics sync adds once a visit is finished and its rating window has passed (about 10 minutes)."""
    day = hall_local_day(hall, at)
    period = Period(day, day)
    code = hall.code
    floor = floor_view(hall=hall, at=at)
    c = floor.counts
    target = float(floor.target_seconds)
    settled = analytics.kpi_summary(halls=[hall], start=day, end=day)["total"]
    within = c.called_within_target / c.called if c.called else None
    cards = [
        _card("arrivals", {"arrivals": c.issued + c.diverted}, records_url(code, period, tickets=True)),
        _card("served_tickets", {"served_tickets": c.served}, records_url(code, period, outcome="done")),
        Card("waiting", _("Waiting now"), c.waiting, str(c.waiting), f"/hall/{code}/floor/"),
        _card(
            "wait_mean_seconds",
            {"wait_mean_seconds": c.mean_wait_seconds},
            records_url(code, period, called=True),
            target=target,
        ),
        _card(
            "within_target",
            {"within_target": within},
            records_url(code, period, wait_over_target=True),
            label=_("Called within %(m)s min") % {"m": hall.wait_target_minutes},
        ),
        _card(
            "handling_mean_seconds",
            settled,
            records_url(code, period, outcome="done"),
            target=HANDLING_TARGET_SECONDS,
            hint=_("finished visits"),
        ),
        _card("over_limit_share", settled, records_url(code, period, over_limit=True), target=0.0),
        _card("satisfaction_share", settled, records_url(code, period, outcome="done")),
    ]
    queue = [
        QueueNow(
            service=row.service,
            waiting=row.waiting,
            estimated_wait_seconds=row.estimated_wait_seconds,
            over_target=row.over_target,
        )
        for row in floor.queue
        if row.waiting
    ]
    return Today(day=day, cards=cards, queue=queue, waiting=c.waiting, target_seconds=int(target))


@dataclass(frozen=True)
class ServiceRow:
    code: str
    label: str
    limit_seconds: float | None
    figures: dict[str, Any]
    url: str
    over_url: str

    @property
    def limit_text(self) -> str:
        return format_figure("service_mean_seconds", self.limit_seconds)

    @property
    def handling_text(self) -> str:
        return format_figure("handling_mean_seconds", self.figures.get("handling_mean_seconds"))

    @property
    def service_text(self) -> str:
        return format_figure("service_mean_seconds", self.figures.get("service_mean_seconds"))

    @property
    def over_share_text(self) -> str:
        return format_figure("over_limit_share", self.figures.get("over_limit_share"))

    @property
    def over_count(self) -> int:
        return len(self.figures.get("over_limit") or [])

    @property
    def over_mean_limit(self) -> bool:
        mean = self.figures.get("service_mean_seconds")
        return mean is not None and self.limit_seconds is not None and mean > self.limit_seconds


@dataclass(frozen=True)
class AgentRow:
    key: str
    name: str
    figures: dict[str, Any]
    url: str
    over_url: str

    def text(self, name: str) -> str:
        return format_figure(name, figure_value(self.figures, name))

    @property
    def cells(self) -> list[tuple[str, str]]:
        return [(name, self.text(name)) for name in AGENT_TABLE]


AGENT_TABLE = (
    "served",
    "handling_mean_seconds",
    "service_mean_seconds",
    "over_limit_count",
    "over_limit_share",
    "satisfaction_share",
    "rated",
    "utilisation",
)


@dataclass(frozen=True)
class Dashboard:
    period: Period
    total: dict[str, Any]
    cards: list[Card]
    services: list[ServiceRow]
    agents: list[AgentRow]
    charts: dict[str, Any] = field(default_factory=dict)


def _minutes(seconds: object) -> float | None:
    return None if not isinstance(seconds, int | float) else round(float(seconds) / 60, 2)


def _percent(share: object) -> float | None:
    return None if not isinstance(share, int | float) else round(float(share) * 100, 1)


def _weekday_labels() -> list[str]:
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def hall_dashboard(hall: Hall, period: Period) -> Dashboard:
    """The period panels of a hall: figures against targets, trends, the heat map, business types, agents."""
    halls = [hall]
    code = hall.code
    total = analytics.kpi_summary(halls=halls, start=period.start, end=period.end)["total"]
    by_service = analytics.kpi_summary(halls=halls, start=period.start, end=period.end, by="service").get("groups", {})
    by_agent = analytics.kpi_summary(halls=halls, start=period.start, end=period.end, by="agent").get("groups", {})
    series = analytics.daily_series(halls=halls, start=period.start, end=period.end)
    heat = analytics.wait_heatmap(halls=halls, start=period.start, end=period.end)
    types = {b.code: b for b in BusinessType.objects.filter(code__in=list(by_service))}
    services = [
        ServiceRow(
            code=key,
            label=types[key].label if key in types else key,
            limit_seconds=types[key].limit_seconds if key in types else None,
            figures=figures,
            url=records_url(code, period, service=key),
            over_url=records_url(code, period, service=key, over_limit=True),
        )
        for key, figures in by_service.items()
    ]
    names = _agent_names(list(by_agent))
    agents = [
        AgentRow(
            key=key,
            name=names.get(key, key) or "—",
            figures=figures,
            url=records_url(code, period, agent=key),
            over_url=records_url(code, period, agent=key, over_limit=True),
        )
        for key, figures in by_agent.items()
        if figures.get("served")
    ]
    agents.sort(key=lambda a: (-(a.figures.get("served") or 0), a.key))
    charts = {
        "trend": _trend_chart(code, series),
        "heat": _heat_chart(code, period, heat),
        "services": _service_chart([s for s in services if s.figures.get("served")]),
        "shares": _shares_chart(series),
    }
    return Dashboard(
        period=period,
        total=total,
        cards=kpi_cards(hall, period, total),
        services=services,
        agents=agents,
        charts=charts,
    )


def _agent_names(keys: Sequence[str]) -> dict[str, str]:
    """Agents' display names by key (live records key agents by username; imported ones by the other system's
    id, which keeps its own name)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(username__in=[k for k in keys if k])
    return {u.get_username(): (u.get_full_name() or u.first_name or u.get_username()) for u in users}


def _trend_chart(code: str, series: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "days": [str(row["day"]) for row in series],
        "arrivals": [row.get("arrivals") or 0 for row in series],
        "served": [row.get("served") or 0 for row in series],
        "wait_mean_minutes": [_minutes(row.get("wait_mean_seconds")) for row in series],
        "handling_mean_minutes": [_minutes(row.get("handling_mean_seconds")) for row in series],
        "labels": {
            "arrivals": figure_label("arrivals"),
            "served": figure_label("served"),
            "wait": _("Mean wait (min)"),
            "handling": _("Mean handling (min)"),
            "count": _("count"),
            "minutes": _("min"),
        },
        "records_url": f"/hall/{code}/dashboard/records/",
    }


def _shares_chart(series: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    names = ("wait_within_10min_share", "over_limit_share", "satisfaction_share", "diversion_share")
    return {
        "days": [str(row["day"]) for row in series],
        "series": [
            {"key": n, "name": figure_label(n), "data": [_percent(row.get(n)) for row in series]} for n in names
        ],
        "unit": "%",
    }


def _heat_chart(code: str, period: Period, cells: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    hours = sorted({int(c["hour"]) for c in cells})
    data = []
    for c in cells:
        if not c.get("arrivals"):
            continue
        data.append(
            {
                "weekday": int(c["weekday"]),
                "hour": int(c["hour"]),
                "wait": _minutes(c.get("wait_mean_seconds")),
                "within": _percent(c.get("wait_within_10min_share")),
                "arrivals": c.get("arrivals"),
                "url": records_url(code, period, weekday=int(c["weekday"]), hour=int(c["hour"])),
            }
        )
    return {
        "hours": hours,
        "weekdays": _weekday_labels(),
        "cells": data,
        "target_minutes": WAIT_TARGET_SECONDS / 60,
        "labels": {
            "wait": _("Mean wait (min)"),
            "within": figure_label("wait_within_10min_share"),
            "arrivals": figure_label("arrivals"),
        },
    }


def _service_chart(rows: Sequence[ServiceRow]) -> dict[str, Any]:
    return {
        "services": [r.label for r in rows],
        "handling": [_minutes(r.figures.get("handling_mean_seconds")) for r in rows],
        "service": [_minutes(r.figures.get("service_mean_seconds")) for r in rows],
        "limit": [_minutes(r.limit_seconds) for r in rows],
        "urls": [r.url for r in rows],
        "labels": {
            "handling": _("Mean handling (min)"),
            "service": _("Mean service time (min)"),
            "limit": _("Limit (min)"),
            "minutes": _("min"),
        },
    }


# ------------------------------------------------------------------------------------------------- records


def record_rows(records: Sequence[Any], hall: Hall) -> list[dict[str, Any]]:
    """The drill-down table's rows: the times in the hall's zone, durations as m:ss, the limit, the outcome."""
    tz = hall.tz
    types = {b.pk: b for b in BusinessType.objects.filter(pk__in={r.service_id for r in records})}
    rows = []
    for r in records:
        service = types.get(r.service_id)
        limit = r.limit_minutes * 60 if r.limit_minutes is not None else None
        rows.append(
            {
                "ticket": r.ticket,
                "day": r.local_day,
                "service": service.label if service else "",
                "channel": r.channel,
                "priority": r.priority,
                "issued_at": r.issued_at.astimezone(tz),
                "called_at": r.called_at.astimezone(tz) if r.called_at else None,
                "ended_at": r.ended_at.astimezone(tz) if r.ended_at else None,
                "wait": format_figure("wait_mean_seconds", r.wait_seconds),
                "wait_over": r.wait_seconds is not None and r.wait_seconds > hall.wait_target_minutes * 60,
                "service_time": format_figure("service_mean_seconds", r.service_seconds),
                "limit": format_figure("service_mean_seconds", limit),
                "over_limit": r.over_limit,
                "outcome": r.get_outcome_display(),
                "outcome_code": r.outcome,
                "counter": r.counter_ext or "—",
                "agent": r.agent_ext or "—",
                "rating": r.rating,
                "pre_order": r.pre_order,
            }
        )
    return rows


def filter_labels(filters: Mapping[str, Any]) -> list[str]:
    """The active drill-down filters, in words (shown above the table)."""
    weekdays = _weekday_labels()
    out = []
    for name, value in filters.items():
        if name == "service":
            b = BusinessType.objects.filter(code=value).first()
            out.append(_("Business type: %(v)s") % {"v": b.label if b else value})
        elif name == "agent":
            out.append(_("Agent: %(v)s") % {"v": value or "—"})
        elif name == "counter":
            out.append(_("Counter: %(v)s") % {"v": value or "—"})
        elif name == "channel":
            out.append(_("Channel: %(v)s") % {"v": value})
        elif name == "tickets":
            out.append(_("Each ticket once (its first transaction)"))
        elif name == "called":
            out.append(_("Called tickets (their first transaction)"))
        elif name == "hour":
            out.append(_("Hour: %(v)02d:00–%(v)02d:59") % {"v": value})
        elif name == "weekday":
            out.append(_("Weekday: %(v)s") % {"v": weekdays[value]})
        elif name == "outcome":
            out.append(_("Outcome: %(v)s") % {"v": value})
        elif name == "over_limit":
            out.append(_("Over the business type's limit"))
        elif name == "wait_over_target":
            out.append(_("Waited more than 10 minutes"))
    return out


# -------------------------------------------------------------------------------------------------- region


@dataclass(frozen=True)
class HallColumn:
    hall: Hall
    figures: dict[str, Any]
    url: str


REGION_ROWS = (
    "arrivals",
    "served",
    "wait_mean_seconds",
    "wait_p90_seconds",
    "wait_within_10min_share",
    "handling_mean_seconds",
    "service_mean_seconds",
    "over_limit_share",
    "no_show_rate",
    "diversion_share",
    "pre_order_share",
    "satisfaction_share",
    "rating_rate",
    "workload_cv",
)


def region_table(halls: Sequence[Hall], period: Period) -> dict[str, Any]:
    """Halls side by side: one column per hall and one for all of them together, one row per figure."""
    result = analytics.kpi_summary(halls=list(halls), start=period.start, end=period.end, by="hall")
    by_hall: dict[str, dict[str, Any]] = result.get("groups", {})
    together: dict[str, Any] = result["total"]
    query = urlencode(period.query())
    columns = [
        HallColumn(hall=hall, figures=by_hall.get(hall.code, {}), url=f"/hall/{hall.code}/dashboard/?{query}")
        for hall in halls
    ]
    rows = []
    for name in REGION_ROWS:
        values = [c.figures.get(name) for c in columns]
        rows.append(
            {
                "key": name,
                "label": figure_label(name),
                "cells": [format_figure(name, v) for v in values],
                "together": format_figure(name, together.get(name)),
            }
        )

    def series(name: str) -> dict[str, Any]:
        minutes = figure_kind(name) is FigureKind.SECONDS
        return {
            "key": name,
            "name": figure_label(name),
            "data": [(_minutes if minutes else _percent)(c.figures.get(name)) for c in columns],
            "axis": 0 if minutes else 1,
        }

    chart = {
        "halls": [c.hall.name for c in columns],
        "urls": [c.url for c in columns],
        "series": [
            series(name)
            for name in (
                "wait_mean_seconds",
                "wait_p90_seconds",
                "wait_within_10min_share",
                "over_limit_share",
                "satisfaction_share",
            )
        ],
        "axes": [_("min"), "%"],
    }
    return {"columns": columns, "rows": rows, "chart": chart}
