"""``hallops simulate hall SCENARIO_FILE`` through the installed command: JSON, the table, errors, start-up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hallops.core.sim.hall import simulate_hall
from hallops.core.sim.scenario import Variant, parse_scenario
from tests.core.sim_hall_docs import EXAMPLES, base_doc

HALLOPS = str(Path(sys.executable).parent / "hallops")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HALLOPS, "simulate", "hall", *args], capture_output=True, text=True, timeout=120, check=False
    )


def write(tmp_path: Path, doc: dict[str, object]) -> str:
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_json_is_the_core_result_unrounded(tmp_path: Path) -> None:
    """--json prints simulate_hall's summary (floats unrounded) for the given replications and seed."""
    doc = base_doc()
    result = run(write(tmp_path, doc), "--replications", "3", "--seed", "11", "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    expected = simulate_hall(parse_scenario(doc), replications=3, seed=11).to_json()
    elapsed = data.pop("elapsed_seconds")
    assert elapsed > 0
    assert data == expected
    assert data["kpis"]["wait_mean_seconds"]["n"] == 3


def test_compare_runs_both_variants_on_the_same_customers(tmp_path: Path) -> None:
    """--compare gives four zones and counter zone only side by side, with the same arrivals."""
    result = run(write(tmp_path, base_doc()), "--replications", "2", "--compare", "--json")
    assert result.returncode == 0, result.stderr
    variants = json.loads(result.stdout)["variants"]
    assert [v["variant"] for v in variants] == [Variant.FOUR_ZONES.value, Variant.COUNTER_ONLY.value]
    assert variants[0]["kpis"]["arrivals"] == variants[1]["kpis"]["arrivals"]
    assert variants[1]["kpis"]["diverted"]["mean"] == 0


def test_the_table_of_an_example() -> None:
    """Without --json a table: the hall, then each KPI with its mean and 95% interval, then the zone figures."""
    result = run(str(EXAMPLES / "scenario-ty02.json"), "--replications", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("太原长风街营业厅")
    assert "wait_within_10min_share" in out and "utilisation_counters" in out and "[" in out


def test_staffing_option(tmp_path: Path) -> None:
    """--staffing prints counters, clerks and assistants per half hour, as staff_day computes them."""
    doc = base_doc()
    doc["counters"] += [{"number": n} for n in (4, 5, 6)]
    result = run(write(tmp_path, doc), "--staffing", "--replications", "3", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [s["start"] for s in data["slots"]] == ["09:00", "09:30", "10:00", "10:30"]
    assert data["targets"]["service_level"] == 0.8 and data["replications"] == 3


def test_bad_input_is_one_line_naming_the_field(tmp_path: Path) -> None:
    """A bad scenario field, a missing file and a bad option each print one line and exit with status 1."""
    doc = base_doc()
    doc["business_types"][1]["service"]["cv"] = -1  # type: ignore[index]
    for args, expected in (
        ([write(tmp_path, doc)], "business_types[1].service.cv: must be >= 0"),
        ([str(tmp_path / "missing.json")], "cannot read"),
        ([str(EXAMPLES / "scenario-ty01.json"), "--replications", "1"], "--replications"),
        ([str(EXAMPLES / "scenario-ty01.json"), "--variant", "three"], "--variant"),
    ):
        result = run(*args)
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hallops simulate hall: ") and expected in lines[0], lines


def test_no_django_is_imported() -> None:
    """The command runs without importing Django (like the other planning commands)."""
    example = str(EXAMPLES / "scenario-ty02.json")
    code = (
        "import sys\n"
        "from hallops.cli import CORE_COMMANDS\n"
        f"status = CORE_COMMANDS['simulate'](['hall', {example!r}, '--replications', '2', '--json'])\n"
        "assert status == 0\n"
        "assert not [m for m in sys.modules if m == 'django' or m.startswith('django.')]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
