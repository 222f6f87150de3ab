"""Reads of the analytics data: KPI summaries, the wait heat map, daily series, drill-down and core records.

Periods are inclusive ranges of hall-local days of issue (a cohort, as in docs/kpis.md: everything about a
ticket counts on the day it was issued). ``halls`` is any iterable of halls (or hall ids).

``kpi_summary`` computes every figure exactly with ``core.kpi.compute_kpis`` over the raw records up to
``EXACT_MAX_HALL_DAYS`` hall-days (one hall-month); beyond, it adds up the hourly roll-ups: counts, means and
shares stay exact, the median and p90 are estimated from the wait histogram, and each ``over_limit`` list
holds at most ``OVER_LIMIT_LIST_MAX`` transactions (the latest). See docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from hallops.analytics.figures import (
    FIGURES,
    histogram,
    kpis_from_figures,
    quantile_from_histogram,
)
from hallops.analytics.models import AgentDayFigures, HourlyFigures, VisitRecord
from hallops.catalog.models import BusinessType, Complexity
from hallops.core.kpi import (
    WAIT_TARGET_SECONDS,
    GroupBy,
    Kpis,
    Outcome,
    OverLimit,
    TransactionRecord,
    compute_kpis,
    kpis_as_dict,
)
from hallops.errors import Invalid
from hallops.organisation.models import Hall

HallsArg = Iterable[Hall | int]

#: up to this many hall-days, kpi_summary computes from the raw records (exact percentiles)
EXACT_MAX_HALL_DAYS = 31
#: beyond it, each over_limit list holds at most this many transactions (the latest by call time)
OVER_LIMIT_LIST_MAX = 200
#: the groups of kpi_summary: the core's, plus weekday (0 = Monday) and hall (its code)
GROUPS = ("hour", "day", "weekday", "service", "agent", "counter", "channel", "hall")
_CORE_GROUPS = {g.value for g in GroupBy}


def _halls(halls: HallsArg) -> list[Hall]:
    given = list(halls)
    ids = [h for h in given if isinstance(h, int)]
    out = [h for h in given if isinstance(h, Hall)]
    if ids:
        out += list(Hall.objects.filter(pk__in=ids))
    unique = {h.pk: h for h in out}
    return sorted(unique.values(), key=lambda h: h.code)


def _period(start: dt.date, end: dt.date) -> None:
    if end < start:
        raise Invalid("the period ends before it starts", field="end", code="invalid_period")


def _complex_codes() -> frozenset[str]:
    return frozenset(BusinessType.objects.filter(complexity=Complexity.COMPLEX).values_list("code", flat=True))


def _rows(hall_list: list[Hall], start: dt.date, end: dt.date) -> QuerySet[VisitRecord]:
    return VisitRecord.objects.filter(hall__in=hall_list, local_day__range=(start, end))


def _ticket_label(hall: Hall, ticket: str, qualify: bool) -> str:
    return f"{hall.code}/{ticket}" if qualify else ticket


_RECORD_VALUES = (
    "hall_id",
    "ticket",
    "service_id",
    "channel",
    "priority",
    "issued_at",
    "called_at",
    "arrived_at",
    "communication_at",
    "operation_at",
    "ended_at",
    "outcome",
    "counter_ext",
    "agent_ext",
    "rating",
    "quoted_wait_seconds",
    "pre_order",
    "limit_minutes",
)


def _hall_records(hall_list: list[Hall], start: dt.date, end: dt.date) -> list[tuple[Hall, TransactionRecord]]:
    """Every stored record of the period with its hall; times in the hall's zone, tickets qualified by the
    hall's code when there are several halls. (Plain tuples: a hall-month is some ten thousand rows.)"""
    by_pk = {h.pk: h for h in hall_list}
    zones = {h.pk: h.tz for h in hall_list}
    codes = dict(BusinessType.objects.values_list("pk", "code"))
    qualify = len(hall_list) > 1
    outcomes = {o.value: o for o in Outcome}
    out = []
    rows = _rows(hall_list, start, end).order_by("hall_id", "local_day", "ticket", "row_key")
    for row in rows.values_list(*_RECORD_VALUES).iterator(chunk_size=5000):
        (hall_id, ticket, service_id, channel, priority, issued, called, arrived, communication, operation, ended,
         outcome, counter, agent, rating, quoted, pre_order, limit) = row  # fmt: skip
        tz = zones[hall_id]
        hall = by_pk[hall_id]
        out.append(
            (
                hall,
                TransactionRecord(
                    ticket=_ticket_label(hall, ticket, qualify),
                    service=codes[service_id],
                    channel=channel,
                    priority=priority,
                    issued_at=issued.astimezone(tz),
                    called_at=called.astimezone(tz) if called is not None else None,
                    arrived_at=arrived.astimezone(tz) if arrived is not None else None,
                    communication_at=communication.astimezone(tz) if communication is not None else None,
                    operation_at=operation.astimezone(tz) if operation is not None else None,
                    ended_at=ended.astimezone(tz) if ended is not None else None,
                    outcome=outcomes[outcome],
                    counter=counter,
                    agent=agent,
                    rating=rating,
                    quoted_wait_seconds=quoted,
                    pre_order=pre_order,
                    limit_minutes=limit,
                ),
            )
        )
    return out


