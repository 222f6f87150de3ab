"""Rosters (hallops.core.roster): exact small cases, gaps when the requirement cannot be met, breaks and
availability, optimality against brute force, and ``hallops roster`` through the installed command.

Every solve runs with one worker, a fixed seed and CP-SAT's deterministic time limit (no wall-clock limit)."""

from __future__ import annotations

import copy
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.core.roster import (
    SLOT_MINUTES,
    BreakRule,
    Gap,
    Roster,
    RosterError,
    RosterProblem,
    ShiftRules,
    SolverSettings,
    StaffMember,
    problem_from_json,
    roster_as_dict,
    solve,
)

HALLOPS = str(Path(sys.executable).parent / "hallops")
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "roster.json"
SOLVER = SolverSettings(seed=0, max_deterministic_time=10.0)
H = 60  # minutes


def member(
    staff_id: str, *skills: str, earliest: int = 8 * H, latest: int = 20 * H, max_minutes: int = 600
) -> StaffMember:
    return StaffMember(
        id=staff_id, skills=frozenset(skills or ("counter",)), earliest=earliest, latest=latest, max_minutes=max_minutes
    )


def problem(
    requirement: dict[str, tuple[int, ...]],
    staff: list[StaffMember],
    *,
    lengths: tuple[int, ...] = (240, 480),
    breaks: BreakRule | None = None,
    start: int = 9 * H,
    step: int = SLOT_MINUTES,
) -> RosterProblem:
    return RosterProblem(
        start=start,
        requirement=requirement,
        staff=tuple(staff),
        rules=ShiftRules(lengths=lengths, start_step=step, breaks=breaks or BreakRule()),
    )


