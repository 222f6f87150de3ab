"""Rosters for one day: which staff work which shift, covering a requirement per half hour with the fewest
staff-hours, solved with OR-Tools CP-SAT.

The problem (:class:`RosterProblem`):

- a **requirement**: heads needed per role (counter agents, pre-acceptance clerks, kiosk assistants, …) for
  each half hour from ``start``;
- **staff**: each with the roles they can fill (skills), the earliest start and latest end of their
  availability, and the most minutes they may be rostered that day;
- **shift rules**: the allowed shift lengths, the step of start times (a multiple of 30 minutes from
  midnight), and a break rule: a shift longer than ``longer_than`` minutes has exactly one break of
  ``length`` minutes, starting at least ``min_before`` minutes after the shift starts and ending at least
  ``min_after`` minutes before it ends (and, when a ``window`` is given, inside that window of the day).

The model: every (staff member, start, length, break position) allowed by the rules is a candidate shift
(a shift that covers no half hour of the requirement is left out: it could only cost). A boolean chooses
each; a staff member works at most one shift. In each half hour a working staff member fills exactly one
of their roles (a multi-skilled person may change role from one half hour to the next). For every role and
half hour, heads filling it + uncovered ≥ required, with "uncovered" a non-negative integer. Objective:
P · Σ uncovered + Σ shift minutes / 30, where P exceeds the largest possible staff-time, so that the solver
first covers everything it can and then uses the fewest staff-hours; when the requirement cannot be
covered the best roster still comes back, with the gaps listed. Staff-hours count the whole shift, the break
included (time at work). A second, small solve keeps the chosen shifts and the number of uncovered
head-half-hours and chooses the roles of multi-skilled staff with the fewest role changes, so that a
person is not moved between zones without reason.

Reproducible: one worker (``num_workers=1``), a fixed ``random_seed``, and a deterministic time limit
(``max_deterministic_time``, CP-SAT's own measure of work, the same on every run); a wall-clock limit is
only an optional safety net (:class:`SolverSettings`). ``status`` says whether the solver proved the roster
optimal.

Times are minutes past midnight (multiples of 30). Errors are :class:`RosterError` (a ``ValueError``)
naming the field; :func:`problem_from_json` names the JSON path (``staff[2].earliest``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

SLOT_MINUTES = 30
DAY_MINUTES = 24 * 60


class RosterError(ValueError):
    """Bad input, or no roster found within the limits; ``field`` names what is at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _minutes(field: str, value: int, *, low: int = 0, high: int = DAY_MINUTES, step: int = SLOT_MINUTES) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RosterError(field, f"must be a whole number of minutes, got {value!r}")
    if not low <= value <= high:
        raise RosterError(field, f"must be in {low} … {high} minutes, got {value}")
    if value % step:
        raise RosterError(field, f"must be a multiple of {step} minutes, got {value}")
    return value


