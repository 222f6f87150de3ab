"""Planning from the database: a hall's arrivals forecast, a day's plan (requirement and roster), the nightly
plans, and what-if runs. docs/planning.md ("Plans from the database") describes each step.

``plan_for_day``: forecast (``core.forecast``, on the hall's visit records and working calendar) → the day
as a four-zone scenario (``planning.scenario``, with the hall's measured service times, routing shares,
patience, rules) → the requirement per half hour (counters from Erlang A as the first guess, corrected by
simulating the four zones, ``core.sim.staffing``; pre-acceptance clerks and kiosk assistants likewise) → the
roster of the hall's staff (``core.roster``, OR-Tools CP-SAT) → a stored :class:`Plan`.

``whatif_start`` stores a what-if run and hands it to a Huey task (``planning.tasks.run_whatif``) after
COMMIT; ``whatif_execute`` (the task's body) simulates both sides on the same seeds and records the progress
after each replication, so that the page can show it.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from hallops.audit.services import audit_record
from hallops.core.calendar import WorkingCalendar
from hallops.core.forecast import (
    SLOTS_PER_DAY,
    ArrivalHistory,
    DayForecast,
    ForecastError,
    ForecastModel,
    fit,
    wape,
)
from hallops.core.roles import Action
from hallops.core.roster import (
    SLOT_MINUTES,
    BreakRule,
    RosterProblem,
    ShiftRules,
    SolverSettings,
    StaffMember,
    roster_as_dict,
    solve,
)
from hallops.core.sim.hall import KPI_FIELDS, HallResult, interval, run_figures, simulate_hall
from hallops.core.sim.scenario import Scenario, ScenarioError, Variant, parse_scenario
from hallops.core.sim.staffing import StaffingTargets, first_guess, staff_day
from hallops.errors import DomainError, Invalid
from hallops.organisation.access import Actor, require
from hallops.organisation.models import Hall
from hallops.planning import selectors
from hallops.planning.models import Plan, PlanMethod, PlanSource, RunPreset, RunState, WhatIfRun
from hallops.planning.scenario import (
    DayWindow,
    Staffing,
    apply_changes,
    day_window,
    scenario_document,
)

log = logging.getLogger("hallops.planning")

#: the forecast is fitted on at most this many weeks before the day (the model's half-life is 4 weeks)
HISTORY_WEEKS = 12
#: service times, routing shares, patience: measured on the last this many weeks of the history
FIGURE_WEEKS = 4
#: the planning page compares the forecast with what happened on the history's last this many days
RECENT_DAYS = 14
#: the longest forecast asked for at once, in days
MAX_FORECAST_DAYS = 366
#: the nightly job plans tomorrow once the hall's local time has passed this hour
NIGHTLY_HOUR = 20
PLAN_FORMAT = 1

#: default shift rules of a plan's roster (docs/planning.md): 4 to 9 hours, starting on the half hour; a
#: shift longer than 6 hours has one hour's break after at least 2 hours' work, between 11:00 and 14:00
SHIFT_LENGTHS = (240, 300, 360, 480, 540)
BREAK = BreakRule(longer_than=360, length=60, min_before=120, min_after=120, window=(11 * 60, 14 * 60))
MAX_SHIFT_MINUTES = 540
ROSTER_SOLVER = SolverSettings(seed=0, max_deterministic_time=10.0)
#: the roster's role names, in the order the page shows them, and the requirement each comes from
ROLE_OF_ZONE = {"counters": "counter", "clerks": "preaccept", "assistants": "kiosk"}
#: the what-if page's progress is written at most this often (and after the last replication)
PROGRESS_EVERY_SECONDS = 0.25


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanSettings:
    """How a plan is made. The targets are the issue's: 80% called within the hall's waiting-time target,
    at most 5% abandoning; clerks and assistants start 80% of their customers within 2 minutes."""

    simulate: bool = True
    replications: int = 6
    max_evaluations: int = 30
    seed: int = 1
    service_level: float = 0.8
    max_abandonment: float = 0.05


NIGHTLY_SETTINGS = PlanSettings()
#: the demo's plans: fewer replications, so that ``hallops demo`` stays quick
DEMO_SETTINGS = PlanSettings(replications=3, max_evaluations=16)


def _now(at: dt.datetime | None) -> dt.datetime:
    return at if at is not None else timezone.now()


def _user(actor: Actor | None) -> Any:
    return None if actor is None else actor.user


# ------------------------------------------------------------------------------------------------ forecast


@dataclass(frozen=True, slots=True)
class HallForecast:
    hall: Hall
    history: ArrivalHistory
    model: ForecastModel
    days: list[DayForecast]
    calendar: WorkingCalendar
    campaign_days: frozenset[dt.date] = field(default_factory=frozenset)


def _history_range(hall: Hall, start: dt.date, today: dt.date, weeks: int) -> tuple[dt.date, dt.date]:
    bounds = selectors.history_days(hall)
    if bounds is None:
        raise Invalid("the hall has no visit records to forecast from", field="hall", code="no_history")
    first, last = bounds
    end = min(start - dt.timedelta(days=1), today - dt.timedelta(days=1), last)
    begin = max(first, end - dt.timedelta(days=7 * weeks - 1))
    if end < begin:
        raise Invalid(f"the hall has no visit records before {start.isoformat()}", field="date", code="no_history")
    return begin, end


def forecast_for_hall(
    hall: Hall,
    start: dt.date,
    end: dt.date,
    *,
    weeks: int = HISTORY_WEEKS,
    campaign_days: Collection[dt.date] = (),
    uplift: float | None = None,
    today: dt.date | None = None,
) -> HallForecast:
    """Arrivals per business type and half hour for the hall-local days ``start`` … ``end``, fitted on the
    hall's visit records of at most ``weeks`` weeks that end before ``start`` and before today (today's
    records are incomplete), with the hall's working calendar. ``Invalid`` names the field at fault."""
    if end < start:
        raise Invalid("the last day is before the first", field="end", code="invalid_period")
    if (end - start).days + 1 > MAX_FORECAST_DAYS:
        raise Invalid(f"at most {MAX_FORECAST_DAYS} days at a time", field="end", code="invalid_period")
    if weeks < 1:
        raise Invalid("must be at least 1", field="weeks")
    today = today or timezone.now().astimezone(hall.tz).date()
    begin, last = _history_range(hall, start, today, weeks)
    history = selectors.arrivals_history(hall, begin, last)
    if not history.counts:
        raise Invalid("the hall's visit records have no tickets to forecast from", field="hall", code="no_history")
    calendar = selectors.hall_calendar(hall)
    try:
        model = fit(history, calendar, campaign_days=campaign_days, uplift=uplift)
        days = model.predict_range(start, end)
    except ForecastError as exc:
        raise Invalid(exc.message, field=exc.field) from None
    return HallForecast(
        hall=hall, history=history, model=model, days=days, calendar=calendar, campaign_days=frozenset(campaign_days)
    )


