"""The planning page and a what-if run in a real browser, on the demo's plan for tomorrow: the charts render
(ECharts canvases, the roster's Gantt chart), the gaps are listed; a small what-if run goes to `hallops worker`
(started here, on the server's data folder), the page shows its progress and then the result side by side.
Screenshots go to docs/screenshots/planning.png and what-if.png.

It changes nothing in the hall (a what-if run only stores itself), so it shares the session's server.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import HALLOPS, LiveServer, screenshot

HALL = "ty01"
WIDE = {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def worker(live_server: LiveServer) -> Iterator[subprocess.Popen[bytes]]:
    """`hallops worker` on the server's data folder (its SQLite job queue), for this module only."""
    log = (live_server.data_dir / "worker-planning.log").open("w")
    proc = subprocess.Popen([HALLOPS, "worker"], env=live_server.env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture
def manager_page(new_context: Any) -> Iterator[tuple[Any, list[str]]]:
    page = new_context("manager", viewport=WIDE).new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, errors


def test_the_demo_plan_for_tomorrow(manager_page: tuple[Any, list[str]]) -> None:
    page, errors = manager_page
    page.goto(f"/hall/{HALL}/planning/")
    expect(page.locator("#plan-meta")).to_be_visible()
    for chart in ("chart-by-day", "chart-by-slot", "chart-requirement", "chart-gantt"):
        expect(page.locator(f"#{chart}[data-rendered='1'] canvas").first).to_be_visible()
    expect(page.locator("#summary .kpi-card")).to_have_count(7)
    # the demo hall has fewer agents than the counters it needs at times: the gaps say where
    assert page.locator("#gaps tbody tr").count() >= 1
    bars = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('chart-gantt')).getOption().series[0].data.length"""
    )
    assert bars >= 2
    page.wait_for_timeout(800)  # the charts' entry animation
    screenshot(page, "planning")
    page.locator("#chart-requirement").evaluate("el => el.closest('section').scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    screenshot(page, "planning-roster")
    assert errors == [], errors


def test_a_small_what_if_run(manager_page: tuple[Any, list[str]], worker: subprocess.Popen[bytes]) -> None:
    page, errors = manager_page
    page.goto(f"/hall/{HALL}/planning/what-if/")
    expect(page.locator("#whatif-form")).to_be_visible()
    # a bad value first: refused inline, nothing runs
    page.fill("#id_replications", "1")
    page.click("#whatif-run")
    expect(page.locator("#replications-error")).to_be_visible()
    expect(page.locator("#id_replications")).to_have_attribute("aria-invalid", "true")
    assert errors == ["Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"]
    errors.clear()
    # then a small run: a third of the kiosk-capable customers sent to the kiosks, one counter more at 10:00
    page.fill("#id_replications", "4")
    page.fill("#id_kiosk_share", "33")
    ten = page.locator("#counters-grid input").nth(2)
    ten.fill(str(int(ten.input_value()) + 1))
    page.click("#whatif-run")
    page.wait_for_url(lambda u: "run=" in u)
    panel = page.locator(".run-panel")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-state", "done", timeout=60_000)
    expect(page.locator("#run-table tr[data-figure='wait_mean_seconds']")).to_be_visible()
    assert page.locator("#run-table tr[data-figure]").count() >= 12
    page.locator("#whatif-result").evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)
    screenshot(page, "what-if")
    assert worker.poll() is None, "the worker is still running"
    assert errors == [], errors
