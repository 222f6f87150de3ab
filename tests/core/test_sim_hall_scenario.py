"""The hall simulator's scenario format (hallops.core.sim.scenario): parsing, defaults, and errors naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hallops.core.modes import Mode
from hallops.core.policy import NoShowPolicy
from hallops.core.sim.scenario import DistKind, ScenarioError, Variant, load_scenario, parse_scenario
from tests.core.sim_hall_docs import EXAMPLES, base_doc


@pytest.mark.parametrize("hall", ["ty01", "ty02"])
def test_the_demo_halls_examples_parse(hall: str) -> None:
    """The shipped examples parse: 18 half hours from 09:00, the demo hall's counters and the 12 business types
    of the demo catalog, with rules parsed by the rules core."""
    sc = load_scenario(EXAMPLES / f"scenario-{hall}.json")
    assert sc.hall == hall
    assert sc.slots == 18 and sc.slot_label(0) == "09:00" and sc.slot_label(17) == "17:30"
    assert len(sc.counters) == {"ty01": 8, "ty02": 5}[hall]
    assert len(sc.business_types) == 12
    assert sc.rules and sc.modes is not None
    assert sc.variant is Variant.FOUR_ZONES


def test_daily_arrivals_follow_the_profile_and_windows_fill_half_hours() -> None:
    """``daily`` with a profile spreads the total by the normalised weights; staff windows add up per half hour;
    a counter's open windows become one flag per half hour."""
    sc = parse_scenario(base_doc())
    complex_type = sc.business_types[1]
    assert complex_type.arrivals == pytest.approx((5.0, 10.0, 10.0, 5.0))
    assert sc.counters[1].open == (False, True, True, True)
    assert sc.counters[0].open == (True,) * 4
    assert sc.clerks == (1, 1, 1, 1)
    doc = base_doc()
    doc["preacceptance"]["clerks"] = [
        {"start": "09:00", "end": "10:00", "count": 1},
        {"start": "09:30", "end": "11:00", "count": 2},
    ]
    assert parse_scenario(doc).clerks == (1, 3, 2, 2)


def test_defaults() -> None:
    """Without the optional sections: four zones, no patience, no no-shows, rules off, quotes on, lognormal
    service with cv 0.5 when cv is left out."""
    doc = base_doc()
    for key in ("patience", "priorities", "preacceptance", "self_service", "walk_seconds", "quote_waits"):
        doc.pop(key)
    doc["business_types"][0].pop("routing")
    doc["business_types"][0].pop("self_service")
    doc["business_types"][1].pop("routing")
    doc["business_types"][1].pop("preparation")
    doc["business_types"][1]["service"] = {"mean_minutes": 6}
    sc = parse_scenario(doc)
    assert sc.variant is Variant.FOUR_ZONES and sc.patience is None and sc.walk is None
    assert sc.no_show.share == 0.0 and sc.no_show.policy is NoShowPolicy.PUSH_BACK
    assert sc.rules == () and sc.modes is None and sc.quote_waits
    service = sc.business_types[1].service
    assert (service.kind, service.mean, service.cv) == (DistKind.LOGNORMAL, 360.0, 0.5)


def test_rules_bring_the_default_mode_configuration() -> None:
    """A scenario with rules and no ``modes`` uses the rules core's default mode configuration."""
    rule = {"format": 1, "conditions": [{"type": "mode", "modes": ["busy"]}], "actions": [{"type": "block_upselling"}]}
    sc = parse_scenario({**base_doc(), "rules": [rule]})
    assert sc.modes is not None and set(sc.modes.levels) == {Mode.NORMAL, Mode.BUSY, Mode.PEAK}
    assert sc.rules[0].ref == 0


def _set(path: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def _drop(path: list[str | int]) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target: Any = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]

    return change


