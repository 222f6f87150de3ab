"""Reads for planning: a hall's arrivals history and measured figures (from its visit records), its staff,
counters, rules and calendar, and the stored plans and what-if runs.

The arrivals history counts tickets as ``core.forecast.arrivals_from_records`` does (each ticket once, under
its first transaction's business type, in the hall-local half hour it was issued), but reads only the
tickets' first rows, and only two columns of them: the same counts without building every record
(``tests/planning/test_services.py`` checks they are equal).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db.models import F, QuerySet

from hallops.analytics.models import RecordOutcome, VisitRecord
from hallops.catalog.models import BusinessType, Complexity
from hallops.core.calendar import WorkingCalendar
from hallops.core.forecast import SLOT_MINUTES, ArrivalHistory, arrival_history
from hallops.core.roles import Role
from hallops.errors import NotFound
from hallops.organisation.models import Counter, CounterZone, Hall, StaffRole
from hallops.planning.models import Plan, WhatIfRun
from hallops.rules.models import ModeConfig as ModeConfigRow
from hallops.rules.models import RuleVersion
from hallops.rules.selectors import hall_mode_config

#: the roles a roster fills, and which staff roles may fill them (docs/planning.md): counter agents also
#: prepare pre-orders (they may edit them); pre-acceptance clerks also help at the kiosks
ROSTER_ROLES = ("counter", "preaccept", "kiosk")
ROLE_SKILLS: dict[Role, tuple[str, ...]] = {
    Role.AGENT: ("counter", "preaccept"),
    Role.PREACCEPT: ("preaccept", "kiosk"),
    Role.SELFSERVICE: ("kiosk",),
}
#: counters of these zones are not service windows the simulator staffs
NOT_COUNTERS = (CounterZone.PREACCEPT, CounterZone.SELFSERVICE)
#: a figure measured on fewer samples than this falls back to its default
MIN_SAMPLES = 20


# ------------------------------------------------------------------------------------------------ history


def history_days(hall: Hall) -> tuple[dt.date, dt.date] | None:
    """The first and last hall-local days with visit records, or None."""
    qs = VisitRecord.objects.filter(hall=hall)
    first = qs.order_by("local_day").values_list("local_day", flat=True).first()
    last = qs.order_by("-local_day").values_list("local_day", flat=True).first()
    return None if first is None or last is None else (first, last)


def arrivals_history(hall: Hall, start: dt.date, end: dt.date) -> ArrivalHistory:
    """Arrivals per business type, hall-local day (``start`` … ``end``, days without tickets included) and
    half hour, from the tickets' first rows."""
    tz = hall.tz
    cells: dict[tuple[dt.date, int, str], float] = {}
    codes = dict(BusinessType.objects.values_list("pk", "code"))
    rows = VisitRecord.objects.filter(hall=hall, first=True, local_day__range=(start, end)).values_list(
        "issued_at", "service_id"
    )
    for issued_at, service_id in rows.iterator(5000):
        local = issued_at.astimezone(tz)
        key = (local.date(), (local.hour * 60 + local.minute) // SLOT_MINUTES, codes[service_id])
        cells[key] = cells.get(key, 0.0) + 1.0
    return arrival_history(cells, start=start, end=end)


def actual_arrivals(hall: Hall, day: dt.date) -> list[float] | None:
    """Tickets issued per half hour (48) of a hall-local day, from the visit records; None without any."""
    history = arrivals_history(hall, day, day)
    if not history.counts:
        return None
    return [math.fsum(rows[0][t] for rows in history.counts.values()) for t in range(24 * 60 // SLOT_MINUTES)]


def hall_calendar(hall: Hall) -> WorkingCalendar:
    """The hall's working calendar (its mode configuration's country, extra holidays and working days)."""
    return hall_mode_config(hall)[0].calendar()


# ------------------------------------------------------------------------------------------- measured figures


@dataclass(frozen=True, slots=True)
class ServiceFigures:
    """What the history says about one business type (None: too few samples)."""

    done: int
    #: counter service time (arrival at the counter → done) without a pre-order, in seconds
    service_mean: float | None
    service_cv: float | None
    #: communication ÷ (communication + operation), rows with both marked
    communication_share: float | None
    #: share of its tickets sent to self-service (diverted)
    diverted_share: float | None
    #: share of its done transactions with a pre-order
    pre_order_share: float | None


@dataclass(frozen=True, slots=True)
class HallFigures:
    """The measured inputs of a hall's simulated day (docs/planning.md lists each and its default)."""

    start: dt.date
    end: dt.date
    tickets: int
    services: dict[str, ServiceFigures] = field(default_factory=dict)
    walk_seconds: float | None = None
    no_show_share: float | None = None
    #: shares of the tickets by priority ("elderly", "appointment", "vip")
    priorities: dict[str, float] = field(default_factory=dict)
    #: mean patience (exponential, by maximum likelihood: abandonments ÷ total time spent waiting)
    patience_minutes: float | None = None
    abandonments: int = 0
    #: communication with a pre-order ÷ without, over the pre-acceptance business types
    communication_factor: float | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "tickets": self.tickets,
            "walk_seconds": self.walk_seconds,
            "no_show_share": self.no_show_share,
            "priorities": self.priorities,
            "patience_minutes": self.patience_minutes,
            "abandonments": self.abandonments,
            "communication_factor": self.communication_factor,
            "services": {
                code: {
                    "done": f.done,
                    "service_mean_seconds": f.service_mean,
                    "service_cv": f.service_cv,
                    "communication_share": f.communication_share,
                    "diverted_share": f.diverted_share,
                    "pre_order_share": f.pre_order_share,
                }
                for code, f in sorted(self.services.items())
            },
        }


def _mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def _cv(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = math.fsum(values) / len(values)
    if mean <= 0:
        return None
    variance = math.fsum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(variance) / mean


def _seconds(a: dt.datetime | None, b: dt.datetime | None) -> float | None:
    if a is None or b is None:
        return None
    return (b - a).total_seconds()


def hall_figures(hall: Hall, start: dt.date, end: dt.date) -> HallFigures:
    """Service times, routing shares, walk, no-shows, priorities and patience from the hall's visit records of
    ``start`` … ``end`` (hall-local days of issue)."""
    codes = dict(BusinessType.objects.values_list("pk", "code"))
    pre_capable = set(BusinessType.objects.filter(pre_acceptance=True).values_list("code", flat=True))
    rows = VisitRecord.objects.filter(hall=hall, local_day__range=(start, end)).values_list(
        "service_id",
        "outcome",
        "first",
        "priority",
        "issued_at",
        "called_at",
        "arrived_at",
        "communication_at",
        "operation_at",
        "ended_at",
        "service_seconds",
        "pre_order",
        "wait_seconds",
        "ticket_no_show",
        "ticket_diverted",
        "ticket_cancelled",
    )
    tickets = 0
    by_type: dict[str, dict[str, list[float]]] = {}
    firsts: dict[str, list[int]] = {}  # code -> [tickets, diverted]
    walks: list[float] = []
    called = no_shows = abandoned = 0
    waiting_seconds: list[float] = []
    priorities: dict[str, int] = {}
    comm_with: list[float] = []
    comm_without: list[float] = []
    for (
        service_id,
        outcome,
        first,
        priority,
        issued,
        called_at,
        arrived,
        communication,
        operation,
        ended,
        service_seconds,
        pre_order,
        wait,
        no_show,
        diverted,
        cancelled,
    ) in rows.iterator(5000):
        code = codes[service_id]
        if first:
            tickets += 1
            counts = firsts.setdefault(code, [0, 0])
            counts[0] += 1
            counts[1] += 1 if diverted else 0
            priorities[priority] = priorities.get(priority, 0) + 1
            if wait is not None:
                called += 1
                no_shows += 1 if no_show else 0
                waiting_seconds.append(wait)
            elif cancelled and outcome == RecordOutcome.CANCELLED and ended is not None:
                abandoned += 1
                waiting_seconds.append(max(0.0, (ended - issued).total_seconds()))
        if outcome != RecordOutcome.DONE or service_seconds is None:
            continue
        figures = by_type.setdefault(code, {"all": [], "plain": [], "comm": [], "op": [], "pre": []})
        figures["all"].append(service_seconds)
        figures["pre"].append(1.0 if pre_order else 0.0)
        if not pre_order:
            figures["plain"].append(service_seconds)
        comm = _seconds(communication, operation)
        op = _seconds(operation, ended)
        if comm is not None and op is not None and comm + op > 0:
            figures["comm"].append(comm)
            figures["op"].append(op)
            if code in pre_capable:
                (comm_with if pre_order else comm_without).append(comm)
        walk = _seconds(called_at, arrived)
        if walk is not None:
            walks.append(walk)
    services: dict[str, ServiceFigures] = {}
    for code in sorted(set(by_type) | set(firsts)):
        f = by_type.get(code, {"all": [], "plain": [], "comm": [], "op": [], "pre": []})
        times = f["plain"] if len(f["plain"]) >= MIN_SAMPLES else f["all"]
        enough = len(times) >= MIN_SAMPLES
        comm_total = math.fsum(f["comm"]) + math.fsum(f["op"])
        t = firsts.get(code, [0, 0])
        services[code] = ServiceFigures(
            done=len(f["all"]),
            service_mean=_mean(times) if enough else None,
            service_cv=_cv(times) if enough else None,
            communication_share=math.fsum(f["comm"]) / comm_total
            if len(f["comm"]) >= MIN_SAMPLES and comm_total > 0
            else None,
            diverted_share=t[1] / t[0] if t[0] >= MIN_SAMPLES else None,
            pre_order_share=_mean(f["pre"]) if len(f["pre"]) >= MIN_SAMPLES else None,
        )
    factor = None
    if len(comm_with) >= MIN_SAMPLES and len(comm_without) >= MIN_SAMPLES:
        without = _mean(comm_without)
        with_pre = _mean(comm_with)
        if without and with_pre is not None:
            factor = with_pre / without
    total_wait = math.fsum(waiting_seconds)
    return HallFigures(
        start=start,
        end=end,
        tickets=tickets,
        services=services,
        walk_seconds=_mean(walks) if len(walks) >= MIN_SAMPLES else None,
        no_show_share=no_shows / called if called >= MIN_SAMPLES else None,
        priorities={p: n / tickets for p, n in sorted(priorities.items())} if tickets else {},
        patience_minutes=total_wait / abandoned / 60.0 if abandoned >= MIN_SAMPLES and total_wait > 0 else None,
        abandonments=abandoned,
        communication_factor=factor,
    )


# ------------------------------------------------------------------------------------ catalog, counters, staff


@dataclass(frozen=True, slots=True)
class CatalogType:
    code: str
    prefix: str
    limit_minutes: float
    complex: bool
    kiosk: bool
    forced: bool
    pre_acceptance: bool
    name_zh: str
    name_en: str


def catalog_types() -> list[CatalogType]:
    """The active business types, in the catalog's order."""
    return [
        CatalogType(
            code=b.code,
            prefix=b.prefix,
            limit_minutes=float(b.limit_minutes),
            complex=b.complexity == Complexity.COMPLEX,
            kiosk=b.kiosk,
            forced=b.forced_self_service,
            pre_acceptance=b.pre_acceptance,
            name_zh=b.name_zh,
            name_en=b.name_en,
        )
        for b in BusinessType.objects.filter(active=True).order_by("sort_order", "code")
    ]


@dataclass(frozen=True, slots=True)
class CounterRow:
    number: int
    zone: str
    services: tuple[str, ...]


def hall_counters(hall: Hall) -> list[CounterRow]:
    """The hall's service windows (not the pre-acceptance and self-service desks), each with its business
    types, in the order the planner opens them: those serving the most types first, the counter zone before
    the others, then by number."""
    counters = (
        Counter.objects.filter(hall=hall).exclude(zone__in=NOT_COUNTERS).prefetch_related("services").order_by("number")
    )
    rows = [
        CounterRow(number=c.number, zone=c.zone, services=tuple(sorted(s.code for s in c.services.all() if s.active)))
        for c in counters
    ]
    rows = [r for r in rows if r.services]
    rows.sort(key=lambda r: (-len(r.services), r.zone != CounterZone.COUNTER, r.number))
    return rows


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: str
    name: str
    skills: tuple[str, ...]


def roster_staff(hall: Hall) -> list[StaffRow]:
    """The hall's active staff who can fill a roster role (``ROLE_SKILLS``), by username."""
    skills: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    rows = (
        StaffRole.objects.filter(hall=hall, role__in=[r.value for r in ROLE_SKILLS], user__is_active=True)
        .select_related("user")
        .order_by("user__username")
    )
    for row in rows:
        username = row.user.get_username()
        skills.setdefault(username, set()).update(ROLE_SKILLS[Role(row.role)])
        names[username] = row.user.get_full_name() or row.user.first_name or username
    return [
        StaffRow(id=u, name=names[u], skills=tuple(r for r in ROSTER_ROLES if r in skills[u]))
        for u in sorted(skills, key=lambda name: (len(name), name))
    ]


def hall_rule_definitions(hall: Hall) -> list[dict[str, object]]:
    """The hall's enabled rules at their current versions, in order, as stored (the scenario format's rules)."""
    versions = (
        RuleVersion.objects.filter(rule__hall=hall, rule__enabled=True, rule__current_id=F("id"))
        .order_by("rule__order", "rule__id")
        .values_list("definition", flat=True)
    )
    return list(versions)


def hall_modes_definition(hall: Hall) -> dict[str, object] | None:
    """The hall's stored mode configuration when the rules engine runs it, else None."""
    row = ModeConfigRow.objects.filter(hall=hall, enabled=True).first()
    return None if row is None else dict(row.config)


# ------------------------------------------------------------------------------------------ plans and runs


def latest_plan(hall: Hall, day: dt.date) -> Plan | None:
    """The day's plan: the newest stored for it."""
    return Plan.objects.filter(hall=hall, day=day).select_related("created_by").order_by("-created_at", "-pk").first()


def planned_days(hall: Hall, around: dt.date, *, days: int = 14) -> list[dt.date]:
    """The days within ``days`` of ``around`` that have a plan, in order."""
    lo, hi = around - dt.timedelta(days=days), around + dt.timedelta(days=days)
    return sorted(set(Plan.objects.filter(hall=hall, day__range=(lo, hi)).values_list("day", flat=True)))


def plans_of(halls: Iterable[Hall], day: dt.date) -> QuerySet[Plan]:
    return Plan.objects.filter(hall__in=list(halls), day=day)


def whatif_run(hall: Hall, run_id: int) -> WhatIfRun:
    """A what-if run of this hall (another hall's run: ``NotFound``)."""
    run = WhatIfRun.objects.filter(hall=hall, pk=run_id).select_related("created_by", "plan").first()
    if run is None:
        raise NotFound("what-if run not found", field="run")
    return run


def recent_runs(hall: Hall, *, limit: int = 10) -> list[WhatIfRun]:
    return list(WhatIfRun.objects.filter(hall=hall).select_related("created_by").order_by("-created_at", "-pk")[:limit])