def clock(minutes: int) -> str:
    """``"09:30"`` for 570 (``"24:00"`` for the end of the day)."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class StaffMember:
    id: str
    #: the roles this person can fill
    skills: frozenset[str]
    #: availability: no shift starts before ``earliest`` or ends after ``latest`` (minutes past midnight)
    earliest: int = 0
    latest: int = DAY_MINUTES
    #: the longest shift this person may work today, break included
    max_minutes: int = DAY_MINUTES

    def __post_init__(self) -> None:
        if not self.id:
            raise RosterError("staff.id", "is empty")
        _minutes(f"staff {self.id}: earliest", self.earliest)
        _minutes(f"staff {self.id}: latest", self.latest)
        if self.latest <= self.earliest:
            raise RosterError(f"staff {self.id}: latest", f"must be after earliest ({clock(self.earliest)})")
        if isinstance(self.max_minutes, bool) or not isinstance(self.max_minutes, int) or self.max_minutes <= 0:
            raise RosterError(f"staff {self.id}: max_minutes", f"must be a whole number > 0, got {self.max_minutes!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakRule:
    #: shifts longer than this (minutes) have exactly one break
    longer_than: int = 360
    length: int = 30
    #: minutes of work before the break and after it, at least
    min_before: int = 120
    min_after: int = 120
    #: (from, to) minutes past midnight: the break lies inside; None: anywhere the rule allows
    window: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        _minutes("break.longer_than", self.longer_than, step=1)
        _minutes("break.length", self.length, low=SLOT_MINUTES)
        _minutes("break.min_before", self.min_before)
        _minutes("break.min_after", self.min_after)
        if self.window is not None:
            _minutes("break.window", self.window[0])
            _minutes("break.window", self.window[1])
            if self.window[1] - self.window[0] < self.length:
                raise RosterError("break.window", "is shorter than the break")


@dataclass(frozen=True, slots=True, kw_only=True)
class ShiftRules:
    #: allowed shift lengths in minutes (multiples of 30), break included
    lengths: tuple[int, ...]
    #: shifts start at multiples of this many minutes past midnight
    start_step: int = SLOT_MINUTES
    breaks: BreakRule | None = field(default_factory=BreakRule)

    def __post_init__(self) -> None:
        if not self.lengths:
            raise RosterError("lengths", "give at least one shift length")
        for length in self.lengths:
            _minutes("lengths", length, low=SLOT_MINUTES)
        if len(set(self.lengths)) != len(self.lengths):
            raise RosterError("lengths", "has duplicates")
        _minutes("start_step", self.start_step, low=SLOT_MINUTES)


@dataclass(frozen=True, slots=True, kw_only=True)
class RosterProblem:
    #: the first half hour of the requirement (minutes past midnight)
    start: int
    #: role -> heads needed in each half hour from ``start`` (every role the same number of half hours)
    requirement: Mapping[str, tuple[int, ...]]
    staff: tuple[StaffMember, ...]
    rules: ShiftRules

    def __post_init__(self) -> None:
        _minutes("start", self.start, high=DAY_MINUTES - SLOT_MINUTES)
        if not self.requirement:
            raise RosterError("requirement", "give at least one role")
        sizes = {len(heads) for heads in self.requirement.values()}
        if len(sizes) != 1 or 0 in sizes:
            raise RosterError("requirement", "every role needs the same, non-zero number of half hours")
        if self.start + SLOT_MINUTES * sizes.pop() > DAY_MINUTES:
            raise RosterError("requirement", "runs past midnight")
        for role, heads in self.requirement.items():
            if not role:
                raise RosterError("requirement", "a role is empty")
            for h in heads:
                if isinstance(h, bool) or not isinstance(h, int) or h < 0:
                    raise RosterError(f"requirement.{role}", f"heads must be whole numbers >= 0, got {h!r}")
        ids = [s.id for s in self.staff]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise RosterError("staff", f"id {duplicate!r} appears twice")

    @property
    def slots(self) -> int:
        return len(next(iter(self.requirement.values())))


@dataclass(frozen=True, slots=True, kw_only=True)
class SolverSettings:
    seed: int = 0
    #: CP-SAT's deterministic time limit (its measure of work; reproducible)
    max_deterministic_time: float = 30.0
    #: an optional wall-clock safety net in seconds (not reproducible: keep it above the deterministic limit)
    max_seconds: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise RosterError("seed", f"must be a whole number >= 0, got {self.seed!r}")
        if not (math.isfinite(self.max_deterministic_time) and self.max_deterministic_time > 0):
            raise RosterError("max_deterministic_time", f"must be > 0, got {self.max_deterministic_time!r}")
        if self.max_seconds is not None and not (math.isfinite(self.max_seconds) and self.max_seconds > 0):
            raise RosterError("max_seconds", f"must be > 0, got {self.max_seconds!r}")


@dataclass(frozen=True, slots=True)
class Assignment:
    """A stretch of a shift spent in one role (minutes past midnight, end exclusive)."""

    start: int
    end: int
    role: str


@dataclass(frozen=True, slots=True)
class Shift:
    staff: str
    start: int
    end: int
    break_start: int | None
    break_end: int | None
    work: tuple[Assignment, ...]

    @property
    def minutes(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Gap:
    """``missing`` heads of ``role`` in the half hour starting at ``start``."""

    start: int
    role: str
    missing: int


@dataclass(frozen=True, slots=True)
class Roster:
    #: "optimal" (proven) or "feasible" (the best found within the limit)
    status: str
    shifts: tuple[Shift, ...]
    gaps: tuple[Gap, ...]
    #: Σ shift minutes, breaks included
    staff_minutes: int
    #: Σ missing heads over the half hours (head-half-hours not covered)
    uncovered: int
    #: role -> heads rostered in each half hour of the requirement
    covered: Mapping[str, tuple[int, ...]]
    #: role changes of multi-skilled staff inside a stretch of work
    role_changes: int


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    break_start: int | None
    #: requirement half-hour indexes worked
    slots: tuple[int, ...]


def _candidates(problem: RosterProblem, member: StaffMember) -> list[_Candidate]:
    rules = problem.rules
    rule = rules.breaks
    first = problem.start
    horizon = problem.slots
    found: list[_Candidate] = []
    for length in sorted(rules.lengths):
        if length > member.max_minutes:
            continue
        start = -(-member.earliest // rules.start_step) * rules.start_step
        while start + length <= member.latest:
            end = start + length
            breaks: list[int | None] = [None]
            if rule is not None and length > rule.longer_than:
                breaks = []
                at = start + rule.min_before
                while at + rule.length + rule.min_after <= end:
                    if rule.window is None or (rule.window[0] <= at and at + rule.length <= rule.window[1]):
                        breaks.append(at)
                    at += SLOT_MINUTES
            for b in breaks:
                slots = tuple(
                    t
                    for t in range(horizon)
                    if start <= first + t * SLOT_MINUTES < end
                    and (b is None or not b <= first + t * SLOT_MINUTES < b + (rule.length if rule else 0))
                )
                if slots:
                    found.append(_Candidate(start, end, b, slots))
            start += rules.start_step
    return found


def _parameters(solver: object, settings: SolverSettings) -> None:
    from ortools.sat.python import cp_model

    assert isinstance(solver, cp_model.CpSolver)
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = settings.seed
    solver.parameters.max_deterministic_time = settings.max_deterministic_time
    # the full LP relaxation at every node: on a 40-person, 3-role day it proved the optimum >10× sooner
    solver.parameters.linearization_level = 2
    if settings.max_seconds is not None:
        solver.parameters.max_time_in_seconds = settings.max_seconds


def _staff_groups(problem: RosterProblem, roles: Sequence[str]) -> list[list[StaffMember]]:
    """Staff who are interchangeable (same roles, availability and maximum), in the order given."""
    groups: dict[tuple[object, ...], list[StaffMember]] = {}
    for m in problem.staff:
        mine = tuple(r for r in roles if r in m.skills)
        if mine:
            groups.setdefault((mine, m.earliest, m.latest, m.max_minutes), []).append(m)
    return list(groups.values())


def solve(problem: RosterProblem, settings: SolverSettings | None = None) -> Roster:
    """The roster with the fewest uncovered head-half-hours, then the fewest staff minutes.

    Interchangeable staff (same roles, availability and maximum) are one group in the model: an integer per
    candidate shift counts how many of them work it (no symmetric copies for the solver to wade through);
    the group's shifts then go to its members in the order the staff are given, earliest shift first.
    """
    from ortools.sat.python import cp_model  # imported on use: it costs ~0.4 s

    settings = settings or SolverSettings()
    roles = sorted(problem.requirement)
    horizon = problem.slots
    model = cp_model.CpModel()
    groups = _staff_groups(problem, roles)
    # heads[(t, role)]: what fills role in half hour t
    heads: dict[tuple[int, str], list[cp_model.IntVar]] = {}
    counts: list[list[cp_model.IntVar]] = []
    role_counts: dict[tuple[int, int, str], cp_model.IntVar] = {}
    options: list[list[_Candidate]] = []
    cost: list[cp_model.LinearExprT] = []
    biggest = 0
    for g, members in enumerate(groups):
        size = len(members)
        mine = [r for r in roles if r in members[0].skills]
        cands = _candidates(problem, members[0])
        options.append(cands)
        picks = [model.new_int_var(0, size, f"n[{g},{k}]") for k in range(len(cands))]
        counts.append(picks)
        if not cands:
            continue
        model.add(cp_model.LinearExpr.sum(picks) <= size)
        biggest += size * max(c.end - c.start for c in cands) // SLOT_MINUTES
        cost.extend(((c.end - c.start) // SLOT_MINUTES) * n for c, n in zip(cands, picks, strict=True))
        working: dict[int, list[cp_model.IntVar]] = {}
        for c, n in zip(cands, picks, strict=True):
            for t in c.slots:
                working.setdefault(t, []).append(n)
        for t, ns in sorted(working.items()):
            if len(mine) == 1:
                heads.setdefault((t, mine[0]), []).extend(ns)
                continue
            ys = [model.new_int_var(0, size, f"y[{g},{t},{r}]") for r in mine]
            model.add(cp_model.LinearExpr.sum(ys) == cp_model.LinearExpr.sum(ns))
            for r, y in zip(mine, ys, strict=True):
                heads.setdefault((t, r), []).append(y)
                role_counts[(g, t, r)] = y
    penalty = biggest + 1
    gaps: list[cp_model.IntVar] = []
    for r in roles:
        for t in range(horizon):
            required = problem.requirement[r][t]
            if required:
                u = model.new_int_var(0, required, f"u[{t},{r}]")
                gaps.append(u)
                model.add(cp_model.LinearExpr.sum([*heads.get((t, r), []), u]) >= required)
    model.minimize(penalty * cp_model.LinearExpr.sum(gaps) + cp_model.LinearExpr.sum(cost))
    solver = cp_model.CpSolver()
    _parameters(solver, settings)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise RosterError("solver", f"no roster found within the limits ({solver.status_name(status)})")
    picked: dict[str, _Candidate] = {}
    roles_of: dict[str, list[str]] = {}
    chosen_role: dict[tuple[str, int], str] = {}
    for g, (members, cands, picks) in enumerate(zip(groups, options, counts, strict=True)):
        shifts = [c for c, n in zip(cands, picks, strict=True) for _ in range(int(solver.value(n)))]
        shifts.sort(key=lambda c: (c.start, c.end, -1 if c.break_start is None else c.break_start))
        mine = [r for r in roles if r in members[0].skills]
        for m, c in zip(members, shifts, strict=False):
            picked[m.id] = c
            roles_of[m.id] = mine
        # the solver's heads per role, handed to the group's working members in order
        for t in range(horizon):
            on_duty = [m.id for m in members if m.id in picked and t in picked[m.id].slots]
            if len(mine) == 1:
                chosen_role.update(((i, t), mine[0]) for i in on_duty)
                continue
            queue = [
                r for r in mine if (g, t, r) in role_counts for _ in range(int(solver.value(role_counts[(g, t, r)])))
            ]
            chosen_role.update(((i, t), r) for i, r in zip(on_duty, queue, strict=True))
    if any(len(roles_of[i]) > 1 for i in picked):
        uncovered = sum(int(solver.value(u)) for u in gaps)
        chosen_role = _fewest_changes(problem, roles, picked, roles_of, chosen_role, uncovered, settings)
    return _roster(problem, roles, picked, chosen_role, status == cp_model.OPTIMAL)


def _runs(slots: Sequence[int]) -> list[list[int]]:
    """Consecutive half-hour indexes grouped: [3, 4, 5, 8, 9] -> [[3, 4, 5], [8, 9]]."""
    runs: list[list[int]] = []
    for t in slots:
        if runs and runs[-1][-1] == t - 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    return runs


def _fewest_changes(
    problem: RosterProblem,
    roles: list[str],
    picked: Mapping[str, _Candidate],
    roles_of: Mapping[str, list[str]],
    hint: Mapping[tuple[str, int], str],
    uncovered: int,
    settings: SolverSettings,
) -> dict[tuple[str, int], str]:
    """The roles of the picked shifts' half hours, with as few role changes as the coverage allows."""
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    heads: dict[tuple[int, str], list[cp_model.LinearExprT]] = {}
    y: dict[tuple[str, int, str], cp_model.IntVar] = {}
    changes: list[cp_model.IntVar] = []
    for member_id, c in picked.items():
        mine = roles_of[member_id]
        for t in c.slots:
            if len(mine) == 1:
                heads.setdefault((t, mine[0]), []).append(1)
                continue
            ys = []
            for r in mine:
                var = model.new_bool_var(f"y[{member_id},{t},{r}]")
                model.add_hint(var, hint[(member_id, t)] == r)
                y[(member_id, t, r)] = var
                ys.append(var)
                heads.setdefault((t, r), []).append(var)
            model.add_exactly_one(ys)
        if len(mine) > 1:
            for run in _runs(c.slots):
                for prev, t in itertools.pairwise(run):
                    change = model.new_bool_var(f"c[{member_id},{t}]")
                    for r in mine:
                        model.add(change >= y[(member_id, t, r)] - y[(member_id, prev, r)])
                    changes.append(change)
    gaps = []
    for r in roles:
        for t in range(problem.slots):
            required = problem.requirement[r][t]
            if required:
                u = model.new_int_var(0, required, f"u[{t},{r}]")
                gaps.append(u)
                model.add(cp_model.LinearExpr.sum([*heads.get((t, r), []), u]) >= required)
    model.add(cp_model.LinearExpr.sum(gaps) <= uncovered)
    model.minimize(cp_model.LinearExpr.sum(changes))
    solver = cp_model.CpSolver()
    _parameters(solver, settings)
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return dict(hint)
    chosen: dict[tuple[str, int], str] = {}
    for member_id, c in picked.items():
        mine = roles_of[member_id]
        for t in c.slots:
            chosen[(member_id, t)] = (
                mine[0] if len(mine) == 1 else next(r for r in mine if solver.boolean_value(y[(member_id, t, r)]))
            )
    return chosen