# ------------------------------------------------------------------------------------------------- kpi_summary


def kpi_summary(
    *, halls: HallsArg, start: dt.date, end: dt.date, by: str | None = None, exact: bool | None = None
) -> dict[str, Any]:
    """The KPIs of the halls' tickets issued from ``start`` to ``end`` (inclusive, hall-local days).

    The same shape and names as ``hallops kpi --json``: ``{"total": {...}}``, plus ``"groups": {key: {...}}``
    when ``by`` is one of :data:`GROUPS` (keys as the core's; ``weekday`` keys "0" (Monday) to "6", ``hall``
    keys the hall codes). ``pre_order_complex_coverage`` is included (complex business types from the
    catalog). ``exact``: force the raw records (True) or the roll-ups (False); by default the raw records up
    to :data:`EXACT_MAX_HALL_DAYS` hall-days.
    """
    _period(start, end)
    if by is not None and by not in GROUPS:
        raise Invalid(f"by must be one of {', '.join(GROUPS)}", field="by", code="invalid_choice")
    hall_list = _halls(halls)
    if exact is None:
        exact = len(hall_list) * ((end - start).days + 1) <= EXACT_MAX_HALL_DAYS
    if exact:
        return _summary_exact(hall_list, start, end, by)
    return _summary_rollups(hall_list, start, end, by)


def _summary_exact(hall_list: list[Hall], start: dt.date, end: dt.date, by: str | None) -> dict[str, Any]:
    pairs = _hall_records(hall_list, start, end)
    records = [r for _, r in pairs]
    complex_codes = _complex_codes()
    if by is None or by in _CORE_GROUPS:
        group = GroupBy(by) if by is not None else None
        report = compute_kpis(records, by=group, complex_services=complex_codes, checked=True)
        out: dict[str, Any] = {"total": kpis_as_dict(report.total)}
        if by is not None:
            out["groups"] = {key: kpis_as_dict(k) for key, k in report.groups.items()}
        return out
    key_of: Callable[[Hall, TransactionRecord], str] = (
        (lambda hall, r: str(r.issued_at.weekday())) if by == "weekday" else (lambda hall, r: hall.code)
    )
    parts: dict[str, list[TransactionRecord]] = {}
    for hall, r in pairs:
        parts.setdefault(key_of(hall, r), []).append(r)
    total = compute_kpis(records, complex_services=complex_codes, checked=True).total
    return {
        "total": kpis_as_dict(total),
        "groups": {
            key: kpis_as_dict(compute_kpis(parts[key], complex_services=complex_codes, checked=True).total)
            for key in sorted(parts)
        },
    }


#: annotations are named s_<figure>: an annotation may not take the name of a column
_SUMS = {f"s_{name}": Sum(name) for name in FIGURES}
_COMPLEX = Q(service__complexity=Complexity.COMPLEX)
_COMPLEX_SUMS = {"s_complex_done": Sum("served", filter=_COMPLEX), "s_complex_pre": Sum("pre_order", filter=_COMPLEX)}

#: per group: the roll-up it reads and the columns that make its key
_GROUP_COLUMNS: dict[str | None, tuple[str, tuple[str, ...]]] = {
    None: ("hourly", ()),
    "hour": ("hourly", ("hall_id", "hour_start")),
    "day": ("hourly", ("local_day",)),
    "weekday": ("hourly", ("weekday",)),
    "service": ("hourly", ("service__code",)),
    "channel": ("hourly", ("channel",)),
    "hall": ("hourly", ("hall__code",)),
    "agent": ("agent_day", ("agent",)),
    "counter": ("agent_day", ("counter",)),
}


