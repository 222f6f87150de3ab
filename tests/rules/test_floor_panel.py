"""The floor view's process panel: the mode, since when, active effects and the last firings, live."""

from __future__ import annotations

import pytest

from tests.factories import Setup
from tests.rules.helpers import add_rule, configure, evaluate, issue
from tests.web.customer_helpers import login

pytestmark = pytest.mark.django_db

PANEL = "/hall/h1/floor/process/"


def test_floor_view_includes_the_live_process_panel(setup: Setup) -> None:
    """The floor page loads the panel and reloads it on process.changed events."""
    body = login("manager", lang="en").get("/hall/h1/floor/").content.decode()
    assert 'id="floor-process"' in body
    assert f'hx-get="{PANEL}"' in body and "process.changed" in body


def test_unmanaged_hall_says_so(setup: Setup) -> None:
    """Without a configuration the panel says the hall is not run by rules."""
    body = login("manager", lang="en").get(PANEL).content.decode()
    assert 'id="process-unmanaged"' in body


def test_panel_shows_mode_effects_and_firings(setup: Setup) -> None:
    """Busy: the mode badge, each active effect, and the rule that fired with its version and cause."""
    configure(setup.hall)
    add_rule(
        setup.hall,
        "busy process",
        {"type": "enable_preacceptance", "services": ["new_subscriber"]},
        {"type": "block_upselling"},
        {"type": "force_self_service", "services": ["sim_replacement"]},
        {"type": "announce_progress", "template_zh": "{waiting} 人等候", "template_en": "{waiting} waiting"},
        {"type": "alert_open_counters", "count": 1},
        {"type": "notify_near_turn", "places_ahead": 2},
    )
    issue(setup, 3)
    evaluate(setup)
    response = login("manager", lang="en").get(PANEL)
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert 'data-mode="busy"' in body
    for effect in ("preacceptance", "self_service", "upselling", "open_counters", "progress", "near_turn"):
        assert f'data-effect="{effect}"' in body, effect
    assert "Open 1 more counter (1 needed)" in body
    assert "busy process" in body and "v1" in body and "busy, 3 waiting, 0 open" in body


def test_auditor_may_watch_and_agents_may_not(setup: Setup) -> None:
    """Who may watch the floor may watch the panel; an agent gets 403."""
    assert login("auditor").get(PANEL).status_code == 200
    assert login("agent1").get(PANEL).status_code == 403


def test_panel_queries_do_not_grow_with_firings(setup: Setup) -> None:
    """The panel reads the same number of queries with one firing as with five."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    configure(setup.hall)
    add_rule(setup.hall, "r0", {"type": "block_upselling"})
    issue(setup, 3)
    evaluate(setup)
    client = login("manager")
    client.get(PANEL)
    with CaptureQueriesContext(connection) as one:
        client.get(PANEL)
    for i in range(1, 5):
        add_rule(setup.hall, f"r{i}", {"type": "notify_near_turn", "places_ahead": i})
    evaluate(setup, 1)
    with CaptureQueriesContext(connection) as five:
        assert "r4" in client.get(PANEL).content.decode()
    assert len(five) == len(one)