def _roster(
    problem: RosterProblem,
    roles: list[str],
    picked: Mapping[str, _Candidate],
    chosen_role: Mapping[tuple[str, int], str],
    proven: bool,
) -> Roster:
    covered = {r: [0] * problem.slots for r in roles}
    shifts: list[Shift] = []
    changes = 0
    order = {m.id: i for i, m in enumerate(problem.staff)}
    for member_id in sorted(picked, key=lambda i: (picked[i].start, order[i])):
        c = picked[member_id]
        work: list[Assignment] = []
        for run in _runs(c.slots):
            for t in run:
                role = chosen_role[(member_id, t)]
                covered[role][t] += 1
                at = problem.start + t * SLOT_MINUTES
                if work and work[-1].role == role and work[-1].end == at:
                    work[-1] = Assignment(work[-1].start, at + SLOT_MINUTES, role)
                else:
                    if work and work[-1].end == at:
                        changes += 1
                    work.append(Assignment(at, at + SLOT_MINUTES, role))
        rule = problem.rules.breaks
        shifts.append(
            Shift(
                staff=member_id,
                start=c.start,
                end=c.end,
                break_start=c.break_start,
                break_end=None if c.break_start is None or rule is None else c.break_start + rule.length,
                work=tuple(work),
            )
        )
    gaps = tuple(
        Gap(problem.start + t * SLOT_MINUTES, r, problem.requirement[r][t] - covered[r][t])
        for t in range(problem.slots)
        for r in roles
        if covered[r][t] < problem.requirement[r][t]
    )
    return Roster(
        status="optimal" if proven else "feasible",
        shifts=tuple(shifts),
        gaps=gaps,
        staff_minutes=sum(s.minutes for s in shifts),
        uncovered=sum(g.missing for g in gaps),
        covered={r: tuple(v) for r, v in covered.items()},
        role_changes=changes,
    )


