"""A hall's day written as a scenario document of the four-zone simulator, and the what-if changes to it
(plain data: no database)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from hallops.core.sim.scenario import parse_scenario
from hallops.planning.scenario import (
    DEFAULT_SERVICE_SHARE_OF_LIMIT,
    DayWindow,
    apply_changes,
    baseline_of,
    day_window,
    scenario_document,
)
from hallops.planning.selectors import CatalogType, CounterRow, HallFigures, ServiceFigures

DAY = dt.date(2026, 3, 10)
WINDOW = DayWindow(opens=9 * 60, slots=18)
TYPES = [
    CatalogType("new_subscriber", "A", 8.0, True, False, False, True, "新入网", "New"),
    CatalogType("sim_replacement", "B", 3.0, False, True, False, False, "补换卡", "SIM"),
    CatalogType("payment", "D", 3.0, False, True, True, False, "缴费", "Pay"),
]
COUNTERS = [
    CounterRow(1, "counter", ("new_subscriber", "sim_replacement")),
    CounterRow(2, "counter", ("new_subscriber", "sim_replacement")),
    CounterRow(3, "fast", ("sim_replacement",)),
    CounterRow(4, "vip", ("broadband",)),  # serves nothing of the scenario: left out
]
FIGURES = HallFigures(
    start=dt.date(2026, 2, 9),
    end=dt.date(2026, 3, 8),
    tickets=1000,
    services={
        "sim_replacement": ServiceFigures(
            done=400,
            service_mean=150.0,
            service_cv=0.4,
            communication_share=0.3,
            diverted_share=0.2,
            pre_order_share=None,
        )
    },
    walk_seconds=30.0,
    no_show_share=0.04,
    priorities={"normal": 0.9, "elderly": 0.1},
    patience_minutes=40.0,
    communication_factor=0.6,
)


def _arrivals() -> dict[str, list[float]]:
    day = [0.0] * 48
    for t in range(18, 36):
        day[t] = 4.0
    return {t.code: list(day) for t in TYPES}


def _document(**kw: object) -> tuple[dict, list[str]]:  # type: ignore[type-arg]
    args: dict[str, object] = {
        "hall_code": "h1",
        "name": "hall h1",
        "day": DAY,
        "timezone": "Asia/Shanghai",
        "window": WINDOW,
        "types": TYPES,
        "arrivals": _arrivals(),
        "counters": COUNTERS,
        "figures": FIGURES,
        "wait_target_minutes": 10.0,
        "no_show_policy": "push_back",
        "no_show_places": 3,
    }
    args.update(kw)
    return scenario_document(**args)  # type: ignore[arg-type]


def test_the_window_is_the_opening_hours_or_the_busy_half_hours() -> None:
    quiet = [0.0] * 48
    assert day_window(open_24h=False, opens_at=dt.time(8, 45), closes_at=dt.time(17, 10), arrivals=quiet) == DayWindow(
        opens=8 * 60 + 30, slots=18
    )
    busy = list(quiet)
    busy[19] = busy[30] = 1.0
    busy[40] = 0.01  # below the threshold
    assert day_window(open_24h=True, opens_at=dt.time(9), closes_at=dt.time(18), arrivals=busy) == DayWindow(
        opens=9 * 60 + 30, slots=12
    )
    assert day_window(open_24h=True, opens_at=dt.time(9), closes_at=dt.time(18), arrivals=quiet) is None


def test_the_document_is_a_valid_scenario_with_measured_figures_and_defaults() -> None:
    doc, notes = _document()
    scenario = parse_scenario(doc)
    assert notes == []
    assert scenario.slots == 18 and doc["opens"] == "09:00" and doc["closes"] == "18:00"
    by_code = {t.code: t for t in scenario.business_types}
    assert by_code["sim_replacement"].service.mean == 150.0 and by_code["sim_replacement"].kiosk_share == 0.2
    # no history for new_subscriber: a share of its limit
    assert by_code["new_subscriber"].service.mean == 8 * 60 * DEFAULT_SERVICE_SHARE_OF_LIMIT
    assert by_code["payment"].forced and by_code["payment"].arrivals == (4.0,) * 18
    assert [c.number for c in scenario.counters] == [1, 2, 3]
    # counters 1 and 2 serve every type that reaches a counter: "all" (they serve payment too in the
    # single-zone variant); the fast lane keeps its list
    assert [c["skills"] for c in doc["counters"]] == ["all", "all", ["sim_replacement"]]
    assert scenario.patience is not None and scenario.patience.mean == 40 * 60
    assert scenario.communication_factor == 0.6 and scenario.walk is not None and scenario.walk.mean == 30


def test_rules_that_do_not_fit_the_scenario_are_left_out_with_a_note() -> None:
    block = [{"type": "block_upselling"}]
    good = {"format": 1, "conditions": [{"type": "mode", "modes": ["busy"]}], "actions": block}
    bad = {"format": 1, "conditions": [{"type": "zone", "zones": ["preaccept"]}], "actions": block}
    doc, notes = _document(rules=[good, bad])
    assert doc["rules"] == [good]
    assert len(notes) == 1 and notes[0].startswith("rule 2 left out")
    assert len(parse_scenario(doc).rules) == 1


@given(st.lists(st.integers(min_value=0, max_value=3), min_size=18, max_size=18), st.floats(0, 0.95))
def test_changes_round_trip_through_the_baseline(counters: list[int], share: float) -> None:
    """What the what-if page sets is what the document then says (and the simulator's parser accepts it)."""
    doc, _ = _document()
    changed = apply_changes(doc, counters=counters, kiosk_share=share, service_minutes={"sim_replacement": 4.5})
    base = baseline_of(changed)
    assert base.counters == tuple(counters)
    assert base.kiosk_share is not None and abs(base.kiosk_share - share) < 1e-12
    assert base.service_minutes["sim_replacement"] == 4.5
    assert base.max_counters == 3 and "payment" not in base.service_minutes
    scenario = parse_scenario(changed)
    assert [sum(c.open[j] for c in scenario.counters) for j in range(18)] == counters
    assert baseline_of(doc).counters == (3,) * 18  # the original is not changed