def check_roster(p: RosterProblem, r: Roster) -> None:
    """Every rule of the problem holds in the roster, and the coverage and gaps add up."""
    staff = {m.id: m for m in p.staff}
    assert len({s.staff for s in r.shifts}) == len(r.shifts)  # at most one shift each
    covered = {role: [0] * p.slots for role in p.requirement}
    rule = p.rules.breaks
    for s in r.shifts:
        m = staff[s.staff]
        assert m.earliest <= s.start < s.end <= m.latest
        assert s.start % p.rules.start_step == 0
        assert s.minutes in p.rules.lengths and s.minutes <= m.max_minutes
        if rule is not None and s.minutes > rule.longer_than:
            assert s.break_start is not None and s.break_end == s.break_start + rule.length
            assert s.break_start - s.start >= rule.min_before and s.end - s.break_end >= rule.min_after
            if rule.window is not None:
                assert rule.window[0] <= s.break_start and s.break_end <= rule.window[1]
        else:
            assert s.break_start is None
        for a in s.work:
            assert a.role in m.skills and s.start <= a.start < a.end <= s.end
            if s.break_start is not None and s.break_end is not None:
                assert a.end <= s.break_start or a.start >= s.break_end
            for minute in range(a.start, a.end, SLOT_MINUTES):
                covered[a.role][(minute - p.start) // SLOT_MINUTES] += 1
    assert r.covered == {role: tuple(v) for role, v in covered.items()}
    gaps = [
        Gap(p.start + t * SLOT_MINUTES, role, p.requirement[role][t] - covered[role][t])
        for t in range(p.slots)
        for role in sorted(p.requirement)
        if covered[role][t] < p.requirement[role][t]
    ]
    assert list(r.gaps) == gaps
    assert r.uncovered == sum(g.missing for g in gaps)
    assert r.staff_minutes == sum(s.minutes for s in r.shifts)


def test_two_four_hour_shifts_cover_eight_hours_without_a_gap() -> None:
    """One head 09:00–17:00, shifts of 4 or 8 hours, 8 hours need a break: two 4-hour shifts (480 staff
    minutes) are optimal; one 8-hour shift would leave its break uncovered."""
    p = problem({"counter": (1,) * 16}, [member("a"), member("b")])
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert r.status == "optimal"
    assert (r.staff_minutes, r.uncovered) == (480, 0)
    assert sorted((s.start, s.end) for s in r.shifts) == [(9 * H, 13 * H), (13 * H, 17 * H)]


def test_with_one_person_the_break_is_the_gap() -> None:
    """Only one person: the best roster is the 8-hour shift, and its break is the one uncovered half hour,
    at least 2 hours from either end of the shift."""
    p = problem({"counter": (1,) * 16}, [member("a")])
    r = solve(p, SOLVER)
    check_roster(p, r)
    (shift,) = r.shifts
    assert (shift.start, shift.end, r.staff_minutes) == (9 * H, 17 * H, 480)
    assert shift.break_start is not None and 11 * H <= shift.break_start <= 14 * H + 30
    assert r.gaps == (Gap(shift.break_start, "counter", 1),)


def test_the_break_window_is_respected() -> None:
    """With the break window 12:00–12:30 the break, and so the gap, is at 12:00."""
    p = problem({"counter": (1,) * 16}, [member("a")], breaks=BreakRule(window=(12 * H, 12 * H + 30)))
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert r.shifts[0].break_start == 12 * H
    assert r.gaps == (Gap(12 * H, "counter", 1),)


def test_availability_is_respected_and_the_rest_reported() -> None:
    """a is available until 13:00, b from 13:00 to 16:00: a works 09–13, b 13–16 (a 3-hour shift), and
    16:00 and 16:30 stay uncovered."""
    p = problem(
        {"counter": (1,) * 16},
        [member("a", latest=13 * H), member("b", earliest=13 * H, latest=16 * H)],
        lengths=(180, 240),
    )
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert [(s.staff, s.start, s.end) for s in r.shifts] == [("a", 9 * H, 13 * H), ("b", 13 * H, 16 * H)]
    assert r.gaps == (Gap(16 * H, "counter", 1), Gap(16 * H + 30, "counter", 1))
    assert r.staff_minutes == 420


def test_max_minutes_caps_the_shift() -> None:
    """A person who may work 4 hours at most cannot take the 8-hour shift: 8 half hours stay uncovered."""
    p = problem({"counter": (1,) * 16}, [member("a", max_minutes=240)])
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert (r.staff_minutes, r.uncovered) == (240, 8)


def test_more_heads_than_staff_lists_the_missing_heads() -> None:
    """Two heads needed 09:00–10:00 with one person: each half hour misses one head."""
    p = problem({"counter": (2, 2)}, [member("a")], lengths=(60,))
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert r.gaps == (Gap(9 * H, "counter", 1), Gap(9 * H + 30, "counter", 1))


def test_skills_decide_who_fills_which_role() -> None:
    """A counter agent and a person who can do counter or kiosk: the second takes the kiosk."""
    p = problem(
        {"counter": (1,) * 4, "kiosk": (1,) * 4},
        [member("x", "counter", "kiosk"), member("y", "counter")],
        lengths=(120,),
    )
    r = solve(p, SOLVER)
    check_roster(p, r)
    roles = {s.staff: {a.role for a in s.work} for s in r.shifts}
    assert roles == {"x": {"kiosk"}, "y": {"counter"}}


def test_role_changes_are_avoided_when_coverage_allows() -> None:
    """Two people who can both do counter and kiosk, one of each needed for 2 hours: nobody changes role."""
    p = problem(
        {"counter": (1,) * 4, "kiosk": (1,) * 4},
        [member("x", "counter", "kiosk"), member("y", "counter", "kiosk")],
        lengths=(120,),
    )
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert r.role_changes == 0 and all(len(s.work) == 1 for s in r.shifts)


def test_a_needed_role_change_is_made_and_counted() -> None:
    """One person, counter needed 09:00–10:00 and kiosk 10:00–11:00: one shift, one role change."""
    p = problem({"counter": (1, 1, 0, 0), "kiosk": (0, 0, 1, 1)}, [member("x", "counter", "kiosk")], lengths=(120,))
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert r.role_changes == 1 and [a.role for a in r.shifts[0].work] == ["counter", "kiosk"]


def test_interchangeable_staff_are_rostered_in_the_order_given() -> None:
    """Three identical people, two needed: the first two listed get the shifts."""
    p = problem({"counter": (2,) * 8}, [member("c"), member("a"), member("b")])
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert sorted(s.staff for s in r.shifts) == ["a", "c"]


def test_staff_without_a_needed_skill_are_not_rostered() -> None:
    """A kiosk assistant is never rostered for a counter-only requirement."""
    p = problem({"counter": (1,) * 8}, [member("k", "kiosk")])
    r = solve(p, SOLVER)
    assert r.shifts == () and r.uncovered == 8


def test_solving_twice_gives_the_same_roster() -> None:
    """One worker, a fixed seed and a deterministic limit: the same problem, the same roster."""
    p, solver = problem_from_json(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    assert solve(p, solver) == solve(p, solver)


def test_the_example_is_covered_optimally() -> None:
    """docs/examples/roster.json: every half hour covered, proven optimal, every rule held."""
    p, solver = problem_from_json(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    r = solve(p, solver)
    check_roster(p, r)
    assert r.status == "optimal" and r.uncovered == 0


# --- optimality against brute force --------------------------------------------------------------------


def brute_force(p: RosterProblem) -> tuple[int, int]:
    """(uncovered head-half-hours, staff minutes) of the best roster, by trying every combination of shifts
    (written from the rules, independently of the solver's candidate list) and every role choice."""
    rules = p.rules
    rule = rules.breaks
    options: list[list[tuple[int, int, int | None] | None]] = []
    for m in p.staff:
        mine: list[tuple[int, int, int | None] | None] = [None]
        for length in rules.lengths:
            if length > m.max_minutes:
                continue
            first = -(-m.earliest // rules.start_step) * rules.start_step
            for s in range(first, m.latest - length + 1, rules.start_step):
                if rule is not None and length > rule.longer_than:
                    for b in range(s + rule.min_before, s + length - rule.min_after - rule.length + 1, SLOT_MINUTES):
                        if rule.window is None or (rule.window[0] <= b and b + rule.length <= rule.window[1]):
                            mine.append((s, s + length, b))
                else:
                    mine.append((s, s + length, None))
        options.append(mine)
    roles = sorted(p.requirement)
    best: tuple[int, int] | None = None
    for combo in itertools.product(*options):
        minutes = sum(o[1] - o[0] for o in combo if o is not None)
        uncovered = 0
        for t in range(p.slots):
            at = p.start + t * SLOT_MINUTES
            choices = []
            for m, o in zip(p.staff, combo, strict=True):
                if o is None or not o[0] <= at < o[1]:
                    continue
                if o[2] is not None and rule is not None and o[2] <= at < o[2] + rule.length:
                    continue
                choices.append([r for r in roles if r in m.skills] or [None])
            uncovered += min(
                sum(max(0, p.requirement[r][t] - pick.count(r)) for r in roles)
                for pick in map(list, itertools.product(*choices))
            )
        key = (uncovered, minutes)
        if best is None or key < best:
            best = key
    assert best is not None
    return best


@st.composite
def small_problems(draw: st.DrawFn) -> RosterProblem:
    roles = draw(st.sampled_from([("counter",), ("counter", "kiosk")]))
    slots = draw(st.integers(min_value=2, max_value=8))
    requirement = {r: tuple(draw(st.lists(st.integers(0, 2), min_size=slots, max_size=slots))) for r in roles}
    lengths = tuple(draw(st.lists(st.sampled_from([60, 90, 120, 180]), min_size=1, max_size=2, unique=True)))
    breaks = draw(
        st.sampled_from(
            [
                None,
                BreakRule(longer_than=90, length=30, min_before=30, min_after=30),
                BreakRule(longer_than=90, length=30, min_before=30, min_after=30, window=(10 * H, 11 * H)),
            ]
        )
    )
    staff = []
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        earliest = draw(st.sampled_from([8 * H + 30, 9 * H, 9 * H + 30]))
        latest = draw(st.integers(min_value=earliest // 30 + 2, max_value=13 * 2)) * 30
        skills = draw(st.sampled_from([("counter",), ("kiosk",), ("counter", "kiosk")]))
        max_minutes = draw(st.sampled_from([60, 120, 600]))
        staff.append(
            StaffMember(id=f"s{i}", skills=frozenset(skills), earliest=earliest, latest=latest, max_minutes=max_minutes)
        )
    return RosterProblem(
        start=9 * H,
        requirement=requirement,
        staff=tuple(staff),
        rules=ShiftRules(lengths=lengths, start_step=draw(st.sampled_from([30, 60])), breaks=breaks),
    )


@settings(max_examples=40, deadline=None)
@given(p=small_problems())
def test_solver_matches_brute_force(p: RosterProblem) -> None:
    """On small random problems the roster is proven optimal, has exactly the brute-force optimum (fewest
    uncovered head-half-hours, then fewest staff minutes), and keeps every rule."""
    r = solve(p, SOLVER)
    check_roster(p, r)
    assert r.status == "optimal"
    assert (r.uncovered, r.staff_minutes) == brute_force(p)


# --- input checks and the JSON format --------------------------------------------------------------------


def test_problem_checks() -> None:
    """Roles of different lengths, times off the half-hour grid and duplicate staff are refused by field."""
    with pytest.raises(RosterError, match="requirement"):
        problem({"counter": (1, 1), "kiosk": (1,)}, [member("a")])
    with pytest.raises(RosterError, match="start"):
        problem({"counter": (1,)}, [member("a")], start=9 * H + 15)
    with pytest.raises(RosterError, match="lengths"):
        problem({"counter": (1,)}, [member("a")], lengths=(100,))
    with pytest.raises(RosterError, match="id 'a' appears twice"):
        problem({"counter": (1,)}, [member("a"), member("a")])
    with pytest.raises(RosterError, match="latest"):
        member("a", earliest=10 * H, latest=9 * H)


def example() -> dict[str, object]:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _set(data: dict[str, object], path: list[object], value: object) -> dict[str, object]:
    changed = copy.deepcopy(data)
    target: object = changed
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = value  # type: ignore[index]
    return changed


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["staff", 1, "earliest"], "8:00", "staff[1].earliest: must be a time HH:MM, got '8:00'"),
        (["staff", 0, "earliest"], "08:15", "staff[0].earliest: must be on the hour or half hour"),
        (["staff", 0, "latest"], "07:00", "staff[0].latest: must be after earliest (08:00)"),
        (["staff", 0, "colour"], "red", "staff[0].colour: unknown field"),
        (["requirement", "counter", 2], -1, "requirement.counter[2]: must be a whole number >= 0"),
        (["shift_rules", "lengths_minutes"], [240, 250], "shift_rules.lengths: must be a multiple of 30"),
        (["shift_rules", "break", "window"], ["11:00"], "shift_rules.break.window: must be [from, to]"),
        (["solver", "max_deterministic_time"], 0, "solver.max_deterministic_time: must be a number > 0"),
    ],
)
def test_json_errors_name_the_path(path: list[object], value: object, message: str) -> None:
    """A bad value in the JSON document is reported with its path."""
    with pytest.raises(RosterError) as caught:
        problem_from_json(_set(example(), path, value))
    assert str(caught.value).startswith(message), str(caught.value)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HALLOPS, *args], capture_output=True, text=True, timeout=120, check=False)


def test_roster_command_json_is_the_core_roster() -> None:
    """``hallops roster FILE --json`` prints exactly the core's roster of the file."""
    result = run("roster", str(EXAMPLE), "--json")
    assert result.returncode == 0, result.stderr
    p, solver = problem_from_json(example())
    assert json.loads(result.stdout) == roster_as_dict(solve(p, solver), p)


def test_roster_command_table() -> None:
    """Without --json: the status line, one row per shift, and the coverage per half hour."""
    result = run("roster", str(EXAMPLE))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("optimal: ")
    assert "every half hour is covered" in result.stdout
    assert "\n  08:30 " in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "hallops roster: {file}: not JSON: Expecting property name enclosed in double quotes (line 1"),
        ('{"start": "08:00"}', "hallops roster: requirement: is missing"),
        (None, "hallops roster: cannot read {file}"),
    ],
)
def test_roster_command_bad_input(tmp_path: Path, content: str | None, message: str) -> None:
    """A file that is missing, not JSON or incomplete: one line on stderr, nothing on stdout, status 1."""
    path = tmp_path / "roster.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = run("roster", str(path))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith(message.format(file=path)), result.stderr
    assert result.stderr.count("\n") == 1


def test_forecast_and_roster_commands_do_not_import_django(tmp_path: Path) -> None:
    """Running ``hallops roster`` and ``hallops forecast`` through hallops.cli.main loads no django module."""
    from datetime import date

    from hallops.core.calendar import WorkingCalendar
    from hallops.core.synth import SynthSettings, generate, to_history_csv

    history = tmp_path / "history.csv"
    synth = generate(SynthSettings(start=date(2024, 3, 4), weeks=5), WorkingCalendar(), seed=0)
    history.write_text(to_history_csv(synth.history, seed=0), encoding="utf-8")
    code = f"""
import sys
from hallops.cli import main
for argv in (["hallops", "roster", {str(EXAMPLE)!r}, "--json"],
             ["hallops", "forecast", "--history", {str(history)!r}, "--json"],
             ["hallops", "forecast", "--history", {str(history)!r}, "--backtest", "--json"]):
    try:
        main(argv)
    except SystemExit as done:
        assert done.code == 0, (argv, done.code)
bad = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
assert not bad, bad
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 3