def _slot_totals(arrivals: Mapping[str, Sequence[float]]) -> list[float]:
    return [math.fsum(v[t] for v in arrivals.values()) for t in range(SLOTS_PER_DAY)]


def recent_accuracy(
    history: ArrivalHistory,
    calendar: WorkingCalendar,
    *,
    days: int = RECENT_DAYS,
    campaign_days: Collection[dt.date] = (),
) -> dict[str, Any]:
    """The forecast made each evening for the next day against what happened, on the history's last ``days``
    days (each fitted on the history before it, at least two weeks): the daily totals, the WAPE over every
    half hour and business type against the naive "same half hour a week earlier", and the WAPE of the daily
    totals."""
    rows: list[dict[str, Any]] = []
    actual_cells: list[float] = []
    forecast_cells: list[float] = []
    naive_cells: list[float] = []
    for i in range(max(14, history.days - days), history.days):
        day = history.date_of(i)
        model = fit(history.window(history.start, history.date_of(i - 1)), calendar, campaign_days=campaign_days)
        predicted = model.predict(day)
        total_actual = total_forecast = 0.0
        for service in history.services:
            rows_s = history.counts[service]
            expected = predicted.arrivals.get(service, (0.0,) * SLOTS_PER_DAY)
            for t in range(SLOTS_PER_DAY):
                actual_cells.append(rows_s[i][t])
                forecast_cells.append(expected[t])
                naive_cells.append(rows_s[i - 7][t])
            total_actual += math.fsum(rows_s[i])
            total_forecast += math.fsum(expected)
        rows.append({"day": day.isoformat(), "forecast": total_forecast, "actual": total_actual})
    return {
        "days": rows,
        "wape": wape(actual_cells, forecast_cells) if rows else None,
        "naive_wape": wape(actual_cells, naive_cells) if rows else None,
        "daily_wape": wape([r["actual"] for r in rows], [r["forecast"] for r in rows]) if rows else None,
    }


