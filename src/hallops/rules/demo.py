"""The demo halls' modes and rules: the "three divisions" of seed 000 and the queue rules of seed 003."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction

from hallops.core.modes import DEFAULT_CONFIG
from hallops.organisation.models import Hall
from hallops.rules.models import ModeChange, ModeConfig, NearTurnNotice, ProcessState, Rule, RuleFiring

#: Busy every Saturday 10:00–12:00 that is a weekend day (not a 调休 make-up working day, not a holiday).
SATURDAY_WINDOW = {"mode": "busy", "weekdays": ["sat"], "day_kinds": ["weekend"], "start": "10:00", "end": "12:00"}

COMPLEX_PRE = ["new_subscriber", "broadband", "bundle", "handset", "ownership_transfer"]
KIOSK_SIMPLE = ["sim_replacement", "value_added"]
BUSY = {"type": "mode", "modes": ["busy", "peak"]}
PEAK = {"type": "mode", "modes": ["peak"]}

DEMO_RULES: list[tuple[str, dict[str, Any]]] = [
    (
        "忙时开启预受理 / pre-acceptance when busy",
        {"format": 1, "conditions": [BUSY], "actions": [{"type": "enable_preacceptance", "services": COMPLEX_PRE}]},
    ),
    (
        "单列 3 人以上不推荐新业务 / no upselling from 3 in a line",
        {
            "format": 1,
            "conditions": [{"type": "queue_length", "per": "service", "op": ">=", "value": 3}],
            "actions": [{"type": "block_upselling"}],
        },
    ),
    (
        "高峰简单业务强制自助 / peak: simple business to the kiosks",
        {"format": 1, "conditions": [PEAK], "actions": [{"type": "force_self_service", "services": KIOSK_SIMPLE}]},
    ),
    (
        "忙时播报排队进度 / announce progress when busy",
        {
            "format": 1,
            "conditions": [BUSY],
            "actions": [
                {
                    "type": "announce_progress",
                    "template_zh": "当前 {waiting} 人等候，约 {minutes} 分钟，请耐心等候或使用自助终端",
                    "template_en": "{waiting} waiting, about {minutes} min: thank you for your patience",
                }
            ],
        },
    ),
    (
        "高峰提醒开窗 / peak: open counters (staffing)",
        {"format": 1, "conditions": [PEAK], "actions": [{"type": "alert_open_counters", "count": None}]},
    ),
    (
        "忙时临近叫号短信 / SMS when the turn is near",
        {"format": 1, "conditions": [BUSY], "actions": [{"type": "notify_near_turn", "places_ahead": 3}]},
    ),
]


def demo_mode_config() -> dict[str, Any]:
    config = copy.deepcopy(DEFAULT_CONFIG)
    config["windows"] = [SATURDAY_WINDOW]
    return config


@transaction.atomic
def rules_demo_load(*, halls: list[Hall]) -> int:
    """Reset the demo halls' modes, rules and logs, then load the demo configuration; returns rules created."""
    from hallops.rules.services import mode_config_set, rule_create

    RuleFiring.objects.filter(hall__in=halls).delete()
    ModeChange.objects.filter(hall__in=halls).delete()
    ProcessState.objects.filter(hall__in=halls).delete()
    NearTurnNotice.objects.filter(ticket__hall__in=halls).delete()
    Rule.objects.filter(hall__in=halls).update(current=None)
    Rule.objects.filter(hall__in=halls).delete()
    ModeConfig.objects.filter(hall__in=halls).delete()
    created = 0
    for hall in halls:
        mode_config_set(hall=hall, config=demo_mode_config(), enabled=True)
        for order, (name, definition) in enumerate(DEMO_RULES, start=1):
            rule_create(hall=hall, name=name, definition=definition, order=order * 10, note="demo")
            created += 1
    return created
