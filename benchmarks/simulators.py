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
model.

The **four-zone hall** (``hallops.core.sim.hall``, the ty01 example ``docs/examples/scenario-ty01.json``) is
timed in the same round-robin: days of the full flow (triage, kiosks with assistants, pre-acceptance, counters
with skills, the live queue policy and priorities, no-shows, abandonment, pauses) without and with wait quotes
and the busy/idle rules, in customers (all arrivals) per CPU-second and against Ciw's M/M/c rate of the same
run (goal ≥ 2×); and the example's 20 replications (``simulate_hall``) with and without the KPIs.

The start-up time of the whole ``hallops erlang ... --json`` command is timed over 30 runs (the interpreter's
own ``python -c pass`` for reference). The result replaces the section between the ``bench:simulators``
markers in BENCHMARKS.md; the rest of the file is kept.

Exit status: 0 when the goals are met (≥ 20× Ciw and ≥ 8× SimPy), 3 when not, 1 when HallOps' simulated
mean wait is more than 4 standard errors from Erlang C.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import heapq
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import replace as dc_replace
from pathlib import Path

import ciw
import simpy
from bench_machine import busy_cores, machine, write_section

from hallops.core.queueing import Load, performance
from hallops.core.sim.hall import compile_scenario, simulate_day, simulate_hall
from hallops.core.sim.mmc import MMCModel, MMCResult, simulate_mmc
from hallops.core.sim.scenario import Scenario, load_scenario

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


HALL_EXAMPLE = ROOT / "docs" / "examples" / "scenario-ty01.json"
HALL_DAYS = 40  # simulated days per run: about 32,000 customers
HALL_REPLICATIONS = 20
GOAL_HALL_CIW = 2.0


def hall_scenarios() -> dict[str, Scenario]:
    full = load_scenario(HALL_EXAMPLE)
    flow = dc_replace(full, rules=(), modes=None, quote_waits=False)
    return {
        "four-zone flow": flow,
        "+ a wait quote per ticket": dc_replace(full, rules=(), modes=None),
        "+ busy/idle rules every 5 min (the example)": full,
        "rules every minute instead": dc_replace(full, rules_every_minutes=1.0),
    }


def run_hall(scenario: Scenario, seed: int) -> tuple[int, int, float]:
    """``HALL_DAYS`` days: (arrivals, counter tickets, mean wait in minutes of the called tickets)."""
    arrivals = tickets = 0
    waits: list[float] = []
    model = compile_scenario(scenario)
    for day in range(HALL_DAYS):
        run = simulate_day(model, seed=seed, replication=day)
        arrivals += len(run.arrival)
        tickets += run.counter_tickets
        waits.extend(w for w, gone in zip(*run.customer_waits(), strict=True) if not gone)
    return arrivals, tickets, statistics.fmean(waits) / 60.0


