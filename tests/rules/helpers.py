"""Helpers for the rules app's tests: a mode configuration with small thresholds, rules, tickets."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from django.utils import timezone

from hallops.hall import services as hall_services
from hallops.hall.models import HallEvent, Ticket
from hallops.organisation.models import Hall
from hallops.rules.models import Rule
from hallops.rules.services import hall_evaluate, mode_config_set, rule_create
from tests.factories import Setup

#: idle at 0 waiting, normal from 1, busy from 3 (left below 2), peak from 6 (left below 5); dwell 5 min
SMALL: dict[str, Any] = {
    "format": 1,
    "levels": {
        "normal": {"enter": {"waiting": 1}, "leave": {"waiting": 1}},
        "busy": {"enter": {"waiting": 3}, "leave": {"waiting": 2}},
        "peak": {"enter": {"waiting": 6}, "leave": {"waiting": 5}},
    },
    "min_dwell_minutes": 5,
}
BUSY = {"type": "mode", "modes": ["busy", "peak"]}
PEAK = {"type": "mode", "modes": ["peak"]}


def configure(hall: Hall, **changes: Any) -> None:
    config = copy.deepcopy(SMALL)
    config.update(changes)
    mode_config_set(hall=hall, config=config)


def add_rule(hall: Hall, name: str, *actions: dict[str, Any], conditions: list[dict[str, Any]] | None = None) -> Rule:
    definition = {"format": 1, "conditions": conditions if conditions is not None else [BUSY], "actions": list(actions)}
    return rule_create(hall=hall, name=name, definition=definition)


def issue(setup: Setup, n: int, code: str = "value_added", phone: str = "") -> list[Ticket]:
    return [
        hall_services.ticket_issue(
            actor=setup.actor("greeter"), hall=setup.hall, service_code=code, channel="greeter", phone=phone
        ).ticket
        for _ in range(n)
    ]


def cancel_all(setup: Setup) -> None:
    for t in Ticket.objects.filter(hall=setup.hall, status="waiting"):
        hall_services.ticket_cancel(actor=setup.actor("manager"), ticket_id=t.pk)


def evaluate(setup: Setup, minutes: float = 0.0) -> Any:
    return hall_evaluate(hall=setup.hall, at=timezone.now() + dt.timedelta(minutes=minutes))


def process_events(hall: Hall) -> list[HallEvent]:
    return list(HallEvent.objects.filter(hall=hall, kind="process.changed").order_by("seq"))
