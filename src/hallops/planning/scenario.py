"""A hall's day as a scenario document of the four-zone simulator (``core/sim/scenario.py``, docs/simulation.md).

Everything here is plain data in, a JSON-ready document out (no database): ``services.plan_for_day`` reads the
hall, its forecast and its measured figures, and this module writes them down in the simulator's format, with
the documented defaults for what a hall's records do not measure. The document is stored with the plan, so
that the plan's day can be simulated again (``hallops simulate hall`` on it, or the what-if page), and
:func:`apply_changes` is how the what-if page changes it.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hallops.core.modes import RuleError, parse_mode_config
from hallops.core.rules import parse_rule
from hallops.core.sim.scenario import FORMAT, Variant
from hallops.planning.selectors import CatalogType, CounterRow, HallFigures

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES

# Defaults for what a hall's visit records do not measure (docs/planning.md, "Plans from the database").
#: a counter service time without history: this share of the business type's limit
DEFAULT_SERVICE_SHARE_OF_LIMIT = 0.8
DEFAULT_SERVICE_CV = 0.5
DEFAULT_COMMUNICATION_SHARE = 0.5
DEFAULT_WALK_SECONDS = 20.0
DEFAULT_NO_SHOW_SHARE = 0.03
DEFAULT_PATIENCE_MINUTES = 35.0
DEFAULT_COMMUNICATION_FACTOR = 0.5
#: the kiosk's self-service time, and the share of kiosk customers who still need a counter afterwards
SELF_SERVICE = {"mean_minutes": 3.0, "cv": 0.5, "counter_share": 0.1}
#: a pre-acceptance clerk's time to prepare a pre-order
PREPARATION = {"mean_minutes": 4.0, "cv": 0.4}
#: the share of kiosk customers who need an assistant, and how long they wait for one
HELP_SHARE = 0.3
HELP_PATIENCE = {"mean_minutes": 4.0, "cv": 0.5}
#: the simulated rules engine runs this often (the live one every minute; 5 is close and 5× cheaper)
RULES_EVERY_MINUTES = 5
#: half hours with fewer expected arrivals than this are outside a round-the-clock hall's simulated day
MIN_SLOT_ARRIVALS = 0.05


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _clamp(value: float, low: float, high: float) -> float:
    return min(high, max(low, value))


@dataclass(frozen=True, slots=True)
class DayWindow:
    """The simulated day: ``slots`` half hours from ``opens`` (minutes past midnight, on a half hour)."""

    opens: int
    slots: int

    @property
    def first_slot(self) -> int:
        return self.opens // SLOT_MINUTES

    @property
    def closes(self) -> int:
        return self.opens + self.slots * SLOT_MINUTES

    def labels(self) -> list[str]:
        return [clock(self.opens + j * SLOT_MINUTES) for j in range(self.slots)]

    def cut(self, values: Sequence[float]) -> list[float]:
        """The window's half hours of 48 values of a day."""
        return list(values[self.first_slot : self.first_slot + self.slots])