# --- the JSON format (docs/planning.md, "hallops roster") ---------------------------------------------------


def _clock_value(path: str, value: object) -> int:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise RosterError(path, f"must be a time HH:MM, got {value!r}")
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()) or int(minutes) >= 60 or int(hours) > 24:
        raise RosterError(path, f"must be a time HH:MM, got {value!r}")
    total = int(hours) * 60 + int(minutes)
    if total > DAY_MINUTES:
        raise RosterError(path, f"must be at most 24:00, got {value!r}")
    if total % SLOT_MINUTES:
        raise RosterError(path, f"must be on the hour or half hour, got {value!r}")
    return total


def _object(path: str, value: object, required: Sequence[str], optional: Sequence[str]) -> dict[str, object]:
    if not isinstance(value, dict):
        raise RosterError(path, f"must be an object, got {type(value).__name__}")
    for key in value:
        if key not in required and key not in optional:
            raise RosterError(f"{path}.{key}" if path else str(key), "unknown field")
    for key in required:
        if key not in value:
            raise RosterError(f"{path}.{key}" if path else key, "is missing")
    return {str(k): v for k, v in value.items()}


def _whole(path: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RosterError(path, f"must be a whole number >= {minimum}, got {value!r}")
    return value


def _number(path: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise RosterError(path, f"must be a number > 0, got {value!r}")
    return float(value)


def _list(path: str, value: object) -> list[object]:
    if not isinstance(value, list):
        raise RosterError(path, f"must be a list, got {type(value).__name__}")
    return value


def _rethrow(path: str, error: RosterError) -> RosterError:
    return RosterError(path, error.message)


def problem_from_json(data: object) -> tuple[RosterProblem, SolverSettings]:
    """The problem and solver settings of a parsed JSON document (format: docs/planning.md)."""
    top = _object("", data, ("start", "requirement", "staff", "shift_rules"), ("solver", "date", "hall", "comment"))
    start = _clock_value("start", top["start"])
    req_obj = top["requirement"]
    if not isinstance(req_obj, dict) or not req_obj:
        raise RosterError("requirement", "must be an object of role -> list of heads per half hour")
    requirement: dict[str, tuple[int, ...]] = {}
    for role, heads in req_obj.items():
        requirement[str(role)] = tuple(
            _whole(f"requirement.{role}[{i}]", h, 0) for i, h in enumerate(_list(f"requirement.{role}", heads))
        )
    rules_obj = _object("shift_rules", top["shift_rules"], ("lengths_minutes",), ("start_step_minutes", "break"))
    lengths = tuple(
        _whole(f"shift_rules.lengths_minutes[{i}]", v, 1)
        for i, v in enumerate(_list("shift_rules.lengths_minutes", rules_obj["lengths_minutes"]))
    )
    step = _whole("shift_rules.start_step_minutes", rules_obj.get("start_step_minutes", SLOT_MINUTES), 1)
    breaks: BreakRule | None = None
    break_obj = rules_obj.get("break")
    if break_obj is not None:
        b = _object(
            "shift_rules.break",
            break_obj,
            ("longer_than_minutes", "minutes"),
            ("min_work_before_minutes", "min_work_after_minutes", "window"),
        )
        window: tuple[int, int] | None = None
        if "window" in b:
            pair = _list("shift_rules.break.window", b["window"])
            if len(pair) != 2:
                raise RosterError("shift_rules.break.window", "must be [from, to]")
            window = (
                _clock_value("shift_rules.break.window[0]", pair[0]),
                _clock_value("shift_rules.break.window[1]", pair[1]),
            )
        try:
            breaks = BreakRule(
                longer_than=_whole("shift_rules.break.longer_than_minutes", b["longer_than_minutes"], 0),
                length=_whole("shift_rules.break.minutes", b["minutes"], 1),
                min_before=_whole(
                    "shift_rules.break.min_work_before_minutes", b.get("min_work_before_minutes", 120), 0
                ),
                min_after=_whole("shift_rules.break.min_work_after_minutes", b.get("min_work_after_minutes", 120), 0),
                window=window,
            )
        except RosterError as error:
            raise _rethrow(f"shift_rules.{error.field}", error) from None
    try:
        rules = ShiftRules(lengths=lengths, start_step=step, breaks=breaks)
    except RosterError as error:
        raise _rethrow(f"shift_rules.{error.field}", error) from None
    staff: list[StaffMember] = []
    for i, item in enumerate(_list("staff", top["staff"])):
        path = f"staff[{i}]"
        s = _object(path, item, ("id", "skills"), ("earliest", "latest", "max_minutes"))
        member_id = s["id"]
        if not isinstance(member_id, str) or not member_id:
            raise RosterError(f"{path}.id", f"must be a non-empty string, got {member_id!r}")
        skills = _list(f"{path}.skills", s["skills"])
        if not skills or not all(isinstance(k, str) and k for k in skills):
            raise RosterError(f"{path}.skills", "must be a non-empty list of role names")
        earliest = _clock_value(f"{path}.earliest", s.get("earliest", "00:00"))
        latest = _clock_value(f"{path}.latest", s.get("latest", "24:00"))
        if latest <= earliest:
            raise RosterError(f"{path}.latest", f"must be after earliest ({clock(earliest)})")
        max_minutes = _whole(f"{path}.max_minutes", s.get("max_minutes", DAY_MINUTES), 1)
        staff.append(
            StaffMember(
                id=member_id,
                skills=frozenset(str(k) for k in skills),
                earliest=earliest,
                latest=latest,
                max_minutes=max_minutes,
            )
        )
    try:
        problem = RosterProblem(start=start, requirement=requirement, staff=tuple(staff), rules=rules)
    except RosterError as error:
        raise _rethrow(error.field, error) from None
    solver_obj = _object("solver", top.get("solver", {}), (), ("seed", "max_deterministic_time", "max_seconds"))
    settings = SolverSettings(
        seed=_whole("solver.seed", solver_obj.get("seed", 0), 0),
        max_deterministic_time=_number("solver.max_deterministic_time", solver_obj.get("max_deterministic_time", 30.0)),
        max_seconds=None
        if "max_seconds" not in solver_obj
        else _number("solver.max_seconds", solver_obj["max_seconds"]),
    )
    return problem, settings


def roster_as_dict(roster: Roster, problem: RosterProblem) -> dict[str, object]:
    """The JSON form of a roster (times as HH:MM)."""
    return {
        "status": roster.status,
        "staff_minutes": roster.staff_minutes,
        "staff_hours": roster.staff_minutes / 60,
        "uncovered_half_hours": roster.uncovered,
        "role_changes": roster.role_changes,
        "shifts": [
            {
                "staff": s.staff,
                "start": clock(s.start),
                "end": clock(s.end),
                "minutes": s.minutes,
                "break": None
                if s.break_start is None or s.break_end is None
                else [clock(s.break_start), clock(s.break_end)],
                "work": [{"start": clock(a.start), "end": clock(a.end), "role": a.role} for a in s.work],
            }
            for s in roster.shifts
        ],
        "gaps": [{"start": clock(g.start), "role": g.role, "missing": g.missing} for g in roster.gaps],
        "coverage": {
            role: [
                {
                    "start": clock(problem.start + t * SLOT_MINUTES),
                    "required": problem.requirement[role][t],
                    "rostered": n,
                }
                for t, n in enumerate(heads)
            ]
            for role, heads in roster.covered.items()
        },
    }
