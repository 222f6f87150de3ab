"""The planning page and the what-if page: access, the plan's charts and gaps, re-planning, inline errors,
and a what-if run's lifecycle (queued → done, the task run immediately in tests)."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.test import Client

from hallops.planning import services
from hallops.planning.models import Plan, PlanSource, RunState, WhatIfRun
from tests.factories import Setup
from tests.planning.helpers import AT, DAY, ERLANG, load_history
from tests.web.hall_screens_helpers import device_client, device_cookie, staff_client

pytestmark = pytest.mark.django_db

URL = "/hall/h1/planning/"
WHATIF = URL + "what-if/"


@pytest.fixture
def planned(setup: Setup) -> tuple[Setup, Plan]:
    load_history(setup.hall)
    plan = services.plan_for_day(hall=setup.hall, day=DAY, settings=ERLANG, at=AT)
    return setup, plan


def form_values(html: str) -> dict[str, str]:
    """The what-if form's fields as the page fills them (inputs, the selected options, checked boxes)."""
    form = html[html.index('<form method="post" novalidate id="whatif-form">') :]
    form = form[: form.index("</form>")]
    values: dict[str, str] = {}
    for tag in re.findall(r"<input [^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio"):
            if " checked" in tag:
                values[name.group(1)] = value.group(1) if value else "on"
            continue
        values[name.group(1)] = value.group(1) if value else ""
    for name, body in re.findall(r'<select name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', body)
        values[name] = selected.group(1) if selected else ""
    return values


# ------------------------------------------------------------------------------------------------------ access


