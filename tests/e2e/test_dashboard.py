"""The manager dashboard in a real browser, on the demo's eight weeks of history: the charts render (ECharts
canvases, no console error), a heat-map cell and a figure drill down to their records, the pilot comparison
and the region view load. Screenshots go to docs/screenshots/dashboard*.png.

Read-only: nothing here changes the hall, so it shares the session's server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot

HALL = "ty01"
WIDE = {"width": 1440, "height": 900}


@pytest.fixture
def manager_page(new_context: Any) -> Iterator[tuple[Any, list[str]]]:
    """The manager's page, with every console error and page error collected."""
    page = new_context("manager", viewport=WIDE).new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page, errors


def test_dashboard_charts_render_and_drill_down(manager_page: tuple[Any, list[str]]) -> None:
    page, errors = manager_page
    page.goto(f"/hall/{HALL}/dashboard/")
    for chart in ("chart-trend", "chart-shares", "chart-heat", "chart-services"):
        expect(page.locator(f"#{chart}[data-rendered='1'] canvas").first).to_be_visible()
    expect(page.locator("#today .kpi-card")).to_have_count(8)
    expect(page.locator("#period .kpi-card[data-figure='arrivals'] .stat-value")).not_to_have_text("0")
    assert page.locator("#agents-table tbody tr[data-agent]").count() >= 3
    page.wait_for_timeout(800)  # the charts' entry animation (300 ms)
    screenshot(page, "dashboard")
    page.locator("#chart-heat").scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    screenshot(page, "dashboard-heatmap")

    # click the heat map's busiest cell: its records, filtered by weekday and hour
    cell = page.evaluate(
        """() => {
          const chart = echarts.getInstanceByDom(document.getElementById('chart-heat'));
          const data = chart.getOption().series[0].data;
          let best = 0;
          data.forEach((d, i) => { if (d.cell.arrivals > data[best].cell.arrivals) best = i; });
          const [x, y] = chart.convertToPixel({seriesIndex: 0}, data[best].value.slice(0, 2));
          return {x, y, weekday: data[best].cell.weekday, hour: data[best].cell.hour};
        }"""
    )
    box = page.locator("#chart-heat").bounding_box()
    page.mouse.click(box["x"] + cell["x"], box["y"] + cell["y"])
    page.wait_for_url(lambda u: "/dashboard/records/" in u)
    assert f"weekday={cell['weekday']}" in page.url and f"hour={cell['hour']}" in page.url
    expect(page.locator("#records tbody tr[data-outcome]").first).to_be_visible()
    assert int(page.locator("#records-count").get_attribute("data-count")) > 0
    screenshot(page, "dashboard-records")

    # a figure card: the over-limit transactions of the period, each marked over its limit
    page.go_back()
    page.locator("#period .kpi-card[data-figure='over_limit_share']").click()
    page.wait_for_url(lambda u: "over_limit=1" in u)
    rows = page.locator("#records tbody tr[data-outcome]")
    expect(rows.first).to_be_visible()
    assert rows.count() == page.locator("#records tbody tr.over-limit").count()
    assert errors == [], errors


def test_compare_and_region(manager_page: tuple[Any, list[str]]) -> None:
    page, errors = manager_page
    page.goto(f"/hall/{HALL}/dashboard/compare/?mode=halls&other=ty02")
    expect(page.locator("#compare tbody tr[data-figure='wait_mean_seconds']")).to_be_visible()
    assert page.locator("#compare tbody tr[data-figure]").count() >= 30
    screenshot(page, "dashboard-compare")
    page.goto("/region/sx/dashboard/")
    expect(page.locator("#chart-region[data-rendered='1'] canvas").first).to_be_visible()
    expect(page.locator("#region-table thead th a")).to_have_count(2)
    page.wait_for_timeout(800)
    screenshot(page, "dashboard-region")
    assert errors == [], errors
