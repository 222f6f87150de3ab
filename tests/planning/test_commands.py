"""`hallops forecast --hall CODE` and `hallops plan --hall CODE --date DAY`: output, JSON, exit codes."""

from __future__ import annotations

import json

import pytest

from hallops.cli import main as hallops_main
from hallops.planning.models import Plan, PlanMethod, PlanSource
from hallops.planning.services import forecast_for_hall
from tests.factories import Setup
from tests.planning.helpers import DAY, load_history

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("keep_connections")]


def minutes(clock: str) -> int:
    return int(clock[:2]) * 60 + int(clock[3:])


def run(*args: str) -> int:
    try:
        hallops_main(["hallops", *args])
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


@pytest.fixture
def hall_setup(setup: Setup) -> Setup:
    load_history(setup.hall)
    return setup


def test_forecast_with_a_hall_reads_the_hall_s_records(hall_setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    """`hallops forecast --hall` is the Django command: the core command's JSON, from the hall's records."""
    assert run("forecast", "--hall", "h1", "--from", "2026-03-10", "--to", "2026-03-11", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    fc = forecast_for_hall(hall_setup.hall, DAY, DAY.replace(day=11))
    assert out["hall"] == "h1" and (out["from"], out["to"]) == ("2026-03-10", "2026-03-11")
    assert out["history"] == {"start": "2026-02-09", "end": "2026-03-08", "days": 28}
    assert [d["date"] for d in out["days"]] == ["2026-03-10", "2026-03-11"]
    for got, day in zip(out["days"], fc.days, strict=True):
        assert got["arrivals"] == {s: list(v) for s, v in day.arrivals.items()}
        assert got["total"] == day.total()


def test_forecast_table(hall_setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("forecast", "--hall=h1", "--from", "2026-03-10", "--to", "2026-03-10") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "h1 hall h1"
    assert lines[1].startswith("history 2026-02-09 … 2026-03-08 (28 days)")
    assert any(line.startswith("2026-03-10 Tue workday: ") for line in lines)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hall", "nope"], "hallops forecast: --hall: unknown hall 'nope'"),
        (
            ["--hall", "h1", "--from", "2026-02-30"],
            "hallops forecast: --from: must be a date YYYY-MM-DD, got '2026-02-30'",
        ),
        (["--hall", "h1", "--weeks", "0"], "hallops forecast: --weeks: must be >= 1, got 0"),
        (
            ["--hall", "h1", "--from", "2026-03-10", "--to", "2026-03-09"],
            "hallops forecast: --to: the last day is before the first",
        ),
        (
            ["--hall", "h2", "--from", "2026-03-10"],
            "hallops forecast: --hall: the hall has no visit records to forecast from",
        ),
    ],
)
def test_forecast_errors_are_one_line_and_exit_1(
    hall_setup: Setup, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run("forecast", *args) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [message] and captured.out == ""


def test_plan_json_is_stored_as_the_day_s_plan(hall_setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("plan", "--hall", "h1", "--date", "2026-03-10", "--erlang-only", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    plan = Plan.objects.get()
    assert out["id"] == plan.pk and out["day"] == "2026-03-10" and out["hall"] == "h1"
    assert (plan.source, plan.method) == (PlanSource.COMMAND, PlanMethod.ERLANG)
    assert out["requirement"]["counters"] == plan.data["requirement"]["counters"]
    assert (
        out["uncovered_half_hours"]
        == plan.uncovered
        == sum(g["missing"] * (minutes(g["end"]) - minutes(g["start"])) // 30 for g in out["gaps"])
    )
    assert set(out) >= {"forecast", "requirement", "roster", "gaps", "scenario", "targets", "hours"}


def test_plan_table(hall_setup: Setup, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("plan", "--hall", "h1", "--date", "2026-03-10", "--replications", "2") == 0
    out = capsys.readouterr().out
    plan = Plan.objects.get()
    assert out.startswith(f"h1 2026-03-10: {plan.forecast_arrivals:.0f} arrivals forecast, 09:00-18:00")
    assert "  time   arrivals  counters  erlang  clerks  assistants" in out
    assert out.rstrip().endswith(f"stored as plan {plan.pk}")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2026-03-10"], "hallops plan: the following arguments are required: --hall"),
        (["--hall", "h1", "--date", "10/03/2026"], "hallops plan: --date: must be a date YYYY-MM-DD, got '10/03/2026'"),
        (
            ["--hall", "h1", "--date", "2026-03-10", "--replications", "0"],
            "hallops plan: --replications: must be from 1 to 50, got 0",
        ),
        (
            ["--hall", "h1", "--date", "2020-01-01"],
            "hallops plan: --date: the hall has no visit records before 2020-01-01",
        ),
        (["--hall", "zz"], "hallops plan: --hall: unknown hall 'zz'"),
    ],
)
def test_plan_errors_are_one_line_and_exit_1(
    hall_setup: Setup, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run("plan", *args) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [message] and captured.out == ""
    assert Plan.objects.count() == 0