def time_replications(scenario: Scenario, *, kpis: bool) -> tuple[float, float]:
    """CPU and wall seconds of the example's ``HALL_REPLICATIONS`` replications through ``simulate_hall``."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    simulate_hall(scenario, replications=HALL_REPLICATIONS, kpis=kpis)
    return time.process_time() - cpu0, time.perf_counter() - wall0


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def time_cli(runs: int) -> dict[str, list[float]]:
    commands = {"hallops erlang": CLI_COMMAND, "python -c pass": [sys.executable, "-c", "pass"]}
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            times[name].append(time.perf_counter() - started)
    return times


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
    halls = hall_scenarios()
    hall_rates: dict[str, list[float]] = {name: [] for name in halls}
    hall_ticket_rates: dict[str, list[float]] = {name: [] for name in halls}
    hall_counts: dict[str, list[int]] = {name: [] for name in halls}
    hall_waits: dict[str, list[float]] = {name: [] for name in halls}
    day_times: dict[str, list[tuple[float, float]]] = {"with KPIs": [], "without KPIs": []}
    loads = [loadavg()]
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
        for name, scenario in halls.items():
            cpu0 = time.process_time()
            count, tickets, mean_wait = run_hall(scenario, 1000 + repeat)
            cpu = time.process_time() - cpu0
            hall_rates[name].append(count / cpu)
            hall_ticket_rates[name].append(tickets / cpu)
            hall_counts[name].append(count)
            hall_waits[name].append(mean_wait)
            print(f"  hall, {name}: {count:,} customers in {cpu:.2f} s CPU, mean wait {mean_wait:.3f} min")
        for label, with_kpis in (("with KPIs", True), ("without KPIs", False)):
            day_times[label].append(
                time_replications(halls["+ busy/idle rules every 5 min (the example)"], kpis=with_kpis)
            )
        loads.append(loadavg())
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
            "",
            *hall_section(hall_rates, hall_ticket_rates, hall_counts, hall_waits, day_times, median[ciw_name], loads),
            MARK_END,
        ]
    )
    print(section)
    if not args.no_write:
        write_section(section, MARK_START, MARK_END)
        print(f"written to {ROOT / 'BENCHMARKS.md'}")
    if abs(z) > 4:
        print("HallOps' simulated mean wait is far from Erlang C", file=sys.stderr)
        return 1
    return 0 if goal_met else 3


def hall_section(
    rates: dict[str, list[float]],
    ticket_rates: dict[str, list[float]],
    counts: dict[str, list[int]],
    waits: dict[str, list[float]],
    day_times: dict[str, list[tuple[float, float]]],
    ciw_rate: float,
    loads: list[str],
) -> list[str]:
    """The four-zone hall's lines of the BENCHMARKS.md section."""
    rows = []
    for name in rates:
        rate = statistics.median(rates[name])
        rows.append(
            f"| {name} | {statistics.median(counts[name]):,.0f} | **{rate:,.0f}** | "
            f"{min(rates[name]):,.0f}–{max(rates[name]):,.0f} | {statistics.median(ticket_rates[name]):,.0f} | "
            f"**{rate / ciw_rate:.1f}×** | {statistics.fmean(waits[name]):.3f} |"
        )
    flow = statistics.median(rates["four-zone flow"]) / ciw_rate
    times = {
        label: (statistics.median(c for c, _ in v), statistics.median(w for _, w in v))
        for label, v in day_times.items()
    }
    verdict = "met" if flow >= GOAL_HALL_CIW else "NOT met"
    return [
        "### The four-zone hall (`hallops.core.sim.hall`), same run",
        "",
        f"- **Model:** the ty01 example (`docs/examples/scenario-ty01.json`: 12 business types, 8 counters with "
        "skills, priorities, triage to kiosks and pre-acceptance, assistants, clerks, pre-orders, no-shows, "
        f"abandonment, pauses), {HALL_DAYS} days per run; about 40% of the arrivals are diverted to "
        "self-service. Customers are all arrivals; counter tickets per second beside them.",
        f"- **Load average** (`/proc/loadavg`, before and after each round): {' → '.join(loads)}.",
        "",
        "| configuration | customers per run | customers/s (CPU) | range | counter tickets/s | vs Ciw M/M/c | "
        "mean wait (min) |",
        "|---|---|---|---|---|---|---|",
        *rows,
        "",
        f"Goal ≥ {GOAL_HALL_CIW:g}× Ciw's M/M/c for the four-zone flow (policy, skills, priorities, pre-orders): "
        f"**{flow:.1f}×, {verdict}**. The busy/idle rules cost a fixed time per evaluation (building the live "
        "state, `modes.mode_next`, `rules.evaluate`), so their share depends on how many customers a day has.",
        f"**The example's day, {HALL_REPLICATIONS} replications** (`simulate_hall`, median of the rounds): "
        f"{times['with KPIs'][1]:.2f} s wall ({times['with KPIs'][0]:.2f} s CPU) with the KPIs of every "
        f"replication, {times['without KPIs'][1]:.2f} s wall ({times['without KPIs'][0]:.2f} s CPU) without.",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
