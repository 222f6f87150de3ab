"""KPI speed: ``compute_kpis`` over a million records and ``hallops kpi FILE.csv --json`` end to end, with peers.

Run (part of ``make bench``; about 3-4 minutes, most of it the "before" figures and loading the records)::

    .venv/bin/python benchmarks/kpi.py [--rows 1000000] [--repeats 3] [--no-before] [--no-write] [--keep DIR]

On one seeded history file (the generator below; 1,000,000 rows are about 200 MB) it measures, as rows per
second of CPU (wall-clock beside), median of ``--repeats`` runs taken round-robin so that a noisy machine slows
them alike:

1. ``hallops kpi FILE --json`` as a command (start-up, reading, checking, computing, printing the JSON to
   /dev/null), and with ``--by hour``. CPU is the child process's (``getrusage``).
2. ``compute_kpis(records)`` on the same rows already in memory as ``TransactionRecord`` objects (checks
   included, ``checked=False``), in this process.
3. Peers on the same file: a plain ``csv.reader`` pass (``for row in csv.reader(f): pass``, the floor of any
   CSV tool written in Python), and pandas (``read_csv``, ``to_datetime`` of the six timestamp columns,
   handling time per business type: a small part of the figures, the way a data-frame script would start).
4. Before: the row-by-row path the command and compute_kpis took until now (``parse_history``, then
   ``record_errors`` and ``reference_kpis``, which is the previous computation; the command also printed the
   same JSON), once each. Skipped with ``--no-before``.
5. Correctness: the command's JSON must be byte-identical to the row-by-row path's, and ``compute_kpis`` equal
   to ``reference_kpis``, on this file (exit status 1 otherwise).

The result replaces the section between the ``bench:kpi`` markers in BENCHMARKS.md; the rest is kept.
History generator (seeded; also ``--generate OUT.csv``): halls open 09:00-18:00 at +08:00 with a morning and an
afternoon peak, 300 tickets a day each; ticket numbers restart every day per hall and prefix (``ty07-A123``). Per
ticket: 4% diverted to self-service (one row, never called), 3% cancelled while waiting, 1% not served by day
end, 5% missed their first call (half of them recalled and served, a second row), 6% transferred (two done rows
at two counters), the rest served once. Phases are marked most of the time (arrival 90%, communication 85%,
operation 80%); 60% of done transactions are rated (70% very satisfied, 24% satisfied, 6% dissatisfied); quotes
on 85% of the tickets. Timestamps are whole seconds at +08:00, except 2% written in UTC with ``Z``; 3% of the
tickets have times with microseconds.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from bench_machine import busy_cores, machine, write_section

from hallops.core.history_csv import COLUMNS, decode_history, parse_history
from hallops.core.kpi import GroupBy, compute_kpis, record_errors, reference_kpis, report_as_dict

ROOT = Path(__file__).resolve().parent.parent
HALLOPS = str(Path(sys.executable).parent / "hallops")
MARK_START = "<!-- bench:kpi:start -->"
MARK_END = "<!-- bench:kpi:end -->"

CST = timezone(timedelta(hours=8))
#: service -> (prefix, limit in minutes, weight, complex, mean service seconds)
SERVICES = {
    "sim_replacement": ("A", 3.0, 30, False, 150.0),
    "value_added": ("A", 3.0, 25, False, 140.0),
    "bill_query": ("A", 3.0, 15, False, 100.0),
    "new_subscriber": ("B", 8.0, 15, True, 400.0),
    "broadband": ("B", 8.0, 10, True, 380.0),
    "number_transfer": ("B", 10.0, 5, True, 500.0),
}
COMPLEX_SERVICES = frozenset(name for name, spec in SERVICES.items() if spec[3])
CHANNELS = (("kiosk", 55), ("greeter", 30), ("remote", 8), ("appointment", 5), ("api", 2))
PRIORITIES = (("normal", 80), ("elderly", 10), ("vip", 6), ("appointment", 4))
#: relative arrival intensity per opening hour 09..17
HOURLY = (6, 10, 11, 8, 6, 8, 10, 9, 6)
COUNTERS = 8
TICKETS_PER_DAY = 300


def _stamp(rng: random.Random, at: datetime) -> str:
    if rng.random() < 0.02:
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return at.isoformat()


def generate(path: Path, rows: int, *, seed: int = 1, halls: int = 20) -> int:
    """Write at least ``rows`` data rows (whole hall-days, so a few hundred more) to ``path``; returns the count."""
    rng = random.Random(seed)
    services = list(SERVICES)
    service_weights = [SERVICES[s][2] for s in services]
    channels, channel_weights = zip(*CHANNELS, strict=True)
    priorities, priority_weights = zip(*PRIORITIES, strict=True)
    hours = [9 + h for h in range(len(HOURLY))]
    written = 0
    day = datetime(2024, 1, 1, tzinfo=CST)
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle, lineterminator="\n")
        out.writerow(COLUMNS)
        while written < rows:
            for hall in range(1, halls + 1):
                if written >= rows:
                    break
                numbers = {"A": 0, "B": 0}
                issued_times = sorted(
                    day.replace(hour=rng.choices(hours, HOURLY)[0]) + timedelta(seconds=rng.randrange(3600))
                    for _ in range(TICKETS_PER_DAY)
                )
                for issued in issued_times:
                    fine = rng.random() < 0.03  # this ticket's times carry microseconds

                    def later(at: datetime, seconds: int, fine: bool = fine) -> datetime:
                        return at + timedelta(seconds=seconds, microseconds=rng.randrange(1_000_000) if fine else 0)

                    issued = later(issued, 0)
                    service = rng.choices(services, service_weights)[0]
                    prefix, limit, _, complex_, mean_service = SERVICES[service]
                    numbers[prefix] += 1
                    ticket = f"ty{hall:02d}-{prefix}{numbers[prefix]:03d}"
                    channel = rng.choices(channels, channel_weights)[0]
                    priority = rng.choices(priorities, priority_weights)[0]
                    quote = "" if rng.random() < 0.15 else str(rng.randrange(0, 1800))
                    if quote and rng.random() < 0.1:
                        quote += ".5"
                    issued_text = _stamp(rng, issued)

                    common = {
                        "ticket": ticket,
                        "service": service,
                        "channel": channel,
                        "priority": priority,
                        "issued_at": issued_text,
                        "quoted_wait_seconds": quote,
                        "pre_order": "false",
                    }

                    def row(common: dict[str, object] = common, **kw: object) -> list[str]:
                        values = {**common, **kw}
                        return [str(values.get(c, "")) for c in COLUMNS]

                    kind = rng.random()
                    if kind < 0.04:
                        ended = later(issued, rng.randrange(10, 90))
                        out.writerow(row(outcome="diverted", ended_at=_stamp(rng, ended)))
                        written += 1
                        continue
                    if kind < 0.07:
                        ended = later(issued, rng.randrange(60, 2400))
                        out.writerow(row(outcome="cancelled", ended_at=_stamp(rng, ended)))
                        written += 1
                        continue
                    if kind < 0.08:
                        ended = day.replace(hour=18)
                        out.writerow(row(outcome="not_served", ended_at=_stamp(rng, max(ended, issued))))
                        written += 1
                        continue
                    t = later(issued, int(rng.expovariate(1 / 420)))
                    counter = rng.randrange(1, COUNTERS + 1)
                    if kind < 0.13:  # missed the first call
                        out.writerow(
                            row(
                                outcome="no_show",
                                called_at=_stamp(rng, t),
                                counter=counter,
                                agent=f"ty{hall:02d}-a{counter}",
                            )
                        )
                        written += 1
                        if kind < 0.105:
                            continue
                        t = later(t, rng.randrange(120, 900))
                    transactions = 2 if kind > 0.94 else 1
                    for step in range(transactions):
                        if step:
                            counter = counter % COUNTERS + 1
                            service = rng.choices(services, service_weights)[0]
                            prefix, limit, _, complex_, mean_service = SERVICES[service]
                            t = later(t, rng.randrange(30, 600))
                        called = t
                        phases: dict[str, str] = {}
                        if rng.random() < 0.9:
                            t = later(t, rng.randrange(10, 120))
                            phases["arrived_at"] = _stamp(rng, t)
                        if rng.random() < 0.85:
                            t = later(t, rng.randrange(0, 20))
                            phases["communication_at"] = _stamp(rng, t)
                        if rng.random() < 0.8:
                            t = later(t, int(rng.expovariate(1 / (mean_service * 0.35))))
                            phases["operation_at"] = _stamp(rng, t)
                        t = later(t, max(1, int(rng.expovariate(1 / (mean_service * 0.65)))))
                        rated = rng.random() < 0.6
                        rating = rng.choices((3, 2, 1), (70, 24, 6))[0] if rated else ""
                        pre_order = rng.random() < (0.55 if complex_ else 0.05)
                        out.writerow(
                            row(
                                service=service,
                                outcome="done",
                                called_at=_stamp(rng, called),
                                ended_at=_stamp(rng, t),
                                counter=counter,
                                agent=f"ty{hall:02d}-a{counter}",
                                rating=rating,
                                pre_order="true" if pre_order else "false",
                                limit_minutes=f"{limit:g}",
                                **phases,
                            )
                        )
                        written += 1
            day += timedelta(days=1)
    return written


# --- what is timed ------------------------------------------------------------------------------------------

#: a plain csv.reader pass over the file: the floor of any CSV tool in Python
CSV_PASS = """
import csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    for row in csv.reader(f):
        pass