def _key_function(by: str | None, hall_list: list[Hall]) -> Callable[[Mapping[str, Any]], str]:
    tz = {h.pk: h.tz for h in hall_list}
    if by is None:
        return lambda row: ""
    if by == "hour":
        return lambda row: row["hour_start"].astimezone(tz[row["hall_id"]]).isoformat(timespec="minutes")
    column = _GROUP_COLUMNS[by][1][0]
    if by == "day":
        return lambda row: row[column].isoformat()
    return lambda row: str(row[column])


def _sorted_groups(keys: Iterable[str], by: str) -> list[str]:
    if by == "hour":
        return sorted(keys, key=lambda key: (dt.datetime.fromisoformat(key), key))
    return sorted(keys)


def _summary_rollups(hall_list: list[Hall], start: dt.date, end: dt.date, by: str | None) -> dict[str, Any]:
    table, columns = _GROUP_COLUMNS[by]
    model = HourlyFigures if table == "hourly" else AgentDayFigures
    cells = model.objects.filter(hall__in=hall_list, local_day__range=(start, end))
    key_of = _key_function(by, hall_list)
    groups: dict[str, dict[str, int]] = {}
    if columns:
        rows: Iterable[Mapping[str, Any]] = cells.values(*columns).annotate(**_SUMS, **_COMPLEX_SUMS).order_by()
    else:  # values() without columns would group by every column: one row per cell
        rows = [cells.aggregate(**_SUMS, **_COMPLEX_SUMS)]
    for row in rows:
        into = groups.setdefault(key_of(row), {})
        for name in (*FIGURES, "complex_done", "complex_pre"):
            into[name] = into.get(name, 0) + int(row[f"s_{name}"] or 0)  # PostgreSQL sums bigint as numeric
    workload = _workload(hall_list, start, end, by, key_of)
    over = _over_limit(hall_list, start, end, by, key_of)
    total: dict[str, int] = {}
    for figures in groups.values():
        for name, value in figures.items():
            total[name] = total.get(name, 0) + value
    total_workload = (workload if by is None else _workload(hall_list, start, end, None, key_of)).get(None, {})

    def kpis(f: Mapping[str, int], per_agent: Mapping[str, int], over_list: list[OverLimit]) -> dict[str, object]:
        hist = histogram(f)
        k: Kpis = kpis_from_figures(
            f,
            complex_done=f.get("complex_done", 0),
            complex_pre=f.get("complex_pre", 0),
            per_agent=per_agent.values(),
            over_limit=over_list,
            wait_median=quantile_from_histogram(hist, 0.5),
            wait_p90=quantile_from_histogram(hist, 0.9),
        )
        return kpis_as_dict(k)

    out: dict[str, Any] = {"total": kpis(total, total_workload, [o for _, o in over])}
    if by is not None:
        out["groups"] = {
            key: kpis(groups[key], workload.get(key, {}), [o for g, o in over if g == key])
            for key in _sorted_groups(groups, by)
        }
    return out


