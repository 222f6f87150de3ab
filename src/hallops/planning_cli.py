"""The planning commands of ``hallops``: ``erlang``, ``staffing`` and ``simulate mmc``.

They import only the Django-free core and the standard library, so they start in milliseconds and need no
database (``hallops.cli`` dispatches them before Django is imported). Times on the command line are in
minutes and arrivals per hour, as a hall manager states them; the core works in minutes.

Output: a readable table, or with ``--json`` one JSON object with unrounded floats (``null`` for a figure
that does not apply). Bad input prints one line on stderr naming the option, and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence

from hallops.core.queueing import Load, Performance, QueueingError, Targets, performance, staffing

TYPE_CHECKING = False  # the typing module costs ~3 ms of start-up; only the type checker needs it here
if TYPE_CHECKING:
    from typing import NoReturn

#: core field name -> command-line option, for error messages
_OPTIONS = {
    "arrival_rate": "--arrivals-per-hour",
    "service_time": "--aht-minutes",
    "patience": "--patience-minutes",
    "servers": "--agents",
    "target_wait": "--target-wait-minutes",
    "service_level": "--service-level",
    "max_mean_wait": "--max-mean-wait-minutes",
    "max_abandonment": "--max-abandonment",
}
_SIM_OPTIONS = {
    "arrival_rate": "--arrival-rate-per-minute",
    "mean_service": "--service-minutes",
    "servers": "--servers",
    "mean_patience": "--patience-minutes",
    "customers": "--customers",
    "seed": "--seed",
    "target_wait": "--target-wait-minutes",
    "warmup": "--warmup",
    "batches": "--batches",
}


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _number(minimum: float, *, strict: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            relation = ">" if strict else ">="
            raise argparse.ArgumentTypeError(f"must be a finite number {relation} {minimum:g}, got {text!r}")
        return value

    return parse


def _whole(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text!r}")
        return value

    return parse


def _fraction(text: str) -> float:
    value = _number(0.0, strict=True)(text)
    if value >= 1.0:
        raise argparse.ArgumentTypeError(f"must be a fraction in (0, 1), got {text!r}")
    return value


_POSITIVE = _number(0.0, strict=True)
_NON_NEGATIVE = _number(0.0, strict=False)


def _load_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--arrivals-per-hour", type=_NON_NEGATIVE, required=True, metavar="A")
    parser.add_argument("--aht-minutes", type=_POSITIVE, required=True, metavar="H", help="mean handling time")
    parser.add_argument(
        "--patience-minutes", type=_POSITIVE, metavar="P", help="mean patience (Erlang A); without it Erlang C"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _load(args: argparse.Namespace) -> Load:
    return Load(
        arrival_rate=args.arrivals_per_hour / 60.0, service_time=args.aht_minutes, patience=args.patience_minutes
    )


def _figures(perf: Performance, load: Load) -> dict[str, object]:
    return {
        "model": "erlang_c" if load.patience is None else "erlang_a",
        "agents": perf.servers,
        "offered_load_erlangs": perf.offered_load,
        "p_wait": perf.p_wait,
        "mean_wait_minutes": perf.mean_wait,
        "service_level": perf.service_level,
        "abandonment": perf.abandonment,
        "occupancy": perf.occupancy,
    }


def _print(result: dict[str, object], as_json: bool) -> None:
    if as_json:
        print(json.dumps(result))
        return
    width = max(len(key) for key in result)
    for key, value in result.items():
        if value is None:
            shown = "-"
        elif isinstance(value, float):
            shown = f"{value:.6g}"
        else:
            shown = str(value)
        print(f"{key:<{width}}  {shown}")


def _erlang(argv: Sequence[str]) -> None:
    parser = _Parser(prog="hallops erlang", description="Erlang C (or A with --patience-minutes) figures.")
    _load_options(parser)
    parser.add_argument("--agents", type=_whole(1), required=True, metavar="N")
    parser.add_argument("--target-wait-minutes", type=_NON_NEGATIVE, metavar="T", help="for service_level")
    args = parser.parse_args(argv)
    load = _load(args)
    perf = performance(load, args.agents, args.target_wait_minutes)
    _print(_figures(perf, load), args.json)


def _staffing(argv: Sequence[str]) -> None:
    parser = _Parser(prog="hallops staffing", description="The smallest number of agents meeting every target.")
    _load_options(parser)
    parser.add_argument("--target-wait-minutes", type=_NON_NEGATIVE, required=True, metavar="T")
    parser.add_argument(
        "--service-level", type=_fraction, required=True, metavar="S", help="P(served within T), a fraction"
    )
    parser.add_argument("--max-abandonment", type=_fraction, metavar="X", help="a fraction")
    parser.add_argument("--max-mean-wait-minutes", type=_POSITIVE, metavar="W")
    args = parser.parse_args(argv)
    load = _load(args)
    targets = Targets(
        target_wait=args.target_wait_minutes,
        service_level=args.service_level,
        max_mean_wait=args.max_mean_wait_minutes,
        max_abandonment=args.max_abandonment,
    )
    _print(_figures(staffing(load, targets), load), args.json)


def _simulate(argv: Sequence[str]) -> None:
    # Imported here so that ``erlang`` and ``staffing`` do not pay for the simulator and ``random``.
    from hallops.core.sim.mmc import MMCModel, simulate_mmc

    parser = _Parser(prog="hallops simulate", description="Seeded simulations.")
    models = parser.add_subparsers(dest="model", required=True, metavar="MODEL")
    mmc = models.add_parser("mmc", help="first-come-first-served M/M/c, or M/M/c+M with --patience-minutes")
    # ``simulate hall`` is dispatched to hallops.sim_cli before this parser runs; listed here for --help.
    models.add_parser("hall", help="the four-zone hall from a scenario file (hallops simulate hall --help)")
    mmc.add_argument("--arrival-rate-per-minute", type=_POSITIVE, required=True, metavar="L")
    mmc.add_argument("--service-minutes", type=_POSITIVE, required=True, metavar="M", help="mean service time")
    mmc.add_argument("--servers", type=_whole(1), required=True, metavar="C")
    mmc.add_argument("--customers", type=_whole(1), required=True, metavar="N", help="warm-up included")
    mmc.add_argument("--seed", type=_whole(0), required=True, metavar="S")
    mmc.add_argument("--patience-minutes", type=_POSITIVE, metavar="P", help="mean patience")
    mmc.add_argument("--target-wait-minutes", type=_NON_NEGATIVE, metavar="T", help="for service_level")
    mmc.add_argument("--warmup", type=_whole(0), metavar="K", help="customers not counted (default N // 10)")
    mmc.add_argument("--batches", type=_whole(2), default=20, metavar="B", help="for standard errors (20)")
    mmc.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    model = MMCModel(
        arrival_rate=args.arrival_rate_per_minute,
        mean_service=args.service_minutes,
        servers=args.servers,
        mean_patience=args.patience_minutes,
    )
    started = time.perf_counter()
    result = simulate_mmc(
        model,
        customers=args.customers,
        seed=args.seed,
        target_wait=args.target_wait_minutes,
        warmup=args.warmup,
        batches=args.batches,
    )
    elapsed = time.perf_counter() - started
    level = result.service_level
    _print(
        {
            "mean_wait_minutes": result.mean_wait.mean,
            "mean_wait_se_minutes": result.mean_wait.se,
            "p_wait": result.p_wait.mean,
            "p_wait_se": result.p_wait.se,
            "service_level": None if level is None else level.mean,
            "service_level_se": None if level is None else level.se,
            "abandonment": result.abandonment.mean,
            "abandonment_se": result.abandonment.se,
            "customers": result.customers,
            "measured": result.measured,
            "batches": result.batches,
            "elapsed_seconds": elapsed,
        },
        args.json,
    )


def _command(name: str, run: Callable[[Sequence[str]], object], options: dict[str, str]) -> Callable[[list[str]], int]:
    def main(argv: list[str]) -> int:
        try:
            run(argv)
        except _UsageError as error:
            print(f"hallops {name}: {error}", file=sys.stderr)
            return 1
        except QueueingError as error:
            print(f"hallops {name}: {options.get(error.field, error.field)}: {error.message}", file=sys.stderr)
            return 1
        return 0

    return main


def _simulate_command(argv: list[str]) -> int:
    """``simulate hall ...`` goes to hallops.sim_cli (imported on use); ``simulate mmc ...`` is handled here."""
    if argv and argv[0] == "hall":
        from hallops.sim_cli import simulate_hall_main

        return simulate_hall_main(argv[1:])
    return _command("simulate", _simulate, _SIM_OPTIONS)(argv)


#: registered in ``hallops.cli.CORE_COMMANDS``
PLANNING_COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "erlang": _command("erlang", _erlang, _OPTIONS),
    "staffing": _command("staffing", _staffing, {**_OPTIONS, "servers": "--arrivals-per-hour"}),
    "simulate": _simulate_command,
}