# --------------------------------------------------------------------------------------------------- plans


def _roster(
    window: DayWindow, requirement: Mapping[str, Sequence[int]], staff: Sequence[selectors.StaffRow]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The roster of the staff covering the requirement (roles with no demand left out), and its gaps merged
    into stretches."""
    needed = {role: tuple(heads) for role, heads in requirement.items() if any(heads)}
    if not needed:
        return None, []
    covers_lunch = window.opens <= BREAK.window[0] and window.closes >= BREAK.window[1] if BREAK.window else False
    rules = ShiftRules(
        lengths=SHIFT_LENGTHS,
        start_step=SLOT_MINUTES,
        breaks=BREAK if covers_lunch else BreakRule(longer_than=BREAK.longer_than, length=BREAK.length),
    )
    members = tuple(
        StaffMember(
            id=s.id,
            skills=frozenset(s.skills),
            earliest=window.opens,
            latest=window.closes,
            max_minutes=MAX_SHIFT_MINUTES,
        )
        for s in staff
        if set(s.skills) & set(needed)
    )
    problem = RosterProblem(start=window.opens, requirement=needed, staff=members, rules=rules)
    roster = solve(problem, ROSTER_SOLVER)
    gaps: list[dict[str, Any]] = []
    for g in sorted(roster.gaps, key=lambda g: (g.role, g.start)):
        last = gaps[-1] if gaps else None
        if last and last["role"] == g.role and last["missing"] == g.missing and last["end_minutes"] == g.start:
            last["end_minutes"] = g.start + SLOT_MINUTES
        else:
            gaps.append(
                {"role": g.role, "start_minutes": g.start, "end_minutes": g.start + SLOT_MINUTES, "missing": g.missing}
            )
    for g in gaps:
        g["start"] = f"{g['start_minutes'] // 60:02d}:{g['start_minutes'] % 60:02d}"
        g["end"] = f"{g['end_minutes'] // 60:02d}:{g['end_minutes'] % 60:02d}"
    gaps.sort(key=lambda g: (g["start_minutes"], g["role"]))
    return roster_as_dict(roster, problem), gaps


def _parse(doc: Mapping[str, Any], side: str = "scenario") -> Scenario:
    try:
        return parse_scenario(doc)
    except ScenarioError as exc:
        raise Invalid(exc.message, field=f"{side}.{exc.path}" if exc.path else side, code="invalid_scenario") from None


def plan_for_day(
    *,
    hall: Hall,
    day: dt.date,
    actor: Actor | None = None,
    source: str = PlanSource.COMMAND,
    settings: PlanSettings | None = None,
    at: dt.datetime | None = None,
) -> Plan:
    """Forecast, requirement per half hour, roster and gaps of the hall-local ``day``, stored as a new
    :class:`Plan` (the day's plan from now on). ``actor`` (a person re-planning) needs ``planning.manage``."""
    if actor is not None:
        require(actor, hall.pk, Action.PLANNING_MANAGE)
    settings = settings or PlanSettings()
    now = _now(at)
    today = now.astimezone(hall.tz).date()
    fc = forecast_for_hall(hall, day, day, today=today)
    predicted = fc.days[0]
    totals = _slot_totals(predicted.arrivals)
    window = day_window(open_24h=hall.open_24h, opens_at=hall.opens_at, closes_at=hall.closes_at, arrivals=totals)
    if window is None:
        raise Invalid(f"no arrivals are expected on {day.isoformat()}", field="date", code="no_arrivals")
    figure_start = max(fc.history.start, fc.history.end - dt.timedelta(days=7 * FIGURE_WEEKS - 1))
    figures = selectors.hall_figures(hall, figure_start, fc.history.end)
    counters = selectors.hall_counters(hall)
    if not counters:
        raise Invalid("the hall has no counters with business types", field="hall", code="no_counters")
    types = selectors.catalog_types()
    doc, notes = scenario_document(
        hall_code=hall.code,
        name=hall.name,
        day=day,
        timezone=hall.timezone,
        window=window,
        types=types,
        arrivals=predicted.arrivals,
        counters=counters,
        figures=figures,
        wait_target_minutes=float(hall.wait_target_minutes),
        no_show_policy=hall.no_show_policy,
        no_show_places=hall.no_show_push_back_places,
        rules=selectors.hall_rule_definitions(hall),
        modes=selectors.hall_modes_definition(hall),
        replications=settings.replications,
        seed=settings.seed,
    )
    scenario = _parse(doc)
    targets = StaffingTargets(
        wait_seconds=hall.wait_target_minutes * 60.0,
        service_level=settings.service_level,
        max_abandonment=settings.max_abandonment,
    )
    requirement: dict[str, Any] = {"slots": window.labels()}
    if settings.simulate:
        staffed = staff_day(
            scenario,
            targets=targets,
            replications=settings.replications,
            seed=settings.seed,
            max_evaluations=settings.max_evaluations,
        )
        requirement.update(
            counters=[s.counters for s in staffed.slots],
            erlang_counters=[s.first_guess for s in staffed.slots],
            clerks=[s.clerks for s in staffed.slots],
            assistants=[s.assistants for s in staffed.slots],
            service_level=[s.service_level for s in staffed.slots],
            abandonment=[s.abandonment for s in staffed.slots],
            preacceptance_level=[s.prep_level for s in staffed.slots],
            help_level=[s.help_level for s in staffed.slots],
            met=[s.met for s in staffed.slots],
            capped=[s.capped for s in staffed.slots],
            evaluations=staffed.evaluations,
            all_met=staffed.met,
        )
        method = PlanMethod.SIMULATION
    else:
        counters_n, clerks_n, assistants_n = first_guess(scenario, targets)
        requirement.update(
            counters=counters_n, erlang_counters=list(counters_n), clerks=clerks_n, assistants=assistants_n
        )
        method = PlanMethod.ERLANG
    staffing = Staffing(
        counters=tuple(requirement["counters"]),
        clerks=tuple(requirement["clerks"]),
        assistants=tuple(requirement["assistants"]),
    )
    doc = apply_changes(doc, counters=staffing.counters, clerks=staffing.clerks, assistants=staffing.assistants)
    staff = selectors.roster_staff(hall)
    roster, gaps = _roster(window, {role: requirement[zone] for zone, role in ROLE_OF_ZONE.items()}, staff)
    recent = recent_accuracy(fc.history, fc.calendar, campaign_days=fc.campaign_days)
    forecast_json = {
        "history": {
            "start": fc.history.start.isoformat(),
            "end": fc.history.end.isoformat(),
            "days": fc.history.days,
        },
        "kind": predicted.kind.value,
        "campaign": predicted.campaign,
        "total": predicted.total(),
        "services": list(fc.model.services),
        "arrivals": {s: window.cut(v) for s, v in predicted.arrivals.items()},
        "by_slot": window.cut(totals),
        "day_48": totals,
        "trend_per_week": {s: m.trend * 7 for s, m in fc.model.services.items()},
        "recent": recent,
    }
    counter_hours = sum(staffing.counters) * SLOT_MINUTES / 60.0
    data = {
        "format": PLAN_FORMAT,
        "hall": hall.code,
        "day": day.isoformat(),
        "timezone": hall.timezone,
        "window": {"start": doc["opens"], "end": doc["closes"], "slots": window.slots},
        "targets": {
            "wait_minutes": hall.wait_target_minutes,
            "service_level": settings.service_level,
            "max_abandonment": settings.max_abandonment,
            "zone_wait_seconds": targets.zone_wait_seconds,
            "zone_service_level": targets.zone_service_level,
        },
        "settings": {
            "simulate": settings.simulate,
            "replications": settings.replications,
            "max_evaluations": settings.max_evaluations,
            "seed": settings.seed,
        },
        "forecast": forecast_json,
        "figures": figures.to_json(),
        "requirement": requirement,
        "hours": {
            "counters": counter_hours,
            "erlang_counters": sum(requirement["erlang_counters"]) * SLOT_MINUTES / 60.0,
            "clerks": sum(staffing.clerks) * SLOT_MINUTES / 60.0,
            "assistants": sum(staffing.assistants) * SLOT_MINUTES / 60.0,
        },
        "staff": [{"id": s.id, "name": s.name, "skills": list(s.skills)} for s in staff],
        "roster": roster,
        "gaps": gaps,
        "scenario": doc,
        "notes": notes,
    }
    with transaction.atomic():
        plan = Plan.objects.create(
            hall=hall,
            day=day,
            created_at=now,
            created_by=_user(actor),
            source=source,
            method=method,
            forecast_arrivals=predicted.total(),
            counter_hours=counter_hours,
            staff_hours=float(roster["staff_hours"]) if roster else 0.0,
            uncovered=int(roster["uncovered_half_hours"]) if roster else 0,
            data=data,
        )
        if actor is not None:
            audit_record(
                actor=actor,
                action="planning.plan",
                object_type="plan",
                object_id=plan.pk,
                hall_id=hall.pk,
                detail={"day": day.isoformat(), "counter_hours": counter_hours, "uncovered": plan.uncovered},
                at=now,
            )
    return plan


def plans_nightly(*, at: dt.datetime, settings: PlanSettings | None = None) -> int:
    """Plan tomorrow for every hall whose local time is past ``NIGHTLY_HOUR`` and that has no plan for
    tomorrow made today (hall-local). A hall that cannot be planned (no history, no counters) is logged and
    skipped. Returns the plans made."""
    made = 0
    for hall in Hall.objects.order_by("code"):
        local = at.astimezone(hall.tz)
        if local.hour < NIGHTLY_HOUR:
            continue
        tomorrow = local.date() + dt.timedelta(days=1)
        midnight = dt.datetime.combine(local.date(), dt.time(0), tzinfo=hall.tz)
        if Plan.objects.filter(hall=hall, day=tomorrow, created_at__gte=midnight).exists():
            continue
        try:
            plan_for_day(
                hall=hall, day=tomorrow, source=PlanSource.NIGHTLY, settings=settings or NIGHTLY_SETTINGS, at=at
            )
        except DomainError as exc:
            log.info("hall %s: no plan for %s: %s", hall.code, tomorrow, exc.message)
            continue
        made += 1
    return made


def plans_demo_load(*, halls: Sequence[Hall], at: dt.datetime | None = None) -> list[Plan]:
    """Forget the halls' plans and what-if runs, then plan tomorrow for each (fewer replications)."""
    WhatIfRun.objects.filter(hall__in=halls).delete()
    Plan.objects.filter(hall__in=halls).delete()
    now = _now(at)
    plans = []
    for hall in halls:
        tomorrow = now.astimezone(hall.tz).date() + dt.timedelta(days=1)
        try:
            plans.append(plan_for_day(hall=hall, day=tomorrow, source=PlanSource.DEMO, settings=DEMO_SETTINGS, at=now))
        except DomainError as exc:
            log.warning("demo hall %s: no plan: %s", hall.code, exc.message)
    return plans


# ------------------------------------------------------------------------------------------------- what-if


@dataclass(frozen=True, slots=True, kw_only=True)
class WhatIfChanges:
    """What the manager changed (None: as in the plan)."""

    counters: tuple[int, ...] | None = None
    clerks: tuple[int, ...] | None = None
    assistants: tuple[int, ...] | None = None
    kiosk_share: float | None = None
    service_minutes: dict[str, float] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "counters": list(self.counters) if self.counters is not None else None,
            "clerks": list(self.clerks) if self.clerks is not None else None,
            "assistants": list(self.assistants) if self.assistants is not None else None,
            "kiosk_share": self.kiosk_share,
            "service_minutes": self.service_minutes,
        }


#: the longest what-if run: replications per side
MAX_REPLICATIONS = 50


def whatif_scenarios(
    plan: Plan, changes: WhatIfChanges, *, preset: str, replications: int, seed: int
) -> dict[str, dict[str, Any]]:
    """The two scenario documents of a run: the plan against the plan with the changes (``custom``), or the
    plan with the changes as a single counter zone against four zones (``zones``, seed 000's before and
    after). Both are validated by the simulator's parser (``Invalid`` names the field)."""
    base = plan.data["scenario"]
    changed = apply_changes(
        base,
        counters=changes.counters,
        clerks=changes.clerks,
        assistants=changes.assistants,
        kiosk_share=changes.kiosk_share,
        service_minutes=changes.service_minutes,
        replications=replications,
        seed=seed,
    )
    if preset == RunPreset.ZONES:
        sides = {
            "a": {"label": "single_counter_zone", "scenario": apply_changes(changed, variant=Variant.COUNTER_ONLY)},
            "b": {"label": "four_zones", "scenario": apply_changes(changed, variant=Variant.FOUR_ZONES)},
        }
    else:
        sides = {
            "a": {"label": "plan", "scenario": apply_changes(base, replications=replications, seed=seed)},
            "b": {"label": "what_if", "scenario": changed},
        }
    for key, side in sides.items():
        _parse(side["scenario"], side=key)
    return sides


def whatif_start(
    *,
    actor: Actor,
    hall: Hall,
    plan: Plan,
    changes: WhatIfChanges,
    preset: str = RunPreset.CUSTOM,
    replications: int = 10,
    seed: int = 1,
    at: dt.datetime | None = None,
) -> WhatIfRun:
    """Store a what-if run of ``plan`` (queued) and hand it to the worker after COMMIT."""
    require(actor, hall.pk, Action.PLANNING_MANAGE)
    if plan.hall_id != hall.pk:
        raise Invalid("the plan is not this hall's", field="plan")
    if preset not in RunPreset.values:
        raise Invalid("unknown comparison", field="preset", code="invalid_choice")
    if not 2 <= replications <= MAX_REPLICATIONS:
        raise Invalid(f"must be from 2 to {MAX_REPLICATIONS}", field="replications")
    if seed < 0:
        raise Invalid("must be 0 or more", field="seed")
    scenarios = whatif_scenarios(plan, changes, preset=preset, replications=replications, seed=seed)
    now = _now(at)
    with transaction.atomic():
        run = WhatIfRun.objects.create(
            hall=hall,
            plan=plan,
            day=plan.day,
            created_at=now,
            created_by=actor.user,
            preset=preset,
            replications=replications,
            seed=seed,
            total=2 * replications,
            changes=changes.to_json(),
            scenarios=scenarios,
        )
        audit_record(
            actor=actor,
            action="planning.whatif",
            object_type="whatif_run",
            object_id=run.pk,
            hall_id=hall.pk,
            detail={"day": plan.day.isoformat(), "preset": preset, "replications": replications},
            at=now,
        )
        run_id = run.pk
        transaction.on_commit(lambda: _enqueue(run_id))
    return run


def _enqueue(run_id: int) -> None:
    from hallops.planning.tasks import run_whatif

    run_whatif(run_id)


class _Progress:
    """Writes the replications done, at most every ``PROGRESS_EVERY_SECONDS`` (and always the last)."""

    def __init__(self, run_id: int, total: int) -> None:
        self.run_id = run_id
        self.total = total
        self.written = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if done < self.total and now - self.written < PROGRESS_EVERY_SECONDS:
            return
        self.written = now
        WhatIfRun.objects.filter(pk=self.run_id).update(done=done)


def _hours(doc: Mapping[str, Any]) -> dict[str, float]:
    slots = len(doc["preacceptance"]["clerks"])
    half = SLOT_MINUTES / 60.0
    return {
        "counters": sum(sum(c.get("open", [1] * slots)) for c in doc["counters"]) * half,
        "clerks": sum(doc["preacceptance"]["clerks"]) * half,
        "assistants": sum(doc["self_service"]["assistants"]) * half,
    }


def _side(result: HallResult, doc: Mapping[str, Any]) -> dict[str, Any]:
    data = result.to_json()
    return {
        "kpis": data["kpis"],
        "figures": data["figures"],
        "replications": data["replications"],
        "hours": _hours(doc),
    }


def _paired(a: HallResult, b: HallResult) -> dict[str, Any]:
    """Per figure, the mean of b − a over the replications of the same customers, with its 95% interval."""
    out: dict[str, Any] = {}
    for name in KPI_FIELDS:
        diffs = []
        for ra, rb in zip(a.replications, b.replications, strict=True):
            va = getattr(ra.kpis, name) if ra.kpis is not None else None
            vb = getattr(rb.kpis, name) if rb.kpis is not None else None
            if va is not None and vb is not None:
                diffs.append(float(vb) - float(va))
        iv = interval(diffs)
        out[name] = iv.to_json() if iv is not None else None
    fa = [run_figures(r.run) for r in a.replications]
    fb = [run_figures(r.run) for r in b.replications]
    for name in fa[0] if fa else {}:
        diffs = [
            float(y[name]) - float(x[name])  # type: ignore[arg-type]
            for x, y in zip(fa, fb, strict=True)
            if x.get(name) is not None and y.get(name) is not None
        ]
        iv = interval(diffs)
        out[f"figure:{name}"] = iv.to_json() if iv is not None else None
    return out


def whatif_execute(*, run_id: int) -> WhatIfRun | None:
    """Run a queued what-if run (the worker's task): both sides, the same seeds, progress after each
    replication; the result, or the error, is stored. A run that is not queued is left alone (None)."""
    now = timezone.now()
    if not WhatIfRun.objects.filter(pk=run_id, state=RunState.QUEUED).update(state=RunState.RUNNING, started_at=now):
        return None
    run = WhatIfRun.objects.get(pk=run_id)
    try:
        docs = {key: run.scenarios[key]["scenario"] for key in ("a", "b")}
        scenarios = {key: parse_scenario(doc) for key, doc in docs.items()}
        progress = _Progress(run_id, run.total)
        r = run.replications
        result_a = simulate_hall(scenarios["a"], replications=r, seed=run.seed, progress=progress)
        result_b = simulate_hall(
            scenarios["b"], replications=r, seed=run.seed, progress=lambda done: progress(r + done)
        )
        result = {
            "a": _side(result_a, docs["a"]),
            "b": _side(result_b, docs["b"]),
            "difference": _paired(result_a, result_b),
        }
    except Exception as exc:  # the run must end in a state the page can show
        log.exception("what-if run %s failed", run_id)
        WhatIfRun.objects.filter(pk=run_id).update(
            state=RunState.FAILED, error=str(exc)[:1000] or exc.__class__.__name__, finished_at=timezone.now()
        )
        return WhatIfRun.objects.get(pk=run_id)
    WhatIfRun.objects.filter(pk=run_id).update(
        state=RunState.DONE, done=run.total, result=result, finished_at=timezone.now()
    )
    return WhatIfRun.objects.get(pk=run_id)
