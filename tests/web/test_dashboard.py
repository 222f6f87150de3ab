"""The manager dashboard: access, figures from the selectors, drill-down to the records behind each figure."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from hallops.analytics import selectors as analytics
from hallops.core.roles import Role
from hallops.organisation.models import StaffRole
from tests.factories import Setup, user_with_role
from tests.reports.history import load_history
from tests.web.hall_screens_helpers import device_client, device_cookie, issue, staff_client

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2024, 3, 11)
PERIOD = "start=2024-03-11&end=2024-03-17"
URL = "/hall/h1/dashboard/"


@pytest.fixture
def loaded(setup: Setup) -> Setup:
    load_history(setup.hall, MONDAY, 7)
    return setup


def count_of(html: str) -> int:
    match = re.search(r'id="records-count" data-count="(\d+)"', html)
    assert match, "the records page states its count"
    return int(match.group(1))


def card_urls(html: str) -> dict[str, str]:
    """The drill-down link of each figure card (the period section's cards come last)."""
    out = {}
    for href, key in re.findall(r'<a class="kpi-card[^"]*" href="([^"]+)" data-figure="(\w+)"', html):
        out[key] = href.replace("&amp;", "&")
    return out


# ------------------------------------------------------------------------------------------------------ access


def test_anonymous_goes_to_login(setup: Setup) -> None:
    for url in (URL, URL + "records/", URL + "compare/", "/hall/h1/reports/", "/region/r/dashboard/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url


@pytest.mark.parametrize("username", ["agent1", "greeter", "clerk", "kiosk", "display"])
def test_roles_without_dashboard_view_get_403(setup: Setup, username: str) -> None:
    client = staff_client(setup, username)
    for url in (URL, URL + "today/", URL + "records/", URL + "compare/", "/hall/h1/reports/"):
        assert client.get(url).status_code == 403, url


def test_staff_of_another_hall_get_404(setup: Setup) -> None:
    client = staff_client(setup, "agent_b")
    for url in (URL, URL + "records/", URL + "compare/", "/hall/h1/reports/", "/hall/h1/reports/1/pdf/"):
        assert client.get(url).status_code == 404, url


def test_a_device_cookie_is_refused(setup: Setup) -> None:
    response = device_client(device_cookie(setup)).get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("username", ["manager", "auditor", "admin"])
def test_manager_auditor_admin_see_the_dashboard(loaded: Setup, username: str) -> None:
    response = staff_client(loaded, username).get(f"{URL}?{PERIOD}")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="chart-heat"' in html and "echarts-6.1.0.min.js" in html and "hallops/dashboard.js" in html
    assert 'hx-get="/hall/h1/dashboard/today/"' in html


# ------------------------------------------------------------------------------------------------ the figures


def test_dashboard_shows_the_selector_figures(loaded: Setup) -> None:
    """The period's cards, the business-type and agent tables and the chart data are kpi_summary's,
    daily_series' and wait_heatmap's figures."""
    html = staff_client(loaded, "manager", lang="en").get(f"{URL}?{PERIOD}").content.decode()
    start, end = MONDAY, dt.date(2024, 3, 17)
    total = analytics.kpi_summary(halls=[loaded.hall], start=start, end=end)["total"]
    assert re.search(
        rf'data-figure="arrivals"[^>]*>\s*<span class="stat-label">Arrivals</span>\s*'
        rf'<span class="stat-value number">{total["arrivals"]}</span>',
        html,
    )
    data = json.loads(re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)[1])
    series = analytics.daily_series(halls=[loaded.hall], start=start, end=end)
    assert data["trend"]["days"] == [row["day"] for row in series]
    assert data["trend"]["arrivals"] == [row["arrivals"] for row in series] and sum(data["trend"]["arrivals"]) == 126
    heat = analytics.wait_heatmap(halls=[loaded.hall], start=start, end=end)
    assert sum(c["arrivals"] for c in data["heat"]["cells"]) == sum(c["arrivals"] for c in heat) == 126
    by_service = analytics.kpi_summary(halls=[loaded.hall], start=start, end=end, by="service")["groups"]
    table = html[html.index('id="services-table"') :]
    for code, figures in by_service.items():
        row = re.search(rf'<tr data-service="{code}">(.*?)</tr>', table, re.S)
        assert row, code
        assert f'over_limit=1" data-figure="over_limit">{len(figures["over_limit"])}</a>' in row[1].replace(
            "&amp;", "&"
        )
    by_agent = analytics.kpi_summary(halls=[loaded.hall], start=start, end=end, by="agent")["groups"]
    assert set(re.findall(r'<tr data-agent="([^"]*)">', html)) == {k for k, f in by_agent.items() if f["served"]}


def test_every_card_drills_down_to_as_many_records_as_it_counts(loaded: Setup) -> None:
    """Each headline card links to the records behind it, and their number is the figure's own count:
    arrivals → every ticket once; served → the done transactions; over-limit → the over-limit list;
    no-shows, diversions; waits over 10 minutes → called minus those within."""
    client = staff_client(loaded, "manager")
    html = client.get(f"{URL}?{PERIOD}").content.decode()
    urls = card_urls(html)
    total = analytics.kpi_summary(halls=[loaded.hall], start=MONDAY, end=dt.date(2024, 3, 17))["total"]
    expected = {
        "arrivals": total["arrivals"],
        "served": total["served"],
        "wait_mean_seconds": total["called"],
        "over_limit_share": len(total["over_limit"]),
        "no_show_rate": total["no_shows"],
        "diversion_share": total["diverted"],
        "wait_p90_seconds": total["called"] - round(total["wait_within_10min_share"] * total["called"]),
    }
    for key, count in expected.items():
        url = urls[key]
        assert parse_qs(urlsplit(url).query)["start"] == ["2024-03-11"], url
        response = client.get(url)
        assert response.status_code == 200, url
        assert count_of(response.content.decode()) == count, (key, url)
    assert expected["over_limit_share"] > 0 and expected["no_show_rate"] == 7 and expected["diversion_share"] == 7


def test_drill_down_filters_select_exactly_the_matching_records(loaded: Setup) -> None:
    """A business type, an agent, a weekday and hour: the table lists only matching rows, as many as
    records_behind gives, 50 a page."""
    client = staff_client(loaded, "manager")
    start, end = MONDAY, dt.date(2024, 3, 17)
    cases: list[dict[str, Any]] = [
        {"service": "sim_replacement"},
        {"agent": "agent2", "outcome": "done"},
        {"weekday": 1, "hour": 10},
        {"service": "value_added", "over_limit": True},
    ]
    for filters in cases:
        qs = analytics.records_behind(halls=[loaded.hall], start=start, end=end, **filters)
        query = "&".join(f"{k}={'1' if v is True else v}" for k, v in filters.items())
        html = client.get(f"{URL}records/?{PERIOD}&{query}").content.decode()
        assert count_of(html) == qs.count() > 0, filters
        tickets = re.findall(r'<tr data-outcome="[a-z_]+"[^>]*>\s*<td class="number">(A\d+)</td>', html)
        assert tickets == [r.ticket for r in qs[:50]], filters
    everything = client.get(f"{URL}records/?{PERIOD}").content.decode()
    n = count_of(everything)
    assert n > 50 and 'rel="next"' in everything
    page2 = client.get(f"{URL}records/?{PERIOD}&page=2").content.decode()
    assert len(re.findall(r"<tr data-outcome=", page2)) == min(50, n - 50)


@pytest.mark.parametrize(
    "query",
    ["hour=24", "weekday=x", "outcome=lost", "start=2024-13-01", "start=2024-03-17&end=2024-03-11", "over_limit=maybe"],
)
def test_bad_drill_down_query_is_400_naming_the_field(loaded: Setup, query: str) -> None:
    response = staff_client(loaded, "manager").get(f"{URL}records/?{query}")
    assert response.status_code == 400
    field = query.split("=")[0] if "end=" not in query else "end"
    assert f'data-field="{field}"' in response.content.decode()


def test_today_panel_is_live(loaded: Setup) -> None:
    """Today's panel (htmx fragment, not cached): today's arrivals and who waits now, live from the hall (the
    visit records come later), by business type with the estimate for a ticket issued now."""
    client = staff_client(loaded, "manager", lang="en")
    response = client.get(URL + "today/")
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert "Nobody is waiting now." in response.content.decode()
    issue(loaded)
    issue(loaded)
    html = client.get(URL + "today/").content.decode()
    chip = re.search(r'<span class="queue-chip[^"]*" data-service="sim_replacement">(.*?)</span>\n', html, re.S)
    assert chip and '<b class="number">2</b>' in chip[1]
    for key, value in (("arrivals", 2), ("waiting", 2), ("served_tickets", 0)):
        # live from the hall, not waiting for the analytics sync
        assert re.search(
            rf'data-figure="{key}"[^>]*>\s*<span class="stat-label">[^<]+</span>\s*'
            rf'<span class="stat-value number">{value}</span>',
            html,
        ), key


# ------------------------------------------------------------------------------------------------- compare


def test_compare_two_periods_lists_every_figure(loaded: Setup) -> None:
    """Two periods of the hall: one row per figure with A, B, difference and the interval or "count"."""
    html = (
        staff_client(loaded, "manager")
        .get(f"{URL}compare/?mode=periods&a_start=2024-03-11&a_end=2024-03-13&start=2024-03-14&end=2024-03-17")
        .content.decode()
    )
    from hallops.core.compare import FIGURES

    assert re.findall(r'<tr data-figure="(\w+)"', html) == list(FIGURES)
    assert re.search(
        r'<tr data-figure="arrivals" data-noise="">.*?<td class="number">54</td><td class="number">72</td>', html, re.S
    )


def test_compare_two_halls_needs_both(loaded: Setup) -> None:
    """Comparing with another hall: an administrator may; the hall's own manager (no role there) gets 404."""
    url = f"{URL}compare/?mode=halls&other=h2&{PERIOD}"
    assert staff_client(loaded, "admin").get(url).status_code == 200
    assert staff_client(loaded, "manager").get(url).status_code == 404
    assert staff_client(loaded, "manager").get(f"{URL}compare/?mode=halls").status_code == 400  # no other hall
    assert staff_client(loaded, "manager").get(f"{URL}compare/?mode=both").status_code == 400
    assert staff_client(loaded, "manager").get(f"{URL}compare/?start=2024-01-01&end=2024-06-01").status_code == 400


# --------------------------------------------------------------------------------------------------- region


def test_region_shows_the_halls_the_caller_may_see(loaded: Setup) -> None:
    """The region view: every hall for an administrator; only the halls with dashboard rights for a manager
    (saying how many are hidden); 403 for an agent of the region; 404 for an unknown region or a user with no
    hall there."""
    admin = staff_client(loaded, "admin", lang="en").get(f"/region/r/dashboard/?{PERIOD}")
    assert admin.status_code == 200
    assert re.findall(r'<th><a href="/hall/(\w+)/dashboard/', admin.content.decode()) == ["h1", "h2"]
    manager = staff_client(loaded, "manager", lang="en").get(f"/region/r/dashboard/?{PERIOD}").content.decode()
    assert re.findall(r'<th><a href="/hall/(\w+)/dashboard/', manager) == ["h1"]
    assert "1 hall of the region is not shown" in manager
    assert staff_client(loaded, "agent1").get("/region/r/dashboard/").status_code == 403
    assert staff_client(loaded, "admin").get("/region/nowhere/dashboard/").status_code == 404
    outsider = user_with_role("outsider", Role.MANAGER, None)
    StaffRole.objects.filter(user=outsider).delete()
    client = Client()
    client.force_login(outsider)
    assert client.get("/region/r/dashboard/").status_code == 404
