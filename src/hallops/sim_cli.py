"""``hallops simulate hall SCENARIO_FILE``: the four-zone hall simulator from the command line.

Runs the scenario's replications (``hallops.core.sim.hall.simulate_hall``) and prints every KPI and the
simulator's own figures (zone utilisation, abandonment, pre-orders, modes) as the mean over replications with
its 95% confidence interval. ``--variant`` overrides the scenario's variant; ``--compare`` runs the scenario as
four zones and as a single counter zone on the same customers (seed 000's after and before) side by side.
``--staffing`` computes counters, pre-acceptance clerks and kiosk assistants per half hour by simulation
(``hallops.core.sim.staffing``).

Like the other planning commands it imports neither Django nor a database. Output is a readable table, or one
JSON object with ``--json`` (floats unrounded, ``null`` where a figure has no value). A bad option or scenario
prints one line on stderr naming the field, and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Sequence
from typing import Any, NoReturn

from hallops.core.sim.scenario import ScenarioError, Variant, load_scenario

PROG = "hallops simulate hall"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _whole(minimum: int, maximum: int) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be from {minimum} to {maximum}, got {text!r}")
        return value

    return parse


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (math.isfinite(value) and 0 < value < 1):
        raise argparse.ArgumentTypeError(f"must be a fraction in (0, 1), got {text!r}")
    return value


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text!r}")
    return value


def _parser() -> _Parser:
    parser = _Parser(prog=PROG, description="Simulate a hall day from a scenario file (docs/simulation.md).")
    parser.add_argument("scenario", metavar="SCENARIO_FILE", help="the scenario (JSON, docs/examples/scenario-*.json)")
    parser.add_argument("--replications", type=_whole(2, 10_000), metavar="R", help="default: the scenario's")
    parser.add_argument("--seed", type=_whole(0, 2**63), metavar="S", help="default: the scenario's")
    parser.add_argument("--variant", choices=[v.value for v in Variant], help="override the scenario's variant")
    parser.add_argument(
        "--compare", action="store_true", help="four zones and counter zone only, side by side, same customers"
    )
    parser.add_argument("--staffing", action="store_true", help="counters, clerks and assistants per half hour")
    parser.add_argument("--target-wait-minutes", type=_positive, default=10.0, metavar="T", help="staffing (10)")
    parser.add_argument("--service-level", type=_fraction, default=0.8, metavar="S", help="staffing (0.8)")
    parser.add_argument("--max-abandonment", type=_fraction, default=0.05, metavar="X", help="staffing (0.05)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _show(value: float | None, digits: int = 4) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000 or value == int(value):
        return f"{value:,.1f}" if value != int(value) else f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _interval(data: dict[str, Any] | None) -> str:
    if data is None:
        return "-"
    low, high = data["ci95_low"], data["ci95_high"]
    if low is None or high is None:
        return _show(data["mean"])
    return f"{_show(data['mean'])} [{_show(low)}, {_show(high)}]"


def _table(results: Sequence[dict[str, Any]], labels: Sequence[str]) -> list[str]:
    lines: list[str] = []
    for section in ("kpis", "figures"):
        names: list[str] = []
        for result in results:
            names.extend(n for n in result[section] if n not in names)
        width = max(len(n) for n in names) if names else 10
        head = "KPI (mean [95% CI])" if section == "kpis" else "simulator figures"
        lines.append("")
        lines.append(f"{head:<{width}}  " + "  ".join(f"{label:<36}" for label in labels))
        for name in names:
            cells = [f"{_interval(r[section].get(name)):<36}" for r in results]
            lines.append(f"{name:<{width}}  " + "  ".join(cells).rstrip())
    return lines


def _half_hours(results: Sequence[dict[str, Any]]) -> list[str]:
    """Per half hour and variant: tickets per day, the share called within the target, the mean wait of the
    called tickets (minutes), abandonment."""
    width = 32
    lines = [
        "",
        f"{'':<10} " + "  ".join(f"{r['variant']:<{width}}" for r in results).rstrip(),
        f"{'half hour':<10} " + "  ".join(f"{'tickets':>8} {'wait≤T':>7} {'min':>6} {'abandon':>8}" for _ in results),
    ]
    for j, row in enumerate(results[0]["half_hours"]):
        cells = []
        for r in results:
            h = r["half_hours"][j]
            wait = None if h["wait_mean_seconds"] is None else h["wait_mean_seconds"] / 60.0
            cells.append(
                f"{_show(h['tickets_per_day'], 3):>8} {_show(h['service_level'], 3):>7} {_show(wait, 3):>6} "
                f"{_show(h['abandonment'], 3):>8}"
            )
        lines.append(f"{row['start']:<10} " + "  ".join(cells))
    return lines


def _run(argv: Sequence[str]) -> int:
    # Imported here so that the options are checked before the simulator is loaded.
    from hallops.core.sim.hall import simulate_hall

    args = _parser().parse_args(argv)
    scenario = load_scenario(args.scenario)
    if args.variant:
        scenario = scenario.with_variant(Variant(args.variant))
    started = time.perf_counter()
    if args.staffing:
        return _staff(scenario, args, started)
    variants = [Variant.FOUR_ZONES, Variant.COUNTER_ONLY] if args.compare else [scenario.variant]
    results = []
    for variant in variants:
        result = simulate_hall(scenario.with_variant(variant), replications=args.replications, seed=args.seed)
        results.append(result.to_json())
    elapsed = time.perf_counter() - started
    if args.json:
        out: dict[str, Any] = results[0] if len(results) == 1 else {"variants": results}
        out["elapsed_seconds"] = elapsed
        print(json.dumps(out, ensure_ascii=False))
        return 0
    first = results[0]
    print(
        f"{first['name']} ({first['hall']}), {first['day']}: {first['replications']} replications, seed {first['seed']}"
    )
    print(*_table(results, [r["variant"] for r in results]), sep="\n")
    print(*_half_hours(results), sep="\n")
    print(f"\nelapsed {elapsed:.2f} s")
    return 0


def _staff(scenario: Any, args: argparse.Namespace, started: float) -> int:
    from hallops.core.sim.staffing import StaffingTargets, staff_day

    targets = StaffingTargets(
        wait_seconds=args.target_wait_minutes * 60.0,
        service_level=args.service_level,
        max_abandonment=args.max_abandonment,
    )
    replications = args.replications if args.replications is not None else scenario.replications
    seed = args.seed if args.seed is not None else scenario.seed
    plan = staff_day(scenario, targets=targets, replications=replications, seed=seed)
    elapsed = time.perf_counter() - started
    if args.json:
        out = plan.to_json()
        out["elapsed_seconds"] = elapsed
        print(json.dumps(out, ensure_ascii=False))
        return 0
    print(
        f"{scenario.name} ({scenario.hall}), {scenario.day.isoformat()}: staffing for "
        f"{args.service_level:.0%} within {args.target_wait_minutes:g} min and at most "
        f"{args.max_abandonment:.0%} abandonment, {replications} replications per check, seed {seed}"
    )
    print(
        f"{'half hour':<10} {'erlang':>6} {'counters':>8} {'clerks':>6} {'assist.':>7} "
        f"{'served≤T':>9} {'abandon':>8}  {'met':<3}"
    )
    for row in plan.slots:
        met = "yes" if row.met else "NO, all counters open" if row.capped else "NO"
        print(
            f"{row.label:<10} {row.first_guess:>6} {row.counters:>8} {row.clerks:>6} {row.assistants:>7} "
            f"{_show(row.service_level):>9} {_show(row.abandonment):>8}  {met}"
        )
    print(
        f"\ncounter-hours {plan.counter_hours:g} (first guess {plan.first_guess_hours:g}), "
        f"clerk-hours {plan.clerk_hours:g}, assistant-hours {plan.assistant_hours:g}; "
        f"{plan.evaluations} simulation checks; targets {'met' if plan.met else 'NOT met'}"
    )
    print(f"elapsed {elapsed:.2f} s")
    return 0


def simulate_hall_main(argv: Sequence[str]) -> int:
    """``hallops simulate hall ...``; returns the exit status."""
    try:
        return _run(argv)
    except _UsageError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
    except ScenarioError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
    return 1
