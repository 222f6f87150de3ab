"""The rules format: parsing, normalisation and errors that name the field (hallops.core.rules.parse_rule)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from hallops.core.modes import Mode
from hallops.core.rules import RuleError, parse_rule

FULL: dict[str, Any] = {
    "format": 1,
    "conditions": [
        {"type": "mode", "modes": ["busy", "peak"]},
        {
            "type": "schedule",
            "windows": [{"weekdays": ["sat"], "day_kinds": ["weekend"], "start": "10:00", "end": "12:00"}],
        },
        {"type": "zone", "zones": ["counter"]},
        {"type": "services", "services": ["new_subscriber"]},
        {"type": "queue_length", "per": "service", "op": ">=", "value": 3},
        {"type": "estimated_wait", "op": ">", "minutes": 7.5},
        {"type": "open_counters", "op": "<", "value": 4},
    ],
    "actions": [
        {"type": "enable_preacceptance", "services": ["new_subscriber"]},
        {"type": "alert_open_counters", "count": None},
        {"type": "block_upselling"},
        {"type": "force_self_service", "services": ["sim_replacement"]},
        {"type": "announce_progress", "template_zh": "{waiting} 人等候，约 {minutes} 分钟", "template_en": "x"},
        {"type": "notify_near_turn", "places_ahead": 3},
    ],
}
SERVICES = ["new_subscriber", "sim_replacement", "value_added"]
ZONES = ["counter", "vip", "fast"]


def test_every_condition_and_action_parses_and_round_trips() -> None:
    """The full example parses; its normalised JSON parses again to the same rule."""
    rule = parse_rule(FULL, services=SERVICES, zones=ZONES, preacceptance_services=["new_subscriber"])
    assert [c.type for c in rule.conditions] == [c["type"] for c in FULL["conditions"]]
    assert [a.type for a in rule.actions] == [a["type"] for a in FULL["actions"]]
    assert rule.conditions[0].modes == {Mode.BUSY, Mode.PEAK}
    assert rule.conditions[5].value == 7.5
    assert rule.actions[1].count is None and rule.actions[1].service_level == 0.8
    again = parse_rule(json.loads(json.dumps(rule.to_json())))
    assert again.conditions == rule.conditions and again.actions == rule.actions


def test_a_rule_without_conditions_always_applies() -> None:
    """Conditions are optional; actions are not."""
    rule = parse_rule({"format": 1, "actions": [{"type": "block_upselling"}]})
    assert rule.conditions == ()
    with pytest.raises(RuleError) as err:
        parse_rule({"format": 1, "actions": []})
    assert err.value.path == "actions"


def _bad(mutate: Any, **known: Any) -> RuleError:
    data = copy.deepcopy(FULL)
    mutate(data)
    with pytest.raises(RuleError) as err:
        parse_rule(data, **known)
    return err.value


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.pop("format"), "format"),
        (lambda d: d.update(format="1"), "format"),
        (lambda d: d.update(extra=1), "extra"),
        (lambda d: d.update(conditions={}), "conditions"),
        (lambda d: d["conditions"].__setitem__(0, "mode"), "conditions[0]"),
        (lambda d: d["conditions"][0].update(type="moon"), "conditions[0].type"),
        (lambda d: d["conditions"][0].update(modes=["rush"]), "conditions[0].modes[0]"),
        (lambda d: d["conditions"][0].update(modes=[]), "conditions[0].modes"),
        (lambda d: d["conditions"][0].update(modes=["busy", "busy"]), "conditions[0].modes[1]"),
        (lambda d: d["conditions"][1].update(windows=[]), "conditions[1].windows"),
        (lambda d: d["conditions"][1]["windows"][0].update(end="09:00"), "conditions[1].windows[0].end"),
        (lambda d: d["conditions"][1]["windows"][0].update(start="9:00"), "conditions[1].windows[0].start"),
        (
            lambda d: d["conditions"][1]["windows"][0].update(day_kinds=["holiday", "x"]),
            "conditions[1].windows[0].day_kinds[1]",
        ),
        (lambda d: d["conditions"][4].update(op="=>"), "conditions[4].op"),
        (lambda d: d["conditions"][4].update(value=2.5), "conditions[4].value"),
        (lambda d: d["conditions"][4].update(value=True), "conditions[4].value"),
        (lambda d: d["conditions"][4].update(per="counter"), "conditions[4].per"),
        (lambda d: d["conditions"][5].pop("minutes"), "conditions[5].minutes"),
        (lambda d: d["conditions"][5].update(minutes=-1), "conditions[5].minutes"),
        (lambda d: d["conditions"][5].update(minutes="10"), "conditions[5].minutes"),
        (lambda d: d["conditions"][6].update(value=-1), "conditions[6].value"),
        (lambda d: d["conditions"].append({"type": "zone", "zones": ["vip"]}), "conditions[7].type"),
        (lambda d: d["actions"][0].update(services=[""]), "actions[0].services[0]"),
        (lambda d: d["actions"][1].pop("count"), "actions[1].count"),
        (lambda d: d["actions"][1].update(count=0), "actions[1].count"),
        (lambda d: d["actions"][1].update(service_level=1.5), "actions[1].service_level"),
        (lambda d: d["actions"][2].update(services=[]), "actions[2].services"),
        (lambda d: d["actions"][4].update(template_zh="{people} 人等候"), "actions[4].template_zh"),
        (lambda d: d["actions"][4].update(template_en="{waiting!r}"), "actions[4].template_en"),
        (lambda d: d["actions"][4].update(template_en="{waiting"), "actions[4].template_en"),
        (lambda d: d["actions"][4].update(template_en=""), "actions[4].template_en"),
        (lambda d: d["actions"][5].update(places_ahead=0), "actions[5].places_ahead"),
        (lambda d: d["actions"].append({"type": "block_upselling"}), "actions[6].type"),
        (lambda d: d["actions"].append({"type": "shout"}), "actions[6].type"),
    ],
)
def test_bad_rules_name_the_field(mutate: Any, path: str) -> None:
    """Each invalid rule is refused with a path to the offending field."""
    assert _bad(mutate).path == path


def test_unknown_business_types_and_zones_are_refused_when_known_ones_are_given() -> None:
    """With the hall's catalog and zones the parser checks every code, naming its position."""
    err = _bad(lambda d: d["actions"][3].update(services=["sim_replacement", "fax"]), services=SERVICES, zones=ZONES)
    assert err.path == "actions[3].services[1]" and "fax" in err.message
    err = _bad(lambda d: d["conditions"][2].update(zones=["roof"]), services=SERVICES, zones=ZONES)
    assert err.path == "conditions[2].zones[0]"


def test_pre_acceptance_only_for_capable_types() -> None:
    """Pre-acceptance can be switched on only for pre-acceptance-capable business types."""
    err = _bad(
        lambda d: d["actions"][0].update(services=["sim_replacement"]),
        services=SERVICES,
        preacceptance_services=["new_subscriber"],
    )
    assert err.path == "actions[0].services[0]"


def test_error_message_carries_the_path() -> None:
    """str(error) starts with the path, for logs and the admin."""
    err = _bad(lambda d: d["conditions"][5].update(minutes=-1))
    assert str(err).startswith("conditions[5].minutes: ")