BAD = [
    (_set(["format"], 2), "format"),
    (_drop(["hall"]), "hall"),
    (_set(["colour"], "red"), "colour"),
    (_set(["day"], "2026-02-30"), "day"),
    (_set(["timezone"], "Mars/Olympus"), "timezone"),
    (_set(["opens"], "09:15"), "opens"),
    (_set(["closes"], "08:00"), "closes"),
    (_set(["variant"], "three_zones"), "variant"),
    (_set(["replications"], 1), "replications"),
    (_set(["business_types"], []), "business_types"),
    (_set(["business_types", 0, "arrivals", "per_half_hour"], [1, 2, 3]), "business_types[0].arrivals.per_half_hour"),
    (_set(["business_types", 0, "arrivals", "per_half_hour", 2], -1), "business_types[0].arrivals.per_half_hour[2]"),
    (_set(["business_types", 1, "arrivals", "profile"], "weekday"), "business_types[1].arrivals.profile"),
    (_set(["business_types", 1, "service", "cv"], "high"), "business_types[1].service.cv"),
    (_set(["business_types", 1, "service", "distribution"], "gamma"), "business_types[1].service.distribution"),
    (_set(["business_types", 1, "service", "mean_minutes"], 0), "business_types[1].service.mean_minutes"),
    (_set(["business_types", 1, "routing", "kiosk"], 0.2), "business_types[1].routing.kiosk"),
    (_set(["business_types", 0, "routing", "preacceptance"], 0.2), "business_types[0].routing.preacceptance"),
    (_set(["business_types", 0, "routing", "kiosk"], 1.5), "business_types[0].routing.kiosk"),
    (_drop(["business_types", 1, "preparation"]), "business_types[1].preparation"),
    (_drop(["business_types", 2, "self_service"]), "business_types[2].self_service"),
    (_set(["business_types", 1, "code"], "simple"), "business_types[1].code"),
    (_set(["business_types", 0, "prefix"], "b1"), "business_types[0].prefix"),
    (_set(["counters", 2, "skills", 0], "teleport"), "counters[2].skills[0]"),
    (_set(["counters", 1, "number"], 1), "counters[1].number"),
    (_set(["counters", 1, "open", 0, "start"], "09:10"), "counters[1].open[0].start"),
    (_set(["counters", 1, "open", 0, "end"], "12:00"), "counters[1].open[0].end"),
    (_set(["counters", 0, "open"], [1, 0, 2, 1]), "counters[0].open[2]"),
    (_set(["pauses"], [{"counter": 9, "start": "10:00", "minutes": 10}]), "pauses[0].counter"),
    (_set(["pauses"], [{"counter": 1, "start": "12:00", "minutes": 10}]), "pauses[0].start"),
    (_set(["no_show"], {"policy": "forget"}), "no_show.policy"),
    (_set(["patience"], {"distribution": "exponential", "mean_minutes": 5, "cv": 0.5}), "patience.cv"),
    (_set(["priorities", "vip"], 0.9), "priorities"),
    (_set(["preacceptance", "clerks"], [1, 1]), "preacceptance.clerks"),
    (_set(["self_service", "help_share"], 2), "self_service.help_share"),
    (_set(["rules"], [{"format": 1, "actions": [{"type": "teleport"}]}]), "rules[0].actions[0].type"),
    (
        _set(["rules"], [{"format": 1, "actions": [{"type": "enable_preacceptance", "services": ["simple"]}]}]),
        "rules[0].actions[0].services[0]",
    ),
    (_set(["modes"], {"format": 1, "levels": {}}), "modes.levels.normal"),
    (_set(["rules_every_minutes"], 0), "rules_every_minutes"),
]


@pytest.mark.parametrize(("change", "path"), BAD, ids=[p for _, p in BAD])
def test_a_bad_field_is_named(change: Callable[[dict[str, Any]], None], path: str) -> None:
    """Each bad document raises ScenarioError whose path names the bad field, and a one-line message."""
    doc = base_doc()
    change(doc)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(doc)
    assert caught.value.path == path
    assert "\n" not in str(caught.value) and str(caught.value).startswith(f"{path}: ")


def test_unreadable_or_non_json_files(tmp_path: Path) -> None:
    """A missing file and a file that is not JSON are ScenarioErrors that say so (with the JSON line)."""
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": 1,\n "hall": }')
    with pytest.raises(ScenarioError, match="line 2"):
        load_scenario(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(base_doc()))
    assert load_scenario(good).hall == "t01"


def test_with_staff_replaces_the_schedules() -> None:
    """``with_staff`` opens the first n counters per half hour (on-call dropped) and sets clerks and assistants."""
    sc = parse_scenario(base_doc()).with_staff(counters=[1, 3, 2, 0], clerks=[0, 1, 2, 0], assistants=[1, 1, 1, 1])
    assert [c.open for c in sc.counters] == [
        (True, True, True, False),
        (False, True, True, False),
        (False, True, False, False),
    ]
    assert sc.clerks == (0, 1, 2, 0) and sc.assistants == (1, 1, 1, 1)
    assert not any(c.on_call for c in sc.counters)
