"""``hallops erlang``, ``hallops staffing`` and ``hallops simulate mmc`` through the installed command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hallops.core.queueing import Load, Targets, performance, staffing
from hallops.core.sim.mmc import MMCModel, simulate_mmc

HALLOPS = str(Path(sys.executable).parent / "hallops")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HALLOPS, *args], capture_output=True, text=True, timeout=60, check=False)


def run_json(*args: str) -> dict[str, object]:
    result = run(*args, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


def test_erlang_json_is_erlang_c_unrounded() -> None:
    """Without patience: Erlang C figures in minutes, exactly the core's floats (not rounded), abandonment 0."""
    data = run_json(
        "erlang", "--arrivals-per-hour", "100", "--aht-minutes", "5", "--agents", "10", "--target-wait-minutes", "0.5"
    )
    perf = performance(Load(100 / 60, 5.0), 10, 0.5)
    assert data == {
        "model": "erlang_c",
        "agents": 10,
        "offered_load_erlangs": perf.offered_load,
        "p_wait": perf.p_wait,
        "mean_wait_minutes": perf.mean_wait,
        "service_level": perf.service_level,
        "abandonment": 0.0,
        "occupancy": perf.occupancy,
    }


def test_erlang_with_patience_is_erlang_a_and_null_service_level_without_target() -> None:
    """With --patience-minutes it is Erlang A; without --target-wait-minutes service_level is null."""
    data = run_json(
        "erlang", "--arrivals-per-hour", "100", "--aht-minutes", "5", "--agents", "8", "--patience-minutes", "3"
    )
    perf = performance(Load(100 / 60, 5.0, 3.0), 8)
    assert data["model"] == "erlang_a"
    assert data["service_level"] is None
    assert data["abandonment"] == perf.abandonment and data["mean_wait_minutes"] == perf.mean_wait


def test_erlang_table_is_readable() -> None:
    """Without --json the figures print as an aligned two-column table, null shown as '-'."""
    result = run("erlang", "--arrivals-per-hour", "100", "--aht-minutes", "5", "--agents", "10")
    assert result.returncode == 0
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["p_wait"] == "0.487611"
    assert lines["service_level"] == "-"
    assert lines["agents"] == "10"


def test_staffing_json() -> None:
    """staffing answers the smallest number of agents meeting every target, with the figures there."""
    args = ("--arrivals-per-hour", "100", "--aht-minutes", "5", "--target-wait-minutes", "0.5")
    data = run_json("staffing", *args, "--service-level", "0.8", "--patience-minutes", "2", "--max-abandonment", "0.01")
    expected = staffing(Load(100 / 60, 5.0, 2.0), Targets(target_wait=0.5, service_level=0.8, max_abandonment=0.01))
    assert data["agents"] == expected.servers
    assert data["service_level"] == expected.service_level and data["abandonment"] == expected.abandonment
    assert run_json("staffing", *args, "--service-level", "0.8")["agents"] == 12


def test_simulate_mmc_json_is_the_core_run() -> None:
    """simulate mmc reports the core simulator's figures for that seed, the customers and the elapsed time."""
    data = run_json(
        "simulate", "mmc", "--arrival-rate-per-minute", "2.4", "--service-minutes", "1", "--servers", "3",
        "--customers", "20000", "--seed", "9",
    )  # fmt: skip
    result = simulate_mmc(MMCModel(2.4, 1.0, 3), customers=20_000, seed=9)
    assert data["mean_wait_minutes"] == result.mean_wait.mean
    assert data["p_wait"] == result.p_wait.mean
    assert data["customers"] == 20_000
    assert isinstance(data["elapsed_seconds"], float) and data["elapsed_seconds"] > 0


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("erlang", "--arrivals-per-hour", "300", "--aht-minutes", "5", "--agents", "20"), "--agents"),  # unstable
        (("erlang", "--arrivals-per-hour", "ten", "--aht-minutes", "5", "--agents", "20"), "--arrivals-per-hour"),
        (("erlang", "--arrivals-per-hour", "10", "--aht-minutes", "0", "--agents", "2"), "--aht-minutes"),
        (("erlang", "--arrivals-per-hour", "10", "--aht-minutes", "5", "--agents", "0"), "--agents"),
        (("erlang", "--arrivals-per-hour", "10", "--aht-minutes", "5"), "--agents"),
        (("erlang", "--arrivals-per-hour", "10", "--aht-minutes", "5", "--agents", "2", "--patience-minutes", "-1"),
         "--patience-minutes"),
        (("staffing", "--arrivals-per-hour", "10", "--aht-minutes", "5", "--target-wait-minutes", "1",
          "--service-level", "80"), "--service-level"),
        (("staffing", "--arrivals-per-hour", "10", "--aht-minutes", "5", "--target-wait-minutes", "1",
          "--service-level", "0.8", "--max-abandonment", "1"), "--max-abandonment"),
        (("simulate", "mmc", "--arrival-rate-per-minute", "1", "--service-minutes", "1", "--servers", "1",
          "--customers", "5", "--seed", "1"), "--customers"),
        (("simulate", "mmc", "--arrival-rate-per-minute", "1", "--service-minutes", "1", "--servers", "1",
          "--customers", "100", "--seed", "x"), "--seed"),
        (("erlang", "--arrivals-per-hour", "10", "--aht-minutes", "5", "--agents", "2", "--bogus", "1"), "--bogus"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_naming_the_option(args: tuple[str, ...], option: str) -> None:
    """Bad input exits 1 with a single line on stderr that names the option, nothing on stdout, no traceback."""
    result = run(*args)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert option in lines[0]
    assert "Traceback" not in result.stderr


def test_unstable_says_unstable() -> None:
    """Occupancy ≥ 1 without patience is reported as unstable."""
    result = run("erlang", "--arrivals-per-hour", "120", "--aht-minutes", "5", "--agents", "10")
    assert result.returncode == 1
    assert "unstable" in result.stderr


def test_planning_commands_do_not_import_django() -> None:
    """Running erlang, staffing and simulate through hallops.cli.main loads no django module."""
    code = """
import sys
from hallops.cli import main
for argv in (
    ["hallops", "erlang", "--arrivals-per-hour", "60", "--aht-minutes", "4", "--agents", "6", "--json"],
    ["hallops", "staffing", "--arrivals-per-hour", "60", "--aht-minutes", "4", "--target-wait-minutes", "1",
     "--service-level", "0.8", "--patience-minutes", "2", "--json"],
    ["hallops", "simulate", "mmc", "--arrival-rate-per-minute", "1", "--service-minutes", "4", "--servers", "6",
     "--customers", "1000", "--seed", "1", "--json"],
):
    try:
        main(argv)
    except SystemExit as done:
        assert done.code == 0, (argv, done.code)
bad = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
assert not bad, bad
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 3