"""
#: pandas: read, parse the six timestamps, mean handling time per business type
PANDAS = """
import sys
import pandas as pd
df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False)
at = {c: pd.to_datetime(df[c].replace("", None), utc=True, format="ISO8601")
      for c in ("issued_at", "called_at", "arrived_at", "communication_at", "operation_at", "ended_at")}
done = df["outcome"] == "done"
handling = (at["ended_at"] - at["called_at"]).dt.total_seconds()[done]
print(handling.groupby(df["service"][done]).mean().to_dict())
"""
#: the command's previous pipeline: every row parsed into a record, checked, computed row by row
BEFORE_CLI = """
import json, sys
from hallops.core.history_csv import decode_history, parse_history
from hallops.core.kpi import reference_kpis, report_as_dict
with open(sys.argv[1], "rb") as f:
    history = parse_history(decode_history(f.read()))
print(json.dumps(report_as_dict(reference_kpis(history.records)), ensure_ascii=False))
"""


def run_child(command: list[str], out: int | None = subprocess.DEVNULL) -> tuple[float, float, bytes]:
    """(CPU seconds of the child, wall seconds, its stdout when captured)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run(command, check=True, stdout=out)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, result.stdout or b""


def in_process(work: Callable[[], object]) -> tuple[float, float, object]:
    cpu, started = time.process_time(), time.perf_counter()
    value = work()
    return time.process_time() - cpu, time.perf_counter() - started, value