def test_anonymous_goes_to_login(setup: Setup) -> None:
    for url in (URL, WHATIF, WHATIF + "1/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), url


@pytest.mark.parametrize("username", ["agent1", "greeter", "clerk", "auditor", "display"])
def test_roles_without_planning_manage_get_403(planned: tuple[Setup, Plan], username: str) -> None:
    setup, _plan = planned
    client = staff_client(setup, username)
    for url in (URL, WHATIF, WHATIF + "1/"):
        assert client.get(url).status_code == 403, url
    assert client.post(URL + "replan/", {"day": DAY.isoformat()}).status_code == 403
    assert Plan.objects.count() == 1


def test_staff_of_another_hall_get_404(planned: tuple[Setup, Plan]) -> None:
    setup, _plan = planned
    client = staff_client(setup, "agent_b")
    for url in (URL, WHATIF, WHATIF + "1/"):
        assert client.get(url).status_code == 404, url
    assert client.post(URL + "replan/", {"day": DAY.isoformat()}).status_code == 404


def test_a_device_cookie_is_refused(planned: tuple[Setup, Plan]) -> None:
    setup, _plan = planned
    response = device_client(device_cookie(setup)).get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# ---------------------------------------------------------------------------------------------------- planning


@pytest.mark.parametrize("username", ["manager", "admin"])
def test_the_planning_page_shows_the_day_s_plan(planned: tuple[Setup, Plan], username: str) -> None:
    setup, plan = planned
    response = staff_client(setup, username).get(URL, {"day": DAY.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    for chart in ("chart-by-day", "chart-by-slot", "chart-requirement", "chart-gantt"):
        assert f'id="{chart}"' in html
    assert "echarts-6.1.0.min.js" in html and "hallops/planning.js" in html
    assert f'data-plan="{plan.pk}"' in html
    script = re.search(r'<script id="planning-data" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(script.group(1))
    req = plan.data["requirement"]
    assert data["requirement"]["series"][0]["data"] == req["counters"]
    assert data["requirement"]["erlang"]["data"] == req["erlang_counters"]
    assert data["by_slot"]["forecast"] == [round(x, 2) for x in plan.data["forecast"]["by_slot"]]
    assert data["by_day"]["days"][-1] == DAY.isoformat() and len(data["by_day"]["days"]) == 15
    assert len(data["gantt"]["staff"]) == len(plan.data["roster"]["shifts"])
    rows = re.findall(r'<tr data-slot="(\d\d:\d\d)"', html)
    assert rows == req["slots"]
    gaps = re.findall(r'<tr data-role="(\w+)">', html)
    assert gaps == [g["role"] for g in plan.data["gaps"]]
    assert ('data-figure="uncovered"' in html) and f">{plan.uncovered}<" in html


def test_a_day_without_a_plan_offers_to_make_one(planned: tuple[Setup, Plan]) -> None:
    setup, _plan = planned
    html = staff_client(setup, "manager").get(URL, {"day": "2026-03-12"}).content.decode()
    assert 'id="no-plan"' in html and 'id="chart-by-day"' not in html
    assert 'action="/hall/h1/planning/replan/"' in html


def test_a_bad_day_is_refused_inline(planned: tuple[Setup, Plan]) -> None:
    setup, _plan = planned
    response = staff_client(setup, "manager").get(URL, {"day": "2026-02-30"})
    assert response.status_code == 400
    assert 'id="planning-error" data-field="day"' in response.content.decode()


def test_replan_stores_a_new_plan_by_the_manager(planned: tuple[Setup, Plan], monkeypatch: pytest.MonkeyPatch) -> None:
    setup, old = planned
    monkeypatch.setattr(services, "PlanSettings", lambda: ERLANG)  # the page's default settings, made cheap
    response = staff_client(setup, "manager").post(URL + "replan/", {"day": DAY.isoformat()})
    assert response.status_code == 303 and response["Location"] == f"{URL}?day={DAY.isoformat()}"
    new = Plan.objects.exclude(pk=old.pk).get()
    assert (new.source, new.created_by, new.day) == (PlanSource.MANUAL, setup.users["manager"], DAY)
    html = staff_client(setup, "manager").get(response["Location"]).content.decode()
    assert f'data-plan="{new.pk}"' in html


def test_replan_errors_are_shown_inline(planned: tuple[Setup, Plan]) -> None:
    setup, _plan = planned
    response = staff_client(setup, "manager").post(URL + "replan/", {"day": "2020-01-01"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="planning-error" data-field="date"' in html and "2020-01-01" in html
    assert Plan.objects.count() == 1


def test_the_planning_page_reads_a_bounded_number_of_queries(
    planned: tuple[Setup, Plan], django_assert_max_num_queries: Any
) -> None:
    setup, _plan = planned
    client = staff_client(setup, "manager")
    with django_assert_max_num_queries(20):
        assert client.get(URL, {"day": DAY.isoformat()}).status_code == 200


# ----------------------------------------------------------------------------------------------------- what-if


def test_whatif_starts_from_the_plan(planned: tuple[Setup, Plan]) -> None:
    setup, plan = planned
    response = staff_client(setup, "manager").get(WHATIF, {"day": DAY.isoformat()})
    assert response.status_code == 200
    values = form_values(response.content.decode())
    req = plan.data["requirement"]
    assert values["plan"] == str(plan.pk) and values["preset"] == "custom"
    assert [int(values[f"counters_{j}"]) for j in range(len(req["slots"]))] == req["counters"]
    assert values["pre_on"] == "on" and values["pre_start"] == "09:00" and values["pre_end"] == "18:00"
    assert "svc_sim_replacement" in values and "svc_payment" not in values  # forced types never reach a counter


def test_whatif_without_a_plan_links_to_the_planning_page(setup: Setup) -> None:
    html = staff_client(setup, "manager").get(WHATIF).content.decode()
    assert 'id="no-plan"' in html and 'id="whatif-form"' not in html


def test_whatif_bad_input_is_refused_inline_and_nothing_runs(planned: tuple[Setup, Plan]) -> None:
    setup, _plan = planned
    client = staff_client(setup, "manager")
    values = form_values(client.get(WHATIF, {"day": DAY.isoformat()}).content.decode())
    bad = dict(values, counters_3="99", kiosk_share="lots", pre_end="09:30", pre_start="10:00", replications="500")
    response = client.post(WHATIF, bad)
    assert response.status_code == 422
    html = response.content.decode()
    for name in ("counters_3", "kiosk_share", "pre_end", "replications"):
        assert f'name="{name}" id="id_{name}"' in html and f'aria-describedby="{name}-error"' in html, name
        assert f'id="{name}-error"' in html, name
    assert 'id="form-errors"' in html
    assert WhatIfRun.objects.count() == 0
    closed = {k: ("0" if k.startswith("counters_") else v) for k, v in values.items()}
    assert client.post(WHATIF, closed).status_code == 422
    assert WhatIfRun.objects.count() == 0


def test_a_plan_of_another_hall_is_not_found(planned: tuple[Setup, Plan]) -> None:
    setup, plan = planned
    client = staff_client(setup, "manager")
    values = form_values(client.get(WHATIF, {"day": DAY.isoformat()}).content.decode())
    Plan.objects.filter(pk=plan.pk).update(hall=setup.other_hall)
    assert client.post(WHATIF, values).status_code == 404


def test_whatif_run_lifecycle(planned: tuple[Setup, Plan], django_capture_on_commit_callbacks: Any) -> None:
    """Posting the form stores a queued run and redirects to it; its panel polls itself while it is not
    finished; the worker's task (immediate here) simulates both sides; the panel then shows the result side by
    side and stops polling."""
    setup, plan = planned
    client = staff_client(setup, "manager")
    values = form_values(client.get(WHATIF, {"day": DAY.isoformat()}).content.decode())
    values.update(replications="3", kiosk_share="40", counters_0=str(int(values["counters_0"]) + 1))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(WHATIF, values)
    assert response.status_code == 303
    run = WhatIfRun.objects.get()
    assert response["Location"] == f"{WHATIF}?day={DAY.isoformat()}&run={run.pk}"
    assert run.state == RunState.QUEUED and run.total == 6 and len(callbacks) == 1
    assert run.changes["kiosk_share"] == pytest.approx(0.4)
    assert run.changes["counters"][0] == plan.data["requirement"]["counters"][0] + 1
    assert run.changes["clerks"] is None and run.changes["service_minutes"] is None

    queued = client.get(f"{WHATIF}{run.pk}/").content.decode()
    assert 'data-state="queued"' in queued and 'hx-trigger="every 1s"' in queued
    assert 'data-done="0" data-total="6"' in queued

    callbacks[0]()  # the COMMIT hook: the task runs (immediately in tests)
    run.refresh_from_db()
    assert run.state == RunState.DONE and run.done == 6

    done = client.get(f"{WHATIF}{run.pk}/")
    assert done["Cache-Control"] == "no-store"
    html = done.content.decode()
    assert 'data-state="done"' in html and "hx-trigger" not in html
    figures = re.findall(r'<tr data-figure="([\w:]+)"', html)
    expected = {"wait_mean_seconds", "wait_within_10min_share", "hours_counters", "figure:utilisation_counters"}
    assert expected <= set(figures)
    page = client.get(response["Location"]).content.decode()
    assert f'id="run-{run.pk}"' in page and f'<tr data-run="{run.pk}">' in page


def test_a_run_of_another_hall_is_not_found(planned: tuple[Setup, Plan]) -> None:
    setup, plan = planned
    run = services.whatif_start(
        actor=setup.actor("manager"), hall=setup.hall, plan=plan, changes=services.WhatIfChanges(), replications=2
    )
    WhatIfRun.objects.filter(pk=run.pk).update(hall=setup.other_hall)
    client = staff_client(setup, "manager")
    assert client.get(f"{WHATIF}{run.pk}/").status_code == 404
    assert client.get(WHATIF, {"day": DAY.isoformat(), "run": run.pk}).status_code == 404


def test_a_queued_run_waiting_too_long_suggests_the_worker(planned: tuple[Setup, Plan]) -> None:
    setup, plan = planned
    run = services.whatif_start(
        actor=setup.actor("manager"), hall=setup.hall, plan=plan, changes=services.WhatIfChanges(), replications=2
    )
    client = staff_client(setup, "manager")
    assert "hallops worker" not in client.get(f"{WHATIF}{run.pk}/").content.decode()
    WhatIfRun.objects.filter(pk=run.pk).update(created_at=run.created_at - dt.timedelta(minutes=1))
    assert "hallops worker" in client.get(f"{WHATIF}{run.pk}/").content.decode()