def _workload(
    hall_list: list[Hall],
    start: dt.date,
    end: dt.date,
    by: str | None,
    key_of: Callable[[Mapping[str, Any]], str],
) -> dict[str | None, dict[str, int]]:
    """Done transactions per non-empty agent, per group (None: the total)."""
    out: dict[str | None, dict[str, int]] = {}
    if by in ("hour", "channel"):  # not in the agent roll-up: count the raw rows
        columns = _GROUP_COLUMNS[by][1]
        rows = (
            _rows(hall_list, start, end)
            .filter(outcome=Outcome.DONE.value)
            .exclude(agent_ext="")
            .values(*columns, "agent_ext")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            into = out.setdefault(key_of(row), {})
            into[row["agent_ext"]] = into.get(row["agent_ext"], 0) + int(row["n"])
        return out
    columns = _GROUP_COLUMNS[by][1] if by is not None else ()
    cells = (
        AgentDayFigures.objects.filter(hall__in=hall_list, local_day__range=(start, end))
        .exclude(agent="")
        .values(*columns, "agent")
        .annotate(n=Sum("served"))
        .order_by()
    )
    keyed = _key_function(by, hall_list) if by is not None else None
    for row in cells:
        if not row["n"]:
            continue
        group = keyed(row) if keyed is not None else None
        into = out.setdefault(group, {})
        into[row["agent"]] = into.get(row["agent"], 0) + int(row["n"])
    if by is None:
        out.setdefault(None, {})
    return out


def _over_limit(
    hall_list: list[Hall],
    start: dt.date,
    end: dt.date,
    by: str | None,
    key_of: Callable[[Mapping[str, Any]], str],
) -> list[tuple[str, OverLimit]]:
    """The latest over-limit transactions (at most OVER_LIMIT_LIST_MAX), by call time, with their group."""
    by_pk = {h.pk: h for h in hall_list}
    qualify = len(hall_list) > 1
    latest = list(
        _rows(hall_list, start, end)
        .filter(over_limit=True)
        .select_related("service", "hall")
        .order_by("-called_at", "-pk")[:OVER_LIMIT_LIST_MAX]
    )
    out = []
    for v in reversed(latest):
        hall = by_pk[v.hall_id]
        tz = hall.tz
        assert v.called_at is not None and v.service_seconds is not None and v.limit_minutes is not None
        row = {
            "hall_id": v.hall_id,
            "hour_start": v.hour_start,
            "local_day": v.local_day,
            "weekday": v.weekday,
            "service__code": v.service.code,
            "channel": v.channel,
            "hall__code": hall.code,
            "agent": v.agent_ext,
            "counter": v.counter_ext,
        }
        item = OverLimit(
            ticket=_ticket_label(hall, v.ticket, qualify),
            issued_at=v.issued_at.astimezone(tz),
            service=v.service.code,
            counter=v.counter_ext,
            agent=v.agent_ext,
            called_at=v.called_at.astimezone(tz),
            service_seconds=v.service_seconds,
            limit_seconds=v.limit_minutes * 60,
        )
        out.append((key_of(row) if by is not None else "", item))
    out.sort(key=lambda pair: _over_order(pair[1]))
    return out


def _over_order(o: OverLimit) -> tuple[object, ...]:
    """The core's order of the over-limit list."""
    return (o.called_at, o.ticket, o.service, o.counter, o.agent, o.service_seconds, o.limit_seconds)


# ------------------------------------------------------------------------------------------ heat map and series


def _share(numerator: int | None, denominator: int | None) -> float | None:
    return (numerator or 0) / denominator if denominator else None


def _mean_seconds(total_us: int | None, n: int | None) -> float | None:
    return ((total_us or 0) / 1_000_000) / n if n else None


def wait_heatmap(*, halls: HallsArg, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """One cell per (weekday, hall-local hour of issue) that had tickets, by weekday then hour:
    ``weekday`` (0 = Monday), ``hour`` (0–23), ``arrivals``, ``wait_mean_seconds`` and
    ``wait_within_10min_share`` (over the called tickets; None when none was called)."""
    _period(start, end)
    rows = (
        HourlyFigures.objects.filter(hall__in=_halls(halls), local_day__range=(start, end))
        .values("weekday", "local_hour")
        .annotate(
            s_arrivals=Sum("arrivals"), s_called=Sum("called"), s_wait_us=Sum("wait_us"), s_within=Sum("wait_within")
        )
        .order_by("weekday", "local_hour")
    )
    out = []
    for row in rows:
        n = {name: int(row[f"s_{name}"] or 0) for name in ("arrivals", "called", "wait_us", "within")}
        if n["arrivals"]:
            out.append(
                {
                    "weekday": row["weekday"],
                    "hour": row["local_hour"],
                    "arrivals": n["arrivals"],
                    "wait_mean_seconds": _mean_seconds(n["wait_us"], n["called"]),
                    "wait_within_10min_share": _share(n["within"], n["called"]),
                }
            )
    return out


def daily_series(*, halls: HallsArg, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """One item per day from ``start`` to ``end`` (days without tickets included, their figures None):
    ``day`` (ISO date), ``arrivals``, ``served``, ``wait_mean_seconds``, ``wait_within_10min_share``,
    ``over_limit_share``, ``satisfaction_share``, ``diversion_share``, ``handling_mean_seconds``."""
    _period(start, end)
    names = ("arrivals", "called", "wait_us", "wait_within", "served", "over_limit", "rated", "satisfied")
    rows = (
        HourlyFigures.objects.filter(hall__in=_halls(halls), local_day__range=(start, end))
        .values("local_day")
        .annotate(**{f"s_{name}": Sum(name) for name in (*names, "diverted", "handling_us")})
        .order_by()
    )
    by_day = {
        row["local_day"]: {name[2:]: int(value or 0) for name, value in row.items() if name.startswith("s_")}
        for row in rows
    }
    out = []
    day = start
    while day <= end:
        row = by_day.get(day, {})
        out.append(
            {
                "day": day.isoformat(),
                "arrivals": row.get("arrivals") or 0,
                "served": row.get("served") or 0,
                "wait_mean_seconds": _mean_seconds(row.get("wait_us"), row.get("called")),
                "wait_within_10min_share": _share(row.get("wait_within"), row.get("called")),
                "over_limit_share": _share(row.get("over_limit"), row.get("served")),
                "satisfaction_share": _share(row.get("satisfied"), row.get("rated")),
                "diversion_share": _share(row.get("diverted"), row.get("arrivals")),
                "handling_mean_seconds": _mean_seconds(row.get("handling_us"), row.get("served")),
            }
        )
        day += dt.timedelta(days=1)
    return out


# -------------------------------------------------------------------------------------------------- drill-down

#: outcomes counted per ticket by the core: drill-down returns the first row of each such ticket
_TICKET_OUTCOMES = {
    Outcome.NO_SHOW.value: "ticket_no_show",
    Outcome.CANCELLED.value: "ticket_cancelled",
    Outcome.DIVERTED.value: "ticket_diverted",
}


def records_behind(*, halls: HallsArg, start: dt.date, end: dt.date, **filters: Any) -> QuerySet[VisitRecord]:
    """The records behind a figure of :func:`kpi_summary`, for drill-down.

    Filters (all optional, combined with AND): ``service`` (code), ``agent``, ``counter`` (the group keys),
    ``channel``, ``hall`` (code), ``day`` (date), ``hour`` (hall-local hour 0–23, or an hour key such as
    "2024-03-10T09:00+08:00"), ``weekday`` (0 = Monday); and what the figure counts:

    - ``outcome="done"``: the done transactions (served, handling, service time, ...); ``"not_served"``: the
      records not served; ``"no_show"``, ``"cancelled"``, ``"diverted"``: each ticket with such a record
      once, as its first transaction's record (the core counts these per ticket);
    - ``over_limit=True``: the done transactions over their limit;
    - ``wait_over_target=True``: the tickets (first records) that waited more than 10 minutes;
    - ``tickets=True``: every ticket once (arrivals); ``called=True``: the called tickets.

    Ticket filters and the group filters together select the tickets whose first transaction is in the
    group, as the core groups ticket figures. Ordered by issue time, ticket, call time.
    """
    _period(start, end)
    hall_list = _halls(halls)
    qs = _rows(hall_list, start, end)
    for name, value in filters.items():
        if value is None:
            continue
        if name == "service":
            qs = qs.filter(service__code=value)
        elif name == "agent":
            qs = qs.filter(agent_ext=value)
        elif name == "counter":
            qs = qs.filter(counter_ext=str(value))
        elif name == "channel":
            qs = qs.filter(channel=value)
        elif name == "hall":
            qs = qs.filter(hall__code=value)
        elif name == "day":
            qs = qs.filter(local_day=value)
        elif name == "weekday":
            qs = qs.filter(weekday=int(value))
        elif name == "hour":
            if isinstance(value, str) and not value.isdigit():
                try:
                    qs = qs.filter(hour_start=dt.datetime.fromisoformat(value))
                except ValueError:
                    raise Invalid("hour is 0–23 or an hour key", field="hour") from None
            else:
                qs = qs.filter(local_hour=int(value))
        elif name == "outcome":
            if value in _TICKET_OUTCOMES:
                qs = qs.filter(first=True, **{_TICKET_OUTCOMES[value]: True})
            elif value in (Outcome.DONE.value, Outcome.NOT_SERVED.value):
                qs = qs.filter(outcome=value)
            else:
                raise Invalid(f"unknown outcome {value!r}", field="outcome", code="invalid_choice")
        elif name == "over_limit":
            qs = qs.filter(over_limit=bool(value))
        elif name == "wait_over_target":
            wait = Q(wait_seconds__gt=WAIT_TARGET_SECONDS)
            qs = qs.filter(first=True).filter(wait if value else ~wait & Q(wait_seconds__isnull=False))
        elif name == "tickets":
            if value:
                qs = qs.filter(first=True)
        elif name == "called":
            qs = qs.filter(first=True, wait_seconds__isnull=not value)
        else:
            raise Invalid(f"unknown filter {name!r}", field=name, code="unknown_filter")
    return qs.select_related("hall", "service", "counter", "agent").order_by("issued_at", "ticket", "row_key")


def records_for(*, halls: HallsArg, start: dt.date, end: dt.date) -> list[TransactionRecord]:
    """The core records of the halls' tickets issued from ``start`` to ``end`` (inclusive, hall-local days),
    times in each hall's zone. With several halls each ticket is "<hall code>/<number>", so that tickets of
    different halls stay apart in ``compute_kpis``."""
    _period(start, end)
    return [r for _, r in _hall_records(_halls(halls), start, end)]