class Timings:
    """CPU and wall seconds per measured thing, in the order first measured."""

    def __init__(self) -> None:
        self.cpu: dict[str, list[float]] = {}
        self.wall: dict[str, list[float]] = {}

    def add(self, name: str, cpu: float, wall: float) -> None:
        self.cpu.setdefault(name, []).append(cpu)
        self.wall.setdefault(name, []).append(wall)
        print(f"  {name}: {cpu:.2f} s CPU, {wall:.2f} s wall", flush=True)

    def rate(self, name: str, rows: int) -> float:
        return rows / statistics.median(self.cpu[name])

    def row(self, name: str, label: str, rows: int, floor: str) -> str:
        cpu, wall = self.cpu[name], self.wall[name]
        rates = [rows / c for c in cpu]
        return (
            f"| {label} | **{self.rate(name, rows):,.0f}** | {min(rates):,.0f}–{max(rates):,.0f} | "
            f"{rows / statistics.median(wall):,.0f} | {statistics.median(wall):.2f} s | {len(cpu)} | "
            f"{self.rate(name, rows) / self.rate(floor, rows):.2f}× |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the history file (1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each fast measurement, round-robin (3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-before", action="store_true", help="skip the slow row-by-row figures and checks")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    parser.add_argument("--keep", type=Path, help="keep the generated file in this folder (reused when there)")
    parser.add_argument("--generate", type=Path, metavar="OUT.csv", help="only write a history file and exit")
    args = parser.parse_args()
    if args.generate:
        print(f"{generate(args.generate, args.rows, seed=args.seed):,} rows written to {args.generate}")
        return 0

    started_all = time.perf_counter()
    load_before = busy_cores()
    print(f"machine busy before the run: {load_before:.2f} cores (load average {os.getloadavg()[0]:.2f})", flush=True)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="hallops-kpi-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"history-{args.rows}-{args.seed}.csv"
    if not path.exists():
        cpu, wall, _ = in_process(lambda: generate(path, args.rows, seed=args.seed))
        print(f"generated {path} in {wall:.1f} s", flush=True)
    size_mb = path.stat().st_size / 1e6
    command = [HALLOPS, "kpi", str(path), "--json"]
    fast_json = run_child(command, out=subprocess.PIPE)[2]
    rows = sum(1 for _ in path.open("rb")) - 1

    t = Timings()
    pandas_version = None
    try:
        import pandas

        pandas_version = pandas.__version__
    except ImportError:
        print("pandas is not installed: no pandas peer")
    print("round-robin runs:", flush=True)
    for _ in range(args.repeats):
        t.add("cli", *run_child(command)[:2])
        t.add("cli-hour", *run_child([*command, "--by", "hour"])[:2])
        t.add("csv", *run_child([sys.executable, "-c", CSV_PASS, str(path)])[:2])
        if pandas_version:
            t.add("pandas", *run_child([sys.executable, "-c", PANDAS, str(path)])[:2])

    print("loading the records (parse_history, not timed) ...", flush=True)
    gc.disable()
    records = parse_history(decode_history(path.read_bytes())).records
    gc.enable()
    gc.collect()
    tickets = len({(r.ticket, r.issued_at.date()) for r in records})
    for _ in range(args.repeats):
        cpu, wall, report = in_process(lambda: compute_kpis(records))
        t.add("compute", cpu, wall)
    cpu, wall, _ = in_process(lambda: compute_kpis(records, by=GroupBy.HOUR))
    t.add("compute-hour", cpu, wall)

    correct: list[str] = []
    if not args.no_before:
        print("before (row by row, once each):", flush=True)
        cpu, wall, before_json = run_child([sys.executable, "-c", BEFORE_CLI, str(path)], out=subprocess.PIPE)
        t.add("before-cli", cpu, wall)
        same_json = before_json == fast_json
        correct.append(
            f"the command's JSON ({len(fast_json) / 1e6:.0f} MB) is byte-identical to the row-by-row "
            f"path's: {'yes' if same_json else 'NO'}"
        )

        def before_compute() -> object:
            errors = record_errors(records)
            assert not errors
            return reference_kpis(records)

        cpu, wall, reference = in_process(before_compute)
        t.add("before-compute", cpu, wall)
        same_report = reference == report and json.dumps(report_as_dict(reference)) == json.dumps(
            report_as_dict(report)  # type: ignore[arg-type]
        )
        correct.append(
            f"compute_kpis(records) equals reference_kpis(records), floats included: {'yes' if same_report else 'NO'}"
        )
    else:
        same_json = same_report = True
    records = ()  # free them before measuring the machine's load
    if args.keep is None:
        shutil.rmtree(folder, ignore_errors=True)
    load_after = busy_cores()
    elapsed = time.perf_counter() - started_all

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    table = [
        t.row("cli", "`hallops kpi FILE --json` (the whole command)", rows, "csv"),
        t.row("cli-hour", "`hallops kpi FILE --by hour --json`", rows, "csv"),
        t.row("compute", "`compute_kpis(records)` (records in memory, checks included)", rows, "csv"),
        t.row("compute-hour", "`compute_kpis(records, by=GroupBy.HOUR)`", rows, "csv"),
        t.row("csv", "peer: a plain `csv.reader` pass over the file", rows, "csv"),
    ]
    if pandas_version:
        table.append(
            t.row("pandas", f"peer: pandas {pandas_version} `read_csv` + `to_datetime` ×6 + groupby mean", rows, "csv")
        )
    cli_rate = t.rate("cli", rows)
    summary = [
        f"**`hallops kpi`: {cli_rate:,.0f} rows/s**, {cli_rate / t.rate('csv', rows):.2f}× the rate of a plain "
        "csv.reader pass over the same file (which computes nothing)"
        + (
            f" and {cli_rate / t.rate('pandas', rows):.2f}× that of pandas reading it and computing one mean per group"
            if pandas_version
            else ""
        )
        + f"; **`compute_kpis`: {t.rate('compute', rows):,.0f} records/s** from records already in memory."
    ]
    if not args.no_before:
        table += [
            t.row("before-cli", "before: the row-by-row command (parse_history + reference_kpis + JSON)", rows, "csv"),
            t.row("before-compute", "before: compute_kpis row by row (record_errors + reference_kpis)", rows, "csv"),
        ]
        summary.append(
            f"Against the row-by-row path in the same run: the command is "
            f"**{t.rate('cli', rows) / t.rate('before-cli', rows):.1f}×** faster, compute_kpis "
            f"**{t.rate('compute', rows) / t.rate('before-compute', rows):.1f}×**."
        )
        summary.append("Correctness: " + "; ".join(correct) + ".")
    section = "\n".join(
        [
            MARK_START,
            f"## KPI computation over a million records (`make bench`), {now}",
            "",
            f"- **Machine:** {machine()}. Other processes kept {load_before:.2f} cores busy just before the run and "
            f"{load_after:.2f} just after it; the machine is shared and noisy, so the absolute rates move from run "
            "to run; the ratios are measured in the same run, round-robin.",
            f"- **Command:** `make bench` (= `.venv/bin/python benchmarks/kpi.py`); this run took {elapsed:.0f} s.",
            f"- **History:** {rows:,} rows ({tickets:,} tickets; {size_mb:.0f} MB) from the seeded generator in "
            f"`benchmarks/kpi.py` (seed {args.seed}): 20 halls, 300 tickets a day each, transfers, recalls, "
            "no-shows, diversions, cancellations, missing phases, ratings; timestamps at +08:00, 2% in UTC (`Z`), "
            "3% of the tickets with microseconds.",
            "- **Speed:** rows per CPU-second of the process that does the work (wall-clock rate and time beside); "
            "median of the runs. The last column is the rate against the plain csv.reader pass.",
            "",
            "| what | rows/s (CPU) | range | rows/s (wall) | wall time | runs | vs csv.reader |",
            "|---|---|---|---|---|---|---|",
            *table,
            "",
            *summary,
            MARK_END,
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section, MARK_START, MARK_END)
        print(f"written to {ROOT / 'BENCHMARKS.md'}")
    if not (same_json and same_report):
        print("the fast path's figures differ from the row-by-row path's", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
