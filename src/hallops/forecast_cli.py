"""``hallops forecast`` (arrivals per business type and half hour from a history file, and its back-test)
and ``hallops roster`` (shifts covering a requirement, from a JSON file). docs/planning.md describes both.

Like the other core commands they import neither Django nor a database (``hallops.cli`` dispatches them
first); the core modules are imported when a command runs, so other commands do not pay for them. Output: a
readable table, or with ``--json`` one JSON object with unrounded floats. Bad input prints one line on stderr
(``hallops forecast: --from: …``; bad rows of a history file: ``line N: column: message``, as ``hallops
kpi``) and exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, timedelta

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn

    from hallops.core.forecast import ArrivalHistory, Backtest, DayForecast, ForecastModel
    from hallops.core.roster import Roster, RosterProblem

#: at most this many bad rows of a history file are listed on stderr
MAX_ERRORS_SHOWN = 100
#: the longest forecast range, in days
MAX_FORECAST_DAYS = 366
#: core field name -> command-line option, for error messages
_OPTIONS = {
    "history": "--history",
    "min_train_weeks": "--min-train-weeks",
    "uplift": "--uplift",
    "end": "--to",
    "country": "--country",
    "extra_holidays": "--holiday",
    "extra_workdays": "--workday",
}
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(message)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a date YYYY-MM-DD, got {text!r}") from None


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


def _uplift(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not (value >= 0 and value != float("inf")):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, got {text!r}")
    return value


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as error:
        raise _UsageError(f"cannot read {path}: {error.strerror}") from None


# --- hallops forecast ------------------------------------------------------------------------------------


def _forecast_parser() -> _Parser:
    parser = _Parser(
        prog="hallops forecast",
        description="Arrivals per business type and half hour for the week after a history file (docs/planning.md).",
    )
    parser.add_argument("--history", required=True, metavar="FILE.csv", help="a history file (docs/kpis.md)")
    parser.add_argument("--tz", metavar="ZONE", help="the hall's time zone (default: each timestamp's offset)")
    parser.add_argument("--weeks", type=_whole(1), metavar="N", help="use only the last N weeks of the history")
    parser.add_argument("--from", dest="first", type=_day, metavar="DATE", help="first day (default: the day after)")
    parser.add_argument("--to", dest="last", type=_day, metavar="DATE", help="last day (default: 6 days after --from)")
    parser.add_argument(
        "--campaign",
        type=_day,
        nargs="+",
        action="extend",
        default=[],
        metavar="DATE",
        help="campaign days, past (their uplift is estimated) and future (multiplied by it)",
    )
    parser.add_argument("--uplift", type=_uplift, metavar="X", help="campaign uplift for every business type")
    parser.add_argument("--country", default="CN", help="public holidays and make-up working days (default CN)")
    parser.add_argument("--holiday", type=_day, nargs="+", action="extend", default=[], metavar="DATE")
    parser.add_argument("--workday", type=_day, nargs="+", action="extend", default=[], metavar="DATE")
    parser.add_argument("--backtest", action="store_true", help="WAPE against the naive forecast instead")
    parser.add_argument("--min-train-weeks", type=_whole(1), default=4, metavar="K", help="back-test (4)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    return parser


def _load_history(args: argparse.Namespace) -> ArrivalHistory | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from hallops.core.forecast import arrivals_from_records
    from hallops.core.history_csv import HistoryError, decode_history, parse_history

    tz = None
    if args.tz is not None:
        try:
            tz = ZoneInfo(args.tz)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise _UsageError(f"--tz: unknown time zone {args.tz!r}") from None
    data = _read(args.history)
    try:
        parsed = parse_history(decode_history(data), tz=tz)
    except HistoryError as error:
        shown = error.errors[:MAX_ERRORS_SHOWN]
        for line_error in shown:
            print(line_error, file=sys.stderr)
        if len(error.errors) > len(shown):
            print(f"... and {len(error.errors) - len(shown)} more bad rows", file=sys.stderr)
        return None
    if not parsed.records:
        raise _UsageError(f"{args.history}: has no rows")
    history = arrivals_from_records(parsed.records, tz=tz)
    if args.weeks is not None:
        first = max(history.start, history.end - timedelta(days=7 * args.weeks - 1))
        history = history.window(first, history.end)
    return history


def _forecast(argv: Sequence[str]) -> int:
    from hallops.core.calendar import WorkingCalendar
    from hallops.core.forecast import backtest, fit

    args = _forecast_parser().parse_args(argv)
    calendar = WorkingCalendar(args.country, extra_holidays=args.holiday, extra_workdays=args.workday)
    history = _load_history(args)
    if history is None:
        return 1
    if args.backtest:
        result = backtest(history, calendar, campaign_days=args.campaign, min_train_weeks=args.min_train_weeks)
        print(json.dumps(_backtest_dict(result)) if args.json else _backtest_table(result, history))
        return 0
    first = args.first or history.end + timedelta(days=1)
    last = args.last or first + timedelta(days=6)
    if last < first:
        raise _UsageError(f"--to: {last} is before --from {first}")
    if (last - first).days + 1 > MAX_FORECAST_DAYS:
        raise _UsageError(f"--to: at most {MAX_FORECAST_DAYS} days at a time")
    model = fit(history, calendar, campaign_days=args.campaign, uplift=args.uplift)
    days = model.predict_range(first, last)
    print(json.dumps(forecast_dict(model, history, days)) if args.json else forecast_table(model, history, days))
    return 0


def forecast_dict(model: ForecastModel, history: ArrivalHistory, days: Sequence[DayForecast]) -> dict[str, object]:
    from hallops.core.forecast import SLOT_MINUTES

    return {
        "history": {"start": history.start.isoformat(), "end": history.end.isoformat(), "days": history.days},
        "from": days[0].day.isoformat(),
        "to": days[-1].day.isoformat(),
        "slot_minutes": SLOT_MINUTES,
        "services": list(model.services),
        "uplift": {s: m.uplift for s, m in model.services.items()},
        "trend_per_week": {s: m.trend * 7 for s, m in model.services.items()},
        "campaign_days": sorted(d.isoformat() for d in model.campaign_days),
        "days": [
            {
                "date": d.day.isoformat(),
                "weekday": _WEEKDAYS[d.day.weekday()],
                "kind": d.kind.value,
                "campaign": d.campaign,
                "total": d.total(),
                "arrivals": {s: list(v) for s, v in d.arrivals.items()},
            }
            for d in days
        ],
    }


def forecast_table(model: ForecastModel, history: ArrivalHistory, days: Sequence[DayForecast]) -> str:
    from hallops.core.forecast import SLOTS_PER_DAY, slot_label

    services = list(model.services)
    out = [
        f"history {history.start} … {history.end} ({history.days} days); "
        f"forecast {days[0].day} … {days[-1].day}, expected arrivals per half hour"
    ]
    uplifts = ", ".join(f"{s} ×{m.uplift:.2f}" for s, m in model.services.items())
    if model.campaign_days:
        out.append(f"campaign uplift: {uplifts}")
    for d in days:
        out.append("")
        campaign = " campaign" if d.campaign else ""
        out.append(f"{d.day} {_WEEKDAYS[d.day.weekday()]} {d.kind.value}{campaign}: {d.total():.1f} arrivals")
        rows = [["time", *services, "total"]]
        for t in range(SLOTS_PER_DAY):
            values = [d.arrivals[s][t] for s in services]
            total = sum(values)
            if total < 0.05:
                continue
            rows.append([slot_label(t), *(f"{v:.1f}" for v in values), f"{total:.1f}"])
        if len(rows) == 1:
            out.append("  (no arrivals expected)")
            continue
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for r in rows:
            out.append(
                "  "
                + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            )
    return "\n".join(out)


def _backtest_dict(result: Backtest) -> dict[str, object]:
    return {
        "folds": [
            {
                "train_weeks": f.train_weeks,
                "test_start": f.test_start.isoformat(),
                "test_end": f.test_end.isoformat(),
                "actual": f.actual,
                "wape": f.wape,
                "naive_wape": f.naive_wape,
            }
            for f in result.folds
        ],
        "actual": result.actual,
        "wape": result.wape,
        "naive_wape": result.naive_wape,
        "by_service": {
            s: {
                "actual": a,
                "wape": e / a if a > 0 else None,
                "naive_wape": n / a if a > 0 else None,
            }
            for s, (a, e, n) in result.by_service.items()
        },
    }


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _backtest_table(result: Backtest, history: ArrivalHistory) -> str:
    out = [
        f"back-test on {history.start} … {history.end}: train on weeks 1..k, predict week k+1; "
        "WAPE over every half hour and business type (naive: the same half hour a week earlier)"
    ]
    rows = [["trained on", "predicted week", "arrivals", "WAPE", "naive WAPE"]]
    for f in result.folds:
        rows.append(
            [
                f"weeks 1-{f.train_weeks}",
                f"{f.test_start} … {f.test_end}",
                f"{f.actual:.0f}",
                _percent(f.wape),
                _percent(f.naive_wape),
            ]
        )
    rows.append(["all folds", "", f"{result.actual:.0f}", _percent(result.wape), _percent(result.naive_wape)])
    rows.append(["", "", "", "", ""])
    rows.append(["business type", "", "arrivals", "WAPE", "naive WAPE"])
    for s, (a, e, n) in result.by_service.items():
        rows.append([s, "", f"{a:.0f}", _percent(e / a if a > 0 else None), _percent(n / a if a > 0 else None)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        out.append(
            "  ".join(
                c.rjust(w) if i >= 2 else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(out)


# --- hallops roster --------------------------------------------------------------------------------------


def _roster(argv: Sequence[str]) -> int:
    from hallops.core.roster import problem_from_json, roster_as_dict, solve

    parser = _Parser(prog="hallops roster", description="Shifts covering a requirement (docs/planning.md).")
    parser.add_argument("file", metavar="REQUIREMENT.json", help="requirement, staff and shift rules")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    data = _read(args.file)
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _UsageError(f"{args.file}: not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise _UsageError(f"{args.file}: not JSON: {error.msg} (line {error.lineno}, column {error.colno})") from None
    problem, settings = problem_from_json(document)
    roster = solve(problem, settings)
    print(
        json.dumps(roster_as_dict(roster, problem), ensure_ascii=False) if args.json else _roster_table(roster, problem)
    )
    return 0


def _roster_table(roster: Roster, problem: RosterProblem) -> str:
    from hallops.core.roster import SLOT_MINUTES, clock

    out = [
        f"{roster.status}: {len(roster.shifts)} shifts, {roster.staff_minutes / 60:g} staff-hours, "
        f"{roster.uncovered} head-half-hours uncovered, {roster.role_changes} role changes"
    ]
    rows = [["staff", "shift", "break", "work"]]
    for s in roster.shifts:
        brk = "-" if s.break_start is None or s.break_end is None else f"{clock(s.break_start)}-{clock(s.break_end)}"
        work = ", ".join(f"{clock(a.start)}-{clock(a.end)} {a.role}" for a in s.work)
        rows.append([s.staff, f"{clock(s.start)}-{clock(s.end)}", brk, work])
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for r in rows:
        out.append("  ".join([*(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)), r[3]]).rstrip())
    out.append("")
    if roster.gaps:
        out.append("uncovered:")
        out.extend(f"  {clock(g.start)} {g.role}: {g.missing} missing" for g in roster.gaps)
    else:
        out.append("every half hour is covered")
    out.append("")
    roles = list(roster.covered)
    grid = [["time", *roles]]
    for t in range(problem.slots):
        grid.append(
            [clock(problem.start + t * SLOT_MINUTES)]
            + [f"{roster.covered[r][t]}/{problem.requirement[r][t]}" for r in roles]
        )
    out.append("rostered/required per half hour:")
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    for r in grid:
        out.append(
            "  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    return "\n".join(out)


def _command(name: str, run: Callable[[Sequence[str]], int]) -> Callable[[list[str]], int]:
    def main(argv: list[str]) -> int:
        from hallops.core.calendar import CalendarError
        from hallops.core.forecast import ForecastError
        from hallops.core.roster import RosterError

        try:
            return run(argv)
        except _UsageError as error:
            print(f"hallops {name}: {error}", file=sys.stderr)
        except (ForecastError, RosterError, CalendarError) as error:
            print(f"hallops {name}: {_OPTIONS.get(error.field, error.field)}: {error.message}", file=sys.stderr)
        return 1

    return main


#: registered in ``hallops.cli.CORE_COMMANDS``
FORECAST_COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "forecast": _command("forecast", _forecast),
    "roster": _command("roster", _roster),
}
