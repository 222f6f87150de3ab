"""Small scenario documents for the hall simulator's tests (tests/core/test_sim_hall*.py)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hallops.core.sim.scenario import Scenario, parse_scenario

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"

_BASE: dict[str, Any] = {
    "format": 1,
    "hall": "t01",
    "day": "2026-03-09",
    "timezone": "Asia/Shanghai",
    "opens": "09:00",
    "closes": "11:00",
    "replications": 4,
    "seed": 7,
    "business_types": [
        {
            "code": "simple",
            "prefix": "B",
            "limit_minutes": 3,
            "kiosk": True,
            "arrivals": {"per_half_hour": [10, 20, 20, 10]},
            "service": {"mean_minutes": 2.5, "cv": 0.4, "communication_share": 0.4},
            "routing": {"kiosk": 0.5},
            "self_service": {"mean_minutes": 2, "cv": 0.5, "counter_share": 0.2},
        },
        {
            "code": "complex",
            "prefix": "A",
            "limit_minutes": 8,
            "complex": True,
            "pre_acceptance": True,
            "arrivals": {"daily": 30, "profile": [1, 2, 2, 1]},
            "service": {"mean_minutes": 6, "cv": 0.4, "communication_share": 0.6},
            "routing": {"preacceptance": 0.8},
            "preparation": {"mean_minutes": 3, "cv": 0.3},
        },
        {
            "code": "payment",
            "prefix": "D",
            "limit_minutes": 3,
            "kiosk": True,
            "forced_self_service": True,
            "arrivals": {"per_half_hour": [8, 8, 8, 8]},
            "service": {"mean_minutes": 2, "cv": 0.3},
            "self_service": {"mean_minutes": 1.5},
        },
    ],
    "counters": [
        {"number": 1, "skills": "all"},
        {"number": 2, "skills": "all", "open": [{"start": "09:30", "end": "11:00"}]},
        {"number": 3, "zone": "fast", "skills": ["simple"]},
    ],
    "walk_seconds": 15,
    "patience": {"distribution": "exponential", "mean_minutes": 20},
    "priorities": {"elderly": 0.1, "appointment": 0.05, "vip": 0.1},
    "preacceptance": {"clerks": 1, "communication_factor": 0.5},
    "self_service": {"assistants": 1, "help_share": 0.3, "help_patience": {"mean_minutes": 3}},
    "quote_waits": True,
}


def base_doc() -> dict[str, Any]:
    """A two-hour hall: a kiosk-capable simple type, a pre-acceptance-capable complex type, a forced type."""
    return copy.deepcopy(_BASE)


def scenario(**overrides: Any) -> Scenario:
    doc = base_doc()
    doc.update(overrides)
    return parse_scenario(doc)