def day_window(*, open_24h: bool, opens_at: dt.time, closes_at: dt.time, arrivals: Sequence[float]) -> DayWindow | None:
    """The opening hours (widened to whole half hours), or for a hall open around the clock the half hours
    from the first to the last with at least ``MIN_SLOT_ARRIVALS`` expected arrivals; None when nothing is
    expected."""
    if not open_24h:
        opens = (opens_at.hour * 60 + opens_at.minute) // SLOT_MINUTES * SLOT_MINUTES
        end = closes_at.hour * 60 + closes_at.minute
        closes = -(-end // SLOT_MINUTES) * SLOT_MINUTES if end else 24 * 60
        if closes > opens:
            return DayWindow(opens=opens, slots=(closes - opens) // SLOT_MINUTES)
    busy = [t for t, value in enumerate(arrivals) if value >= MIN_SLOT_ARRIVALS]
    if not busy:
        return None
    return DayWindow(opens=busy[0] * SLOT_MINUTES, slots=busy[-1] - busy[0] + 1)


@dataclass(frozen=True, slots=True)
class Staffing:
    """Heads per half hour of the window: counters open (the first n in the document's order), clerks and
    assistants."""

    counters: tuple[int, ...]
    clerks: tuple[int, ...]
    assistants: tuple[int, ...]


def _open_lists(count: int, counters: Sequence[int]) -> list[list[int]]:
    return [[1 if index < n else 0 for n in counters] for index in range(count)]


def _type_document(t: CatalogType, arrivals: list[float], figures: HallFigures) -> dict[str, Any]:
    f = figures.services.get(t.code)
    mean = (
        f.service_mean / 60.0 if f is not None and f.service_mean else t.limit_minutes * DEFAULT_SERVICE_SHARE_OF_LIMIT
    )
    cv = f.service_cv if f is not None and f.service_cv is not None else DEFAULT_SERVICE_CV
    share = (
        f.communication_share if f is not None and f.communication_share is not None else DEFAULT_COMMUNICATION_SHARE
    )
    doc: dict[str, Any] = {
        "code": t.code,
        "prefix": t.prefix,
        "limit_minutes": t.limit_minutes,
        "complex": t.complex,
        "kiosk": t.kiosk,
        "forced_self_service": t.forced,
        "pre_acceptance": t.pre_acceptance,
        "arrivals": {"per_half_hour": arrivals},
        "service": {
            "mean_minutes": _clamp(mean, 0.1, 240.0),
            "cv": _clamp(cv, 0.05, 3.0),
            "communication_share": _clamp(share, 0.05, 0.95),
        },
    }
    kiosk = 0.0
    if t.kiosk and not t.forced and f is not None and f.diverted_share is not None:
        kiosk = _clamp(f.diverted_share, 0.0, 0.95)
    pre = 0.0
    if t.pre_acceptance and f is not None and f.pre_order_share is not None:
        pre = _clamp(f.pre_order_share, 0.0, 1.0 - kiosk)
    routing: dict[str, float] = {}
    if t.kiosk:
        routing["kiosk"] = kiosk
    if t.pre_acceptance:
        routing["preacceptance"] = pre
    if routing:
        doc["routing"] = routing
    if t.kiosk or t.forced:
        doc["self_service"] = dict(SELF_SERVICE)
    if t.pre_acceptance:
        doc["preparation"] = dict(PREPARATION)
    return doc


def _skills(counter: CounterRow, served_codes: set[str], codes: Sequence[str]) -> str | list[str]:
    mine = [c for c in codes if c in counter.services]
    return "all" if served_codes <= set(mine) else mine


def scenario_document(
    *,
    hall_code: str,
    name: str,
    day: dt.date,
    timezone: str,
    window: DayWindow,
    types: Sequence[CatalogType],
    arrivals: Mapping[str, Sequence[float]],
    counters: Sequence[CounterRow],
    figures: HallFigures,
    wait_target_minutes: float,
    no_show_policy: str,
    no_show_places: int,
    rules: Sequence[Mapping[str, Any]] = (),
    modes: Mapping[str, Any] | None = None,
    staffing: Staffing | None = None,
    replications: int = 10,
    seed: int = 1,
) -> tuple[dict[str, Any], list[str]]:
    """The hall's day as a scenario document, and notes on what was left out (rules that do not fit it).

    ``arrivals``: 48 expected arrivals per business type (types not given expect none); ``staffing``: heads
    per half hour of the window (default: every counter open, one clerk and one assistant all day).
    """
    notes: list[str] = []
    codes = [t.code for t in types]
    type_docs = [_type_document(t, window.cut(arrivals.get(t.code, [0.0] * SLOTS_PER_DAY)), figures) for t in types]
    # a counter serving every type that reaches counters in the four zones is "all" (so in the single-zone
    # variant it also serves the types otherwise forced to self-service)
    served = {t.code for t in types if not t.forced}
    kept = [c for c in counters if any(s in codes for s in c.services)]
    if staffing is None:
        staffing = Staffing(
            counters=(len(kept),) * window.slots, clerks=(1,) * window.slots, assistants=(1,) * window.slots
        )
    opened = _open_lists(len(kept), staffing.counters)
    counter_docs = [
        {"number": c.number, "zone": c.zone, "skills": _skills(c, served, codes), "open": opened[i]}
        for i, c in enumerate(kept)
    ]
    doc: dict[str, Any] = {
        "format": FORMAT,
        "hall": hall_code,
        "name": name,
        "day": day.isoformat(),
        "timezone": timezone,
        "opens": clock(window.opens),
        "closes": clock(window.closes),
        "variant": Variant.FOUR_ZONES.value,
        "replications": replications,
        "seed": seed,
        "wait_target_minutes": wait_target_minutes,
        "business_types": type_docs,
        "counters": counter_docs,
        "walk_seconds": _clamp(
            figures.walk_seconds if figures.walk_seconds is not None else DEFAULT_WALK_SECONDS, 0, 600
        ),
        "no_show": {
            "share": _clamp(
                figures.no_show_share if figures.no_show_share is not None else DEFAULT_NO_SHOW_SHARE, 0, 0.5
            ),
            "wait_seconds": 60,
            "policy": no_show_policy,
            "places": no_show_places,
        },
        "patience": {
            "distribution": "exponential",
            "mean_minutes": _clamp(figures.patience_minutes or DEFAULT_PATIENCE_MINUTES, 5.0, 600.0),
        },
        "priorities": {
            "elderly": figures.priorities.get("elderly", 0.0),
            "appointment": figures.priorities.get("appointment", 0.0),
            "vip": figures.priorities.get("vip", 0.0),
        },
        "preacceptance": {
            "clerks": list(staffing.clerks),
            "communication_factor": _clamp(figures.communication_factor or DEFAULT_COMMUNICATION_FACTOR, 0.1, 1.0),
        },
        "self_service": {
            "assistants": list(staffing.assistants),
            "help_share": HELP_SHARE,
            "help_patience": dict(HELP_PATIENCE),
        },
        "rules_every_minutes": RULES_EVERY_MINUTES,
        "quote_waits": False,
    }
    zones = sorted({c.zone for c in kept})
    pre_codes = [t.code for t in types if t.pre_acceptance]
    good_rules = []
    for i, rule in enumerate(rules):
        try:
            parse_rule(rule, ref=i, services=codes, preacceptance_services=pre_codes, zones=zones)
        except (RuleError, ValueError) as exc:
            notes.append(f"rule {i + 1} left out of the simulation: {exc}")
            continue
        good_rules.append(copy.deepcopy(dict(rule)))
    if good_rules:
        doc["rules"] = good_rules
    if modes is not None:
        try:
            parse_mode_config(modes)
            doc["modes"] = copy.deepcopy(dict(modes))
        except (RuleError, ValueError) as exc:
            notes.append(f"the mode configuration was left out of the simulation: {exc}")
    return doc, notes


# --------------------------------------------------------------------------------------------- what-if


@dataclass(frozen=True, slots=True)
class Baseline:
    """The values of a scenario document that the what-if page lets a manager change."""

    labels: tuple[str, ...]
    counters: tuple[int, ...]
    max_counters: int
    clerks: tuple[int, ...]
    assistants: tuple[int, ...]
    #: arrivals-weighted share of the kiosk-capable (not forced) types' customers sent to the kiosks
    kiosk_share: float | None
    #: business type code -> mean counter service time in minutes (types reaching the counters)
    service_minutes: dict[str, float]


def baseline_of(doc: Mapping[str, Any]) -> Baseline:
    opens_h, opens_m = (int(x) for x in str(doc["opens"]).split(":"))
    opens = opens_h * 60 + opens_m
    slots = len(doc["preacceptance"]["clerks"])
    counters = doc["counters"]
    per_slot = tuple(sum(1 for c in counters if c.get("open", [1] * slots)[j]) for j in range(slots))
    weighted = total = 0.0
    minutes: dict[str, float] = {}
    for t in doc["business_types"]:
        if t.get("forced_self_service"):
            continue
        minutes[t["code"]] = float(t["service"]["mean_minutes"])
        if t.get("kiosk"):
            n = math.fsum(t["arrivals"]["per_half_hour"])
            weighted += n * float(t.get("routing", {}).get("kiosk", 0.0))
            total += n
    return Baseline(
        labels=tuple(clock(opens + j * SLOT_MINUTES) for j in range(slots)),
        counters=per_slot,
        max_counters=len(counters),
        clerks=tuple(int(x) for x in doc["preacceptance"]["clerks"]),
        assistants=tuple(int(x) for x in doc["self_service"]["assistants"]),
        kiosk_share=weighted / total if total > 0 else None,
        service_minutes=minutes,
    )


def apply_changes(
    doc: Mapping[str, Any],
    *,
    counters: Sequence[int] | None = None,
    clerks: Sequence[int] | None = None,
    assistants: Sequence[int] | None = None,
    kiosk_share: float | None = None,
    service_minutes: Mapping[str, float] | None = None,
    variant: Variant | None = None,
    replications: int | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """A copy of ``doc`` with the what-if changes (None: unchanged). ``counters[j]`` opens the first n counters
    in half hour j; ``kiosk_share`` is the greeter's share of every kiosk-capable type sent to the kiosks (the
    pre-acceptance share is lowered if both would exceed 1)."""
    out = copy.deepcopy(dict(doc))
    if counters is not None:
        for c, opened in zip(out["counters"], _open_lists(len(out["counters"]), counters), strict=True):
            c["open"] = opened
            c.pop("on_call", None)
    if clerks is not None:
        out["preacceptance"]["clerks"] = list(clerks)
    if assistants is not None:
        out["self_service"]["assistants"] = list(assistants)
    for t in out["business_types"]:
        if kiosk_share is not None and t.get("kiosk") and not t.get("forced_self_service"):
            routing = t.setdefault("routing", {})
            routing["kiosk"] = kiosk_share
            if "preacceptance" in routing:
                routing["preacceptance"] = min(routing["preacceptance"], 1.0 - kiosk_share)
            t.setdefault("self_service", dict(SELF_SERVICE))
        if service_minutes is not None and t["code"] in service_minutes:
            t["service"]["mean_minutes"] = float(service_minutes[t["code"]])
    if variant is not None:
        out["variant"] = variant.value
    if replications is not None:
        out["replications"] = replications
    if seed is not None:
        out["seed"] = seed
    return out
