"""Staffing a hall day by simulation: counters, pre-acceptance clerks and kiosk assistants per half hour.

The four-zone flow is not M/M/c (triage, kiosks, pre-orders, skills, priorities, time-varying load, backlog
from one half hour into the next), so Erlang's answer is only the start:

1. **First guess** per half hour from :func:`hallops.core.queueing.staffing` on the load each zone receives in
   that half hour: counters with Erlang A (Erlang C without patience) for the service-level and abandonment
   targets; clerks and assistants with Erlang C for starting their customer within ``zone_wait_seconds``.
2. **Check and correct upwards**: the day is simulated (:func:`hallops.core.sim.hall.simulate_day`,
   ``replications`` days on the same seeds every time, so that two staffings are compared on the same
   customers); every half hour that misses a target gets one more of the resource that missed it; repeat.
3. **Trim**: half hours that meet their targets with room to spare give one back, all at once; a half hour
   that then fails (or, if the failure shows up later, the nearest trimmed half hour before it) gets it back
   and is not trimmed again; repeat until nothing can be trimmed.
4. **Confirm** on as many other simulated days (the trims were decided on the first ones, so they may fit
   those days' luck): a half hour that misses a target there gets one more, as in step 2. The figures
   reported are those of both sets of days together.

Targets per half hour, over the tickets issued in it (pooled over the replications):

- counters: ``service_level`` of the tickets called within ``wait_seconds`` (a customer who abandons or is
  not served misses it), and at most ``max_abandonment`` abandoning;
- clerks and assistants: ``zone_service_level`` of their customers start within ``zone_wait_seconds`` (a
  customer called to the counter, or giving up, before that is not counted).

A half hour whose target cannot be met with every counter of the hall open is reported (``capped``). The
counters open are the first ``n`` in the scenario's order (list the general counters first). Deterministic for
a seed: the same scenario, targets and seed give the same plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hallops.core.queueing import Load, QueueingError, Targets, staffing
from hallops.core.sim.hall import SlotFigures, compile_scenario, simulate_day, slot_figures
from hallops.core.sim.scenario import Dist, Scenario, Variant

__all__ = ["SlotPlan", "StaffingPlan", "StaffingTargets", "first_guess", "slot_figures", "staff_day"]

#: a half hour "has room to spare" when it beats the service level by this much (and abandonment by half)
TRIM_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class StaffingTargets:
    wait_seconds: float = 600.0
    service_level: float = 0.8
    max_abandonment: float = 0.05
    zone_wait_seconds: float = 120.0
    zone_service_level: float = 0.8

    def __post_init__(self) -> None:
        for name in ("service_level", "max_abandonment", "zone_service_level"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise QueueingError(name, f"must be in (0, 1), got {value!r}")
        for name in ("wait_seconds", "zone_wait_seconds"):
            if not getattr(self, name) > 0:
                raise QueueingError(name, "must be > 0")


@dataclass(frozen=True, slots=True)
class SlotPlan:
    slot: int
    label: str
    first_guess: int
    counters: int
    clerks: int
    assistants: int
    service_level: float | None
    abandonment: float | None
    prep_level: float | None
    help_level: float | None
    met: bool
    capped: bool


@dataclass(frozen=True, slots=True)
class StaffingPlan:
    scenario: Scenario
    targets: StaffingTargets
    replications: int
    seed: int
    slots: tuple[SlotPlan, ...]
    evaluations: int
    met: bool

    @property
    def counter_hours(self) -> float:
        return sum(s.counters for s in self.slots) * self.scenario.slot_seconds / 3600.0

    @property
    def first_guess_hours(self) -> float:
        return sum(s.first_guess for s in self.slots) * self.scenario.slot_seconds / 3600.0

    @property
    def clerk_hours(self) -> float:
        return sum(s.clerks for s in self.slots) * self.scenario.slot_seconds / 3600.0

    @property
    def assistant_hours(self) -> float:
        return sum(s.assistants for s in self.slots) * self.scenario.slot_seconds / 3600.0

    def to_json(self) -> dict[str, Any]:
        t = self.targets
        return {
            "hall": self.scenario.hall,
            "day": self.scenario.day.isoformat(),
            "variant": self.scenario.variant.value,
            "targets": {
                "wait_seconds": t.wait_seconds,
                "service_level": t.service_level,
                "max_abandonment": t.max_abandonment,
                "zone_wait_seconds": t.zone_wait_seconds,
                "zone_service_level": t.zone_service_level,
            },
            "replications": self.replications,
            "seed": self.seed,
            "evaluations": self.evaluations,
            "met": self.met,
            "counter_hours": self.counter_hours,
            "first_guess_counter_hours": self.first_guess_hours,
            "clerk_hours": self.clerk_hours,
            "assistant_hours": self.assistant_hours,
            "slots": [
                {
                    "start": s.label,
                    "first_guess": s.first_guess,
                    "counters": s.counters,
                    "clerks": s.clerks,
                    "assistants": s.assistants,
                    "service_level": s.service_level,
                    "abandonment": s.abandonment,
                    "preacceptance_level": s.prep_level,
                    "help_level": s.help_level,
                    "met": s.met,
                    "capped": s.capped,
                }
                for s in self.slots
            ],
        }


# ------------------------------------------------------------------------------------------------ first guess


def _mean(dist: Dist | None) -> float:
    return 0.0 if dist is None else dist.mean


def _erlang(
    rate: float, service: float, patience: float | None, wait: float, level: float, abandon: float | None
) -> int:
    """Servers from :func:`hallops.core.queueing.staffing` (times in seconds)."""
    if rate <= 0 or service <= 0:
        return 0
    load = Load(arrival_rate=rate, service_time=service, patience=patience)
    targets = Targets(target_wait=wait, service_level=level, max_abandonment=abandon if patience else None)
    try:
        return staffing(load, targets, max_servers=10_000).servers
    except QueueingError:
        return 10_000


def first_guess(scenario: Scenario, targets: StaffingTargets) -> tuple[list[int], list[int], list[int]]:
    """Erlang's counters, clerks and assistants per half hour for the load each zone receives there.

    Counters: every business type's arrivals that reach a counter (all of them in the single-zone variant;
    otherwise not the forced ones, and of the kiosk share only those who still need a counter), with the
    mean handling time (walk + service + the upselling share's extra time); Erlang A with the scenario's
    mean patience. Clerks: the pre-acceptance share of the capable types, with their preparation time.
    Assistants: the kiosk customers needing help, with their self-service time (Erlang C for both)."""
    sc = scenario
    counter_only = sc.variant is Variant.COUNTER_ONLY
    slot = sc.slot_seconds
    patience = sc.patience.mean if sc.patience is not None else None
    extra = sc.upsell_share * _mean(sc.upsell_extra)
    walk = _mean(sc.walk)
    counters: list[int] = []
    clerks: list[int] = []
    assistants: list[int] = []
    for j in range(sc.slots):
        c_rate = c_work = p_rate = p_work = h_rate = h_work = 0.0
        for t in sc.business_types:
            rate = t.arrivals[j] / slot
            if counter_only:
                to_counter = 1.0
            else:
                kiosk = 1.0 if t.forced else t.kiosk_share
                to_counter = 0.0 if t.forced else 1.0 - t.kiosk_share * (1.0 - t.counter_share)
                help_rate = rate * kiosk * sc.help_share
                h_rate += help_rate
                h_work += help_rate * _mean(t.self_service)
                pre_rate = rate * t.preacceptance_share
                p_rate += pre_rate
                p_work += pre_rate * _mean(t.preparation)
            counter_rate = rate * to_counter
            c_rate += counter_rate
            c_work += counter_rate * (walk + t.service.mean + extra)
        level, wait = targets.service_level, targets.wait_seconds
        n = _erlang(c_rate, c_work / c_rate if c_rate else 0.0, patience, wait, level, targets.max_abandonment)
        counters.append(min(max(n, 1), len(sc.counters)))
        zw, zl = targets.zone_wait_seconds, targets.zone_service_level
        clerks.append(_erlang(p_rate, p_work / p_rate if p_rate else 0.0, None, zw, zl, None) if p_rate else 0)
        assistants.append(_erlang(h_rate, h_work / h_rate if h_rate else 0.0, None, zw, zl, None) if h_rate else 0)
    return counters, clerks, assistants


# ------------------------------------------------------------------------------------------------------ check


def _counters_met(f: SlotFigures, t: StaffingTargets) -> bool:
    if f.service_level is None or f.abandonment is None:
        return True
    return f.service_level >= t.service_level and f.abandonment <= t.max_abandonment


def _zone_met(level: float | None, t: StaffingTargets) -> bool:
    return level is None or level >= t.zone_service_level


def _spare(f: SlotFigures, t: StaffingTargets) -> bool:
    if f.service_level is None or f.abandonment is None:
        return True
    return f.service_level >= t.service_level + TRIM_MARGIN and f.abandonment <= t.max_abandonment / 2


class _Checker:
    """Simulates a staffing on replications ``first`` … ``first + replications − 1`` of the seed."""

    def __init__(
        self, scenario: Scenario, targets: StaffingTargets, replications: int, seed: int, first: int = 0
    ) -> None:
        # quotes do not change the flow: leave them out of the checks
        self.scenario = replace(scenario, quote_waits=False)
        self.targets = targets
        self.replications = range(first, first + replications)
        self.seed = seed
        self.evaluations = 0
        self.memo: dict[tuple[tuple[int, ...], ...], list[SlotFigures]] = {}

    def __call__(self, counters: Sequence[int], clerks: Sequence[int], assistants: Sequence[int]) -> list[SlotFigures]:
        key = (tuple(counters), tuple(clerks), tuple(assistants))
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        self.evaluations += 1
        staffed = compile_scenario(self.scenario.with_staff(counters=counters, clerks=clerks, assistants=assistants))
        runs = [simulate_day(staffed, seed=self.seed, replication=r) for r in self.replications]
        figures = slot_figures(runs, self.targets.wait_seconds, self.targets.zone_wait_seconds)
        self.memo[key] = figures
        return figures


def _raise(
    check: _Checker,
    staff: tuple[list[int], list[int], list[int]],
    figures: list[SlotFigures],
    t: StaffingTargets,
    limit: int,
    budget: Callable[[], bool],
) -> list[SlotFigures]:
    """One more of each resource that misses its target, per half hour, until every target is met (or no
    counter is left, or the budget of checks is spent)."""
    counters, clerks, assistants = staff
    while budget():
        changed = False
        for j, f in enumerate(figures):
            if not _counters_met(f, t) and counters[j] < limit:
                counters[j] += 1
                changed = True
            if not _zone_met(f.prep_level, t):
                clerks[j] += 1
                changed = True
            if not _zone_met(f.help_level, t):
                assistants[j] += 1
                changed = True
        if not changed:
            break
        figures = check(counters, clerks, assistants)
    return figures


def staff_day(
    scenario: Scenario,
    *,
    targets: StaffingTargets | None = None,
    replications: int = 10,
    seed: int | None = None,
    max_evaluations: int = 40,
    initial: tuple[Sequence[int], Sequence[int], Sequence[int]] | None = None,
) -> StaffingPlan:
    """Counters, clerks and assistants per half hour meeting ``targets`` in simulation (module docstring).

    ``initial`` replaces Erlang's first guess as the starting point (counters, clerks, assistants per half
    hour), e.g. today's roster; ``first_guess`` in the plan is still Erlang's."""
    if replications < 1:
        raise QueueingError("replications", "must be >= 1")
    t = targets or StaffingTargets()
    base = scenario.seed if seed is None else seed
    check = _Checker(scenario, t, replications, base)
    confirm = _Checker(scenario, t, replications, base, first=replications)

    def budget() -> bool:
        return check.evaluations + confirm.evaluations < max_evaluations

    slots = scenario.slots
    limit = len(scenario.counters)
    guess, clerks_guess, assistants_guess = first_guess(scenario, t)
    start = initial if initial is not None else (guess, clerks_guess, assistants_guess)
    counters, clerks, assistants = (list(x) for x in start)
    if not len(counters) == len(clerks) == len(assistants) == slots:
        raise QueueingError("initial", f"must give {slots} half hours for each resource")
    counters = [min(max(n, 1), limit) for n in counters]
    # a zone with demand keeps at least one person while it has demand
    clerk_floor = [1 if n else 0 for n in clerks_guess]
    assistant_floor = [1 if n else 0 for n in assistants_guess]

    staff = (counters, clerks, assistants)
    figures = _raise(check, staff, check(counters, clerks, assistants), t, limit, budget)

    # 3. trim, one resource after the other
    for resource in ("counters", "clerks", "assistants"):
        frozen: set[int] = set()
        while budget():
            current = {"counters": counters, "clerks": clerks, "assistants": assistants}[resource]
            floor = {"counters": [1] * slots, "clerks": clerk_floor, "assistants": assistant_floor}[resource]
            candidates = [
                j for j, f in enumerate(figures) if j not in frozen and current[j] > floor[j] and _room(resource, f, t)
            ]
            if not candidates:
                break
            trial = list(current)
            for j in candidates:
                trial[j] -= 1
            args = {"counters": counters, "clerks": clerks, "assistants": assistants, resource: trial}
            result = check(args["counters"], args["clerks"], args["assistants"])
            failed = [j for j in range(slots) if _worse(result[j], figures[j], t)]
            if not failed:
                current[:] = trial
                figures = result
                continue
            for j in failed:
                if j in candidates:
                    frozen.add(j)
                else:
                    earlier = [c for c in candidates if c < j]
                    frozen.add(earlier[-1] if earlier else candidates[0])

    # 4. confirm on other days (the trims were decided on the first ones), and report both sets together
    _raise(confirm, staff, confirm(counters, clerks, assistants), t, limit, budget)
    report = _Checker(scenario, t, 2 * replications, base)
    figures = report(counters, clerks, assistants)
    plan_slots = []
    for j, f in enumerate(figures):
        met = _slot_met(f, t)
        plan_slots.append(
            SlotPlan(
                slot=j,
                label=scenario.slot_label(j),
                first_guess=guess[j],
                counters=counters[j],
                clerks=clerks[j],
                assistants=assistants[j],
                service_level=f.service_level,
                abandonment=f.abandonment,
                prep_level=f.prep_level,
                help_level=f.help_level,
                met=met,
                capped=not met and counters[j] >= limit,
            )
        )
    return StaffingPlan(
        scenario=scenario,
        targets=t,
        replications=replications,
        seed=base,
        slots=tuple(plan_slots),
        evaluations=check.evaluations + confirm.evaluations + report.evaluations,
        met=all(s.met for s in plan_slots),
    )


def _slot_met(f: SlotFigures, t: StaffingTargets) -> bool:
    return _counters_met(f, t) and _zone_met(f.prep_level, t) and _zone_met(f.help_level, t)


def _worse(after: SlotFigures, before: SlotFigures, t: StaffingTargets) -> bool:
    """A trim may not make a half hour miss a target it met, nor worsen one it already missed."""
    if _slot_met(before, t):
        return not _slot_met(after, t)
    pairs = (
        (after.service_level, before.service_level, 1),
        (after.abandonment, before.abandonment, -1),
        (after.prep_level, before.prep_level, 1),
        (after.help_level, before.help_level, 1),
    )
    return any(a is not None and b is not None and (a - b) * sign < 0 for a, b, sign in pairs)


def _room(resource: str, f: SlotFigures, t: StaffingTargets) -> bool:
    if resource == "counters":
        return _spare(f, t)
    level = f.prep_level if resource == "clerks" else f.help_level
    return level is None or level >= min(1.0, t.zone_service_level + TRIM_MARGIN)
