"""Simulator speed: HallOps' M/M/c loop against Ciw and SimPy on the same model, plus the CLI start-up.

Run (part of ``make bench``, after the lifecycle benchmark; about 1 minute)::

    .venv/bin/python benchmarks/simulators.py [--repeats 3] [--no-write]

The model: M/M/c with c = 10 servers, arrival rate 9 per minute, mean service 1 minute (occupancy 0.9),
first come first served, from an empty system. Each simulator runs ``--repeats`` times, round-robin, so
that a noisy machine slows them alike; each figure is the median over the repeats. The speed is simulated
customers per second of CPU time of this process (``time.process_time``; wall-clock rates are shown too):

- **HallOps** ``hallops.core.sim.mmc.simulate_mmc``: 2,000,000 customers (all arrivals, warm-up included).
- **Ciw** 3.2.7: ``Simulation.simulate_until_max_time``; customers = completed records (its own global RNG,
  seeded with ``ciw.seed``).
- **SimPy** 4.1.2: the textbook model, a source process and one process per customer requesting a
  ``Resource(capacity=c)``; customers = those who started service.
- **event heap**: a plain discrete-event loop (arrival and departure events on a heap, a FIFO queue) for
  reference; customers = those who started service.

Every simulator's mean wait is printed next to Erlang C's (0.6687 minutes) to show they simulate the same
model. The start-up time of the whole ``hallops erlang ... --json`` command is timed over 30 runs (the
interpreter's own ``python -c pass`` for reference). The result replaces the section between the
``bench:simulators`` markers in BENCHMARKS.md; the rest of the file is kept.

Exit status: 0 when the goals are met (≥ 20× Ciw and ≥ 8× SimPy), 3 when not, 1 when HallOps' simulated
mean wait is more than 4 standard errors from Erlang C.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import heapq
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from pathlib import Path

import ciw
import simpy

from hallops.core.queueing import Load, performance
from hallops.core.sim.mmc import MMCModel, MMCResult, simulate_mmc

ROOT = Path(__file__).resolve().parent.parent
HALLOPS = str(Path(sys.executable).parent / "hallops")
MARK_START = "<!-- bench:simulators:start -->"
MARK_END = "<!-- bench:simulators:end -->"
GOAL_CIW, GOAL_SIMPY = 20.0, 8.0

SERVERS = 10
ARRIVAL_RATE = 9.0  # per minute
SERVICE_RATE = 1.0  # per minute (mean service 1 minute)
OURS_CUSTOMERS = 2_000_000
HEAP_CUSTOMERS = 1_000_000
SIMPY_HORIZON = 30_000.0  # minutes: about 270,000 customers
CIW_HORIZON = 10_000.0  # minutes: about 90,000 customers
CLI_RUNS = 30
CLI_COMMAND = [HALLOPS, "erlang", "--arrivals-per-hour", "540", "--aht-minutes", "1", "--agents", "10", "--json"]

# name -> run(seed) -> (customers, mean wait)
Runner = Callable[[int], tuple[int, float]]
LAST_RESULT: dict[str, MMCResult] = {}  # HallOps' last run, for its standard error


def run_hallops(seed: int) -> tuple[int, float]:
    model = MMCModel(arrival_rate=ARRIVAL_RATE, mean_service=1.0 / SERVICE_RATE, servers=SERVERS)
    result = simulate_mmc(model, customers=OURS_CUSTOMERS, seed=seed)
    LAST_RESULT["hallops"] = result
    return result.customers, result.mean_wait.mean


def run_ciw(seed: int) -> tuple[int, float]:
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=ARRIVAL_RATE)],
        service_distributions=[ciw.dists.Exponential(rate=SERVICE_RATE)],
        number_of_servers=[SERVERS],
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(CIW_HORIZON)
    records = simulation.get_all_records()
    return len(records), statistics.fmean(r.waiting_time for r in records)


def run_simpy(seed: int) -> tuple[int, float]:
    rng = random.Random(seed)
    env = simpy.Environment()
    counters = simpy.Resource(env, capacity=SERVERS)
    waits: list[float] = []

    def customer(env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        arrived = env.now
        with counters.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(SERVICE_RATE))

    def source(env: simpy.Environment) -> Generator[simpy.Event, object, None]:
        while True:
            yield env.timeout(rng.expovariate(ARRIVAL_RATE))
            env.process(customer(env))

    env.process(source(env))
    env.run(until=SIMPY_HORIZON)
    return len(waits), statistics.fmean(waits)


def run_event_heap(seed: int) -> tuple[int, float]:
    rng = random.Random(seed)
    expo = rng.expovariate
    events: list[tuple[float, int]] = [(expo(ARRIVAL_RATE), 0)]  # (time, 0 arrival | 1 departure)
    queue: collections.deque[float] = collections.deque()
    busy = started = 0
    total_wait = 0.0
    while started < HEAP_CUSTOMERS:
        now, kind = heapq.heappop(events)
        if kind == 0:
            heapq.heappush(events, (now + expo(ARRIVAL_RATE), 0))
            if busy < SERVERS:
                busy += 1
                started += 1
                heapq.heappush(events, (now + expo(SERVICE_RATE), 1))
            else:
                queue.append(now)
        elif queue:
            total_wait += now - queue.popleft()
            started += 1
            heapq.heappush(events, (now + expo(SERVICE_RATE), 1))
        else:
            busy -= 1
    return started, total_wait / started


SIMULATORS: dict[str, Runner] = {
    "HallOps simulate_mmc": run_hallops,
    f"Ciw {ciw.__version__}": run_ciw,
    f"SimPy {simpy.__version__}": run_simpy,
    "plain event heap (reference)": run_event_heap,
}


def time_cli(runs: int) -> dict[str, list[float]]:
    commands = {"hallops erlang": CLI_COMMAND, "python -c pass": [sys.executable, "-c", "pass"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - started)
    return times


def machine() -> str:
    cpu = "unknown CPU"
    memory = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        found = re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text())
        if found:
            memory = f"{int(found.group(1)) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def busy_cores(seconds: float = 1.0) -> float:
    """Cores kept busy by the whole machine for a moment while this script sleeps."""

    def busy() -> float:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    before, started = busy(), time.perf_counter()
    time.sleep(seconds)
    return (busy() - before) / (time.perf_counter() - started)


def write_section(section: str) -> None:
    path = ROOT / "BENCHMARKS.md"
    text = path.read_text()
    if MARK_START in text and MARK_END in text:
        before, rest = text.split(MARK_START, 1)
        text = before + section + rest.split(MARK_END, 1)[1]
    else:
        text = text.rstrip() + "\n\n" + section + "\n"
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs of each simulator, round-robin (3)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()

    load_before = busy_cores()
    print(f"machine busy before the run: {load_before:.2f} cores", flush=True)
    rates: dict[str, list[float]] = {name: [] for name in SIMULATORS}
    wall_rates: dict[str, list[float]] = {name: [] for name in SIMULATORS}
    customers: dict[str, list[int]] = {name: [] for name in SIMULATORS}
    waits: dict[str, list[float]] = {name: [] for name in SIMULATORS}
    started_all = time.perf_counter()
    for repeat in range(args.repeats):
        for name, run in SIMULATORS.items():
            cpu0, wall0 = time.process_time(), time.perf_counter()
            count, mean_wait = run(1000 + repeat)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            rates[name].append(count / cpu)
            wall_rates[name].append(count / wall)
            customers[name].append(count)
            waits[name].append(mean_wait)
            print(f"  {name}: {count:,} customers in {cpu:.2f} s CPU ({wall:.2f} s wall), mean wait {mean_wait:.4f}")
    cli = time_cli(CLI_RUNS)
    load_after = busy_cores()
    elapsed = time.perf_counter() - started_all

    theory = performance(Load(ARRIVAL_RATE, 1.0 / SERVICE_RATE), SERVERS)
    last = LAST_RESULT["hallops"]
    z = (last.mean_wait.mean - theory.mean_wait) / last.mean_wait.se
    median = {name: statistics.median(values) for name, values in rates.items()}
    ours, ciw_name, simpy_name, heap_name = list(SIMULATORS)
    vs_ciw = median[ours] / median[ciw_name]
    vs_simpy = median[ours] / median[simpy_name]
    goal_met = vs_ciw >= GOAL_CIW and vs_simpy >= GOAL_SIMPY
    cli_ms = {name: (min(v) * 1e3, statistics.median(v) * 1e3) for name, v in cli.items()}

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for name in SIMULATORS:
        rows.append(
            f"| {name} | {statistics.median(customers[name]):,.0f} | **{median[name]:,.0f}** | "
            f"{min(rates[name]):,.0f}–{max(rates[name]):,.0f} | {statistics.median(wall_rates[name]):,.0f} | "
            f"{median[ours] / median[name]:.1f}× | {statistics.fmean(waits[name]):.4f} |"
        )
    verdict = "goals met" if goal_met else "BELOW the goals"
    section = "\n".join(
        [
            MARK_START,
            f"## Simulator speed: M/M/c against Ciw and SimPy (`make bench`), {now}",
            "",
            f"- **Machine:** {machine()}. Other processes kept {load_before:.2f} cores busy just before the run "
            f"and {load_after:.2f} just after it: the machine is shared and noisy, so the absolute rates move from "
            "run to run; the ratios are measured in the same run, with the simulators run round-robin.",
            "- **Command:** `make bench` (= `.venv/bin/python benchmarks/simulators.py` after the lifecycle "
            f"benchmark); this run took {elapsed:.0f} s.",
            f"- **Model:** M/M/c, c = {SERVERS}, λ = {ARRIVAL_RATE:g}/min, mean service {1 / SERVICE_RATE:g} min "
            f"(occupancy {ARRIVAL_RATE / SERVICE_RATE / SERVERS:g}), FCFS, from empty; Erlang C mean wait "
            f"{theory.mean_wait:.4f} min.",
            f"- **Speed:** simulated customers per CPU-second of the benchmark process, median of {args.repeats} "
            "runs (range and wall-clock median beside it).",
            "",
            "| simulator | customers per run | customers/s (CPU) | range | customers/s (wall) | HallOps is | "
            "mean wait (min) |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            f"**HallOps / Ciw = {vs_ciw:.1f}×** (goal ≥ {GOAL_CIW:g}×), **HallOps / SimPy = {vs_simpy:.1f}×** "
            f"(goal ≥ {GOAL_SIMPY:g}×): {verdict}. HallOps' loop against the plain event heap: "
            f"{median[ours] / median[heap_name]:.1f}×.",
            f"HallOps' mean wait is {z:+.2f} batch-means standard errors from Erlang C in the last run.",
            "",
            f"**CLI start-up** (whole command `hallops erlang --arrivals-per-hour 540 --aht-minutes 1 --agents 10 "
            f"--json`, {CLI_RUNS} runs, min / median): **{cli_ms['hallops erlang'][0]:.0f} / "
            f"{cli_ms['hallops erlang'][1]:.0f} ms**; the bare interpreter (`python -c pass`): "
            f"{cli_ms['python -c pass'][0]:.0f} / {cli_ms['python -c pass'][1]:.0f} ms.",
            MARK_END,
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section)
        print(f"written to {ROOT / 'BENCHMARKS.md'}")
    if abs(z) > 4:
        print("HallOps' simulated mean wait is far from Erlang C", file=sys.stderr)
        return 1
    return 0 if goal_met else 3


if __name__ == "__main__":
    raise SystemExit(main())
