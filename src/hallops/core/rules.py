"""The hall's process rules: a typed, versioned condition → action format, and its pure evaluation.

A rule is data (a JSON object with ``"format": 1``), not code::

    {"format": 1,
     "conditions": [{"type": "mode", "modes": ["busy", "peak"]},
                    {"type": "queue_length", "per": "service", "op": ">=", "value": 3}],
     "actions": [{"type": "block_upselling"}]}

A rule fires when **all** its conditions hold (no conditions: always). Conditions:

- ``mode`` (``modes``): the hall's current mode (``core.modes``) is one of them;
- ``schedule`` (``windows``): hall-local time is inside one of the windows (weekdays and/or day kinds of the
  working calendar, ``start``–``end``);
- ``zone`` (``zones``) and ``services`` (``services``) set the rule's *scope*: the business types served by
  the counters of those zones, and/or the listed business types; the counters of those zones (serving a type
  in scope). Each holds when its scope is not empty. Without them the scope is the whole hall;
- ``queue_length`` (``op``, ``value``, ``per``: ``hall`` or ``service``): people waiting for the types in
  scope, summed (``hall``), or in at least one single line (``service``, seed 003's "单列排队 3 人以上");
- ``estimated_wait`` (``op``, ``minutes``): the longest estimated wait of a new ticket among the types in
  scope (unknown estimates, when no open counter serves a type, are left out; none known counts as 0);
- ``open_counters`` (``op``, ``value``): open counters in scope.

``op`` is one of ``>=``, ``>``, ``<=``, ``<``, ``==``. Actions:

- ``enable_preacceptance`` (``services``): pre-acceptance is offered for them;
- ``alert_open_counters`` (``count``: a number, or null for "from staffing", ``service_level`` optional,
  default 0.8): alert the manager to open ``count`` more counters; with null the number is what the staffing
  model (``core.queueing``, Erlang C over the last hour's arrivals and the recent handling time, for the
  hall's waiting-time target) needs beyond the counters open now;
- ``block_upselling`` (``services`` optional): counters (serving one of ``services``, or all) show "no
  upselling now";
- ``force_self_service`` (``services``): tickets for them are diverted to self-service (like the catalog's
  forced self-service);
- ``announce_progress`` (``template_zh``, ``template_en``): a line on the hall display, with ``{waiting}``,
  ``{minutes}`` and ``{open_counters}`` filled in from the hall's live figures;
- ``notify_near_turn`` (``places_ahead``): customers who left a phone number get one SMS when at most that
  many people are ahead of them.

``evaluate`` returns the firings, each with the state that caused it; ``effects_from`` merges the actions of
the firings into the hall's ``Effects``. Everything here is pure: no clock, no database.
"""

from __future__ import annotations

import datetime as dt
import math
import string
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from hallops.core.calendar import WorkingCalendar
from hallops.core.modes import (
    FORMAT,
    Mode,
    RuleError,
    TimeWindow,
    check_format,
    number,
    obj,
    parse_window,
    text_list,
    whole,
)
from hallops.core.queueing import Load, QueueingError, Targets, staffing

__all__ = [
    "ACTION_TYPES",
    "CONDITION_TYPES",
    "FORMAT",
    "OPS",
    "PROGRESS_FIELDS",
    "CounterInfo",
    "Effects",
    "Firing",
    "HallState",
    "Line",
    "OpenCountersRequest",
    "Rule",
    "RuleError",
    "effects_from",
    "evaluate",
    "parse_rule",
    "render_progress",
]

Op = Literal[">=", ">", "<=", "<", "=="]
OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    "==": lambda a, b: a == b,
}
CONDITION_TYPES = ("mode", "schedule", "zone", "services", "queue_length", "estimated_wait", "open_counters")
ACTION_TYPES = (
    "enable_preacceptance",
    "alert_open_counters",
    "block_upselling",
    "force_self_service",
    "announce_progress",
    "notify_near_turn",
)
PROGRESS_FIELDS = ("waiting", "minutes", "open_counters")
MAX_RULE_ITEMS = 20
MAX_TEMPLATE = 200
MAX_PLACES_AHEAD = 50


# ------------------------------------------------------------------------------------------------- the format


@dataclass(frozen=True, slots=True)
class Condition:
    type: str
    modes: frozenset[Mode] = frozenset()
    windows: tuple[TimeWindow, ...] = ()
    zones: frozenset[str] = frozenset()
    services: frozenset[str] = frozenset()
    op: str = ">="
    value: float = 0.0
    per: str = "hall"


@dataclass(frozen=True, slots=True)
class Action:
    type: str
    services: tuple[str, ...] = ()
    count: int | None = None
    service_level: float = 0.8
    template_zh: str = ""
    template_en: str = ""
    places_ahead: int = 0


@dataclass(frozen=True, slots=True)
class Rule:
    conditions: tuple[Condition, ...]
    actions: tuple[Action, ...]
    #: the caller's reference (e.g. a stored rule version's id); not part of the format
    ref: int | str | None = None
    #: the parsed source, normalised (what ``to_json`` returns)
    source: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.source)


def _op(d: Mapping[str, Any], path: str) -> str:
    op = d["op"]
    if op not in OPS:
        raise RuleError(f"{path}.op", f"must be one of {', '.join(OPS)}")
    return str(op)


def _known(values: tuple[str, ...], path: str, known: Iterable[str] | None, what: str) -> tuple[str, ...]:
    if known is None:
        return values
    known_set = set(known)
    for i, v in enumerate(values):
        if v not in known_set:
            raise RuleError(f"{path}[{i}]", f"unknown {what} {v!r}")
    return values


def _condition(
    data: Any, path: str, services: Iterable[str] | None, zones: Iterable[str] | None
) -> tuple[Condition, dict[str, Any]]:
    if not isinstance(data, Mapping):
        raise RuleError(path, "must be an object")
    kind = data.get("type")
    if kind not in CONDITION_TYPES:
        raise RuleError(f"{path}.type", f"must be one of {', '.join(CONDITION_TYPES)}")
    if kind == "mode":
        d = obj(data, path, required=("type", "modes"))
        modes = text_list(d["modes"], f"{path}.modes", choices=[m.value for m in Mode])
        return Condition(kind, modes=frozenset(Mode(m) for m in modes)), {"type": kind, "modes": list(modes)}
    if kind == "schedule":
        d = obj(data, path, required=("type", "windows"))
        raw = d["windows"]
        if not isinstance(raw, list) or not raw:
            raise RuleError(f"{path}.windows", "must be a non-empty list")
        windows = tuple(parse_window(w, f"{path}.windows[{i}]") for i, w in enumerate(raw))
        return Condition(kind, windows=windows), {"type": kind, "windows": [w.to_json() for w in windows]}
    if kind == "zone":
        d = obj(data, path, required=("type", "zones"))
        names = _known(text_list(d["zones"], f"{path}.zones"), f"{path}.zones", zones, "zone")
        return Condition(kind, zones=frozenset(names)), {"type": kind, "zones": list(names)}
    if kind == "services":
        d = obj(data, path, required=("type", "services"))
        codes = _known(text_list(d["services"], f"{path}.services"), f"{path}.services", services, "business type")
        return Condition(kind, services=frozenset(codes)), {"type": kind, "services": list(codes)}
    if kind == "queue_length":
        d = obj(data, path, required=("type", "op", "value"), optional=("per",))
        op = _op(d, path)
        value = whole(d["value"], f"{path}.value", maximum=100_000)
        per = d.get("per", "hall")
        if per not in ("hall", "service"):
            raise RuleError(f"{path}.per", "must be hall or service")
        return Condition(kind, op=op, value=value, per=per), {"type": kind, "op": op, "value": value, "per": per}
    if kind == "estimated_wait":
        d = obj(data, path, required=("type", "op", "minutes"))
        op = _op(d, path)
        minutes = number(d["minutes"], f"{path}.minutes", maximum=24 * 60)
        return Condition(kind, op=op, value=minutes), {"type": kind, "op": op, "minutes": d["minutes"]}
    d = obj(data, path, required=("type", "op", "value"))
    op = _op(d, path)
    value = whole(d["value"], f"{path}.value", maximum=10_000)
    return Condition(kind, op=op, value=value), {"type": kind, "op": op, "value": value}


def _template(data: Any, path: str) -> str:
    if not isinstance(data, str) or not data.strip():
        raise RuleError(path, "must be a non-empty text")
    if len(data) > MAX_TEMPLATE:
        raise RuleError(path, f"must be at most {MAX_TEMPLATE} characters")
    try:
        parts = list(string.Formatter().parse(data))
    except ValueError as exc:
        raise RuleError(path, f"bad placeholder: {exc}") from None
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in PROGRESS_FIELDS or spec or conversion:
            raise RuleError(path, f"unknown placeholder {{{name}}} (use {{waiting}}, {{minutes}}, {{open_counters}})")
    return data


def _action(
    data: Any, path: str, services: Iterable[str] | None, preacceptance: Iterable[str] | None
) -> tuple[Action, dict[str, Any]]:
    if not isinstance(data, Mapping):
        raise RuleError(path, "must be an object")
    kind = data.get("type")
    if kind not in ACTION_TYPES:
        raise RuleError(f"{path}.type", f"must be one of {', '.join(ACTION_TYPES)}")
    if kind in ("enable_preacceptance", "force_self_service"):
        d = obj(data, path, required=("type", "services"))
        codes = _known(text_list(d["services"], f"{path}.services"), f"{path}.services", services, "business type")
        if kind == "enable_preacceptance":
            codes = _known(codes, f"{path}.services", preacceptance, "pre-acceptance-capable business type")
        return Action(kind, services=codes), {"type": kind, "services": list(codes)}
    if kind == "block_upselling":
        d = obj(data, path, required=("type",), optional=("services",))
        only: tuple[str, ...] = ()
        if "services" in d:
            only = _known(text_list(d["services"], f"{path}.services"), f"{path}.services", services, "business type")
        out: dict[str, Any] = {"type": kind}
        if only:
            out["services"] = list(only)
        return Action(kind, services=only), out
    if kind == "alert_open_counters":
        d = obj(data, path, required=("type", "count"), optional=("service_level",))
        count = None if d["count"] is None else whole(d["count"], f"{path}.count", minimum=1, maximum=100)
        level = 0.8
        if "service_level" in d:
            level = number(d["service_level"], f"{path}.service_level", minimum=0.01, maximum=0.99)
        out = {"type": kind, "count": count}
        if "service_level" in d:
            out["service_level"] = level
        return Action(kind, count=count, service_level=level), out
    if kind == "announce_progress":
        d = obj(data, path, required=("type", "template_zh", "template_en"))
        zh = _template(d["template_zh"], f"{path}.template_zh")
        en = _template(d["template_en"], f"{path}.template_en")
        return Action(kind, template_zh=zh, template_en=en), {"type": kind, "template_zh": zh, "template_en": en}
    d = obj(data, path, required=("type", "places_ahead"))
    places = whole(d["places_ahead"], f"{path}.places_ahead", minimum=1, maximum=MAX_PLACES_AHEAD)
    return Action(kind, places_ahead=places), {"type": kind, "places_ahead": places}


def parse_rule(
    data: Any,
    *,
    ref: int | str | None = None,
    services: Iterable[str] | None = None,
    preacceptance_services: Iterable[str] | None = None,
    zones: Iterable[str] | None = None,
) -> Rule:
    """Parse and validate a rule. ``services``/``zones``: the known business type codes and zones (checked
    when given); ``preacceptance_services``: those pre-acceptance can be switched on for. Raises ``RuleError``
    naming the field (``conditions[1].minutes``)."""
    d = obj(data, "", required=("format", "actions"), optional=("conditions",))
    check_format(d)
    known_services = None if services is None else tuple(services)
    raw_conditions = d.get("conditions", [])
    if not isinstance(raw_conditions, list):
        raise RuleError("conditions", "must be a list")
    if len(raw_conditions) > MAX_RULE_ITEMS:
        raise RuleError("conditions", f"at most {MAX_RULE_ITEMS} conditions")
    raw_actions = d["actions"]
    if not isinstance(raw_actions, list) or not raw_actions:
        raise RuleError("actions", "must be a non-empty list")
    if len(raw_actions) > MAX_RULE_ITEMS:
        raise RuleError("actions", f"at most {MAX_RULE_ITEMS} actions")
    conditions, cond_json = [], []
    for i, c in enumerate(raw_conditions):
        parsed, js = _condition(c, f"conditions[{i}]", known_services, zones)
        conditions.append(parsed)
        cond_json.append(js)
    for kind in ("zone", "services"):
        if sum(1 for c in conditions if c.type == kind) > 1:
            index = [i for i, c in enumerate(conditions) if c.type == kind][1]
            raise RuleError(f"conditions[{index}].type", f"only one {kind} condition per rule")
    actions, act_json = [], []
    seen: set[str] = set()
    for i, a in enumerate(raw_actions):
        parsed_action, js = _action(a, f"actions[{i}]", known_services, preacceptance_services)
        if parsed_action.type in seen:
            raise RuleError(f"actions[{i}].type", f"{parsed_action.type} is already an action of this rule")
        seen.add(parsed_action.type)
        actions.append(parsed_action)
        act_json.append(js)
    source = {"format": FORMAT, "conditions": cond_json, "actions": act_json}
    return Rule(conditions=tuple(conditions), actions=tuple(actions), ref=ref, source=source)


# ---------------------------------------------------------------------------------------------- live state


@dataclass(frozen=True, slots=True)
class Line:
    """One business type's queue: how many wait, and the estimated wait of a ticket issued now."""

    service: str
    waiting: int
    estimated_wait_seconds: float | None


@dataclass(frozen=True, slots=True)
class CounterInfo:
    number: int
    zone: str
    open: bool
    services: frozenset[str]


@dataclass(frozen=True, slots=True)
class HallState:
    """What the rules see: the mode just decided, the queue lines, the counters, recent traffic."""

    mode: Mode
    lines: tuple[Line, ...]
    counters: tuple[CounterInfo, ...]
    target_wait_seconds: float = 600.0
    #: tickets issued in the last hour (the arrival rate for staffing)
    arrivals_per_hour: float = 0.0
    #: mean handling time of recent transactions, seconds; None when unknown
    handling_seconds: float | None = None

    @property
    def waiting(self) -> int:
        return sum(line.waiting for line in self.lines)

    @property
    def open_counters(self) -> int:
        return sum(1 for c in self.counters if c.open)

    def progress_minutes(self) -> int | None:
        """The display's progress figure: the longest estimate among the types people wait for, whole minutes
        rounded up (at least 1); 0 when nobody waits; None when no estimate is known."""
        if not self.waiting:
            return 0
        known = [ln.estimated_wait_seconds for ln in self.lines if ln.waiting and ln.estimated_wait_seconds is not None]
        return max(1, math.ceil(max(known) / 60)) if known else None


@dataclass(frozen=True, slots=True)
class _Scope:
    lines: tuple[Line, ...]
    counters: tuple[CounterInfo, ...]
    zones: frozenset[str] | None
    services: frozenset[str] | None


def _scope(rule: Rule, state: HallState) -> _Scope:
    zones = next((c.zones for c in rule.conditions if c.type == "zone"), None)
    wanted = next((c.services for c in rule.conditions if c.type == "services"), None)
    counters = state.counters
    served: set[str] | None = None
    if zones is not None:
        counters = tuple(c for c in counters if c.zone in zones)
        served = {s for c in counters for s in c.services}
    lines = tuple(
        ln
        for ln in state.lines
        if (served is None or ln.service in served) and (wanted is None or ln.service in wanted)
    )
    if wanted is not None:
        counters = tuple(c for c in counters if c.services & wanted)
    return _Scope(lines=lines, counters=counters, zones=zones, services=wanted)


def _scope_wait(scope: _Scope) -> float:
    known = [ln.estimated_wait_seconds for ln in scope.lines if ln.estimated_wait_seconds is not None]
    return max(known) if known else 0.0


@dataclass(frozen=True, slots=True)
class Firing:
    """A rule that holds now, with the state that made it hold (JSON-serialisable ``cause``)."""

    index: int
    rule: Rule
    cause: Mapping[str, Any]

    @property
    def ref(self) -> int | str | None:
        return self.rule.ref


def _holds(cond: Condition, state: HallState, scope: _Scope, local: dt.datetime, cal: WorkingCalendar) -> bool:
    kind = cond.type
    if kind == "mode":
        return state.mode in cond.modes
    if kind == "schedule":
        return any(w.matches(local, cal) for w in cond.windows)
    if kind == "zone":
        return bool(scope.counters) or bool(scope.lines)
    if kind == "services":
        return bool(scope.lines)
    compare = OPS[cond.op]
    if kind == "queue_length":
        if cond.per == "service":
            return any(compare(ln.waiting, cond.value) for ln in scope.lines)
        return compare(sum(ln.waiting for ln in scope.lines), cond.value)
    if kind == "estimated_wait":
        return compare(_scope_wait(scope) / 60.0, cond.value)
    return compare(sum(1 for c in scope.counters if c.open), cond.value)


def _cause(rule: Rule, state: HallState, scope: _Scope, local: dt.datetime, cal: WorkingCalendar) -> dict[str, Any]:
    cause: dict[str, Any] = {
        "mode": state.mode.value,
        "local_time": local.replace(tzinfo=None).isoformat(timespec="minutes"),
        "day_kind": cal.day_kind(local.date()).value,
        "waiting": sum(ln.waiting for ln in scope.lines),
        "estimated_wait_seconds": round(_scope_wait(scope), 1),
        "open_counters": sum(1 for c in scope.counters if c.open),
    }
    if scope.zones is not None:
        cause["zones"] = sorted(scope.zones)
    if scope.services is not None or scope.zones is not None:
        cause["services"] = sorted(ln.service for ln in scope.lines)
    per_service = [c for c in rule.conditions if c.type == "queue_length" and c.per == "service"]
    if per_service:
        cause["lines"] = {
            ln.service: ln.waiting for ln in scope.lines if all(OPS[c.op](ln.waiting, c.value) for c in per_service)
        }
    return cause


def evaluate(
    rules: Sequence[Rule], state: HallState, now_local: dt.datetime, calendar: WorkingCalendar
) -> list[Firing]:
    """The rules that hold in ``state`` at hall-local ``now_local``, in the given order, each with its cause."""
    firings = []
    for index, rule in enumerate(rules):
        scope = _scope(rule, state)
        if all(_holds(c, state, scope, now_local, calendar) for c in rule.conditions):
            firings.append(Firing(index=index, rule=rule, cause=_cause(rule, state, scope, now_local, calendar)))
    return firings


# ---------------------------------------------------------------------------------------------------- effects


@dataclass(frozen=True, slots=True)
class OpenCountersRequest:
    """Ask the manager to open ``more`` counters (None: how many is unknown), ``needed`` in all."""

    more: int | None
    needed: int | None
    open: int
    basis: str  # "rule" (a fixed count) or "staffing"

    def to_json(self) -> dict[str, Any]:
        return {"more": self.more, "needed": self.needed, "open": self.open, "basis": self.basis}


@dataclass(frozen=True, slots=True)
class Effects:
    """What the rules have switched on in a hall now; the one thing screens and services read.

    ``managed``: the hall's process is run by the rules engine; when false (no configuration) every screen
    behaves as without rules (pre-acceptance offered for every pre-acceptance-capable type)."""

    managed: bool = False
    mode: Mode = Mode.NORMAL
    preacceptance: frozenset[str] = frozenset()
    self_service: frozenset[str] = frozenset()
    upselling_blocked: bool = False
    #: with ``upselling_blocked``: only counters serving one of these (empty: every counter)
    upselling_services: frozenset[str] = frozenset()
    progress_zh: str = ""
    progress_en: str = ""
    open_counters: OpenCountersRequest | None = None
    near_turn_places: int | None = None

    def forces_self_service(self, code: str) -> bool:
        return code in self.self_service

    def offers_preacceptance(self, code: str, capable: bool) -> bool:
        """Pre-acceptance is offered for a capable type: always in an unmanaged hall, else when switched on."""
        return capable and (not self.managed or code in self.preacceptance)

    def blocks_upselling(self, counter_services: Iterable[str]) -> bool:
        if not self.upselling_blocked:
            return False
        return not self.upselling_services or bool(self.upselling_services & set(counter_services))

    def progress_lines(self, waiting: int, minutes: int | None, open_counters: int) -> list[str]:
        """The announcement, Chinese then English, with the live figures (none while nobody waits or the wait
        is unknown)."""
        if not self.progress_zh or not waiting or minutes is None:
            return []
        lines = [render_progress(self.progress_zh, waiting, minutes, open_counters)]
        if self.progress_en:
            lines.append(render_progress(self.progress_en, waiting, minutes, open_counters))
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "managed": self.managed,
            "mode": self.mode.value,
            "preacceptance": sorted(self.preacceptance),
            "self_service": sorted(self.self_service),
            "upselling_blocked": self.upselling_blocked,
            "upselling_services": sorted(self.upselling_services),
            "progress_zh": self.progress_zh,
            "progress_en": self.progress_en,
            "open_counters": self.open_counters.to_json() if self.open_counters else None,
            "near_turn_places": self.near_turn_places,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Effects:
        oc = data.get("open_counters")
        return cls(
            managed=bool(data.get("managed", False)),
            mode=Mode(data.get("mode", Mode.NORMAL.value)),
            preacceptance=frozenset(data.get("preacceptance", ())),
            self_service=frozenset(data.get("self_service", ())),
            upselling_blocked=bool(data.get("upselling_blocked", False)),
            upselling_services=frozenset(data.get("upselling_services", ())),
            progress_zh=str(data.get("progress_zh", "")),
            progress_en=str(data.get("progress_en", "")),
            open_counters=OpenCountersRequest(oc["more"], oc["needed"], oc["open"], oc["basis"]) if oc else None,
            near_turn_places=data.get("near_turn_places"),
        )


def render_progress(template: str, waiting: int, minutes: int, open_counters: int) -> str:
    """``"{waiting} 人等候，约 {minutes} 分钟"`` → ``"12 人等候，约 15 分钟"`` (templates are validated on parse)."""
    return template.format(waiting=waiting, minutes=minutes, open_counters=open_counters)


def staffing_needed(state: HallState, service_level: float) -> int | None:
    """Counters the staffing model needs for the last hour's arrivals and the recent handling time (Erlang C),
    to answer ``service_level`` of arrivals within the hall's target; None when it cannot say."""
    if state.handling_seconds is None or state.handling_seconds <= 0:
        return None
    try:
        perf = staffing(
            Load(arrival_rate=state.arrivals_per_hour / 3600.0, service_time=state.handling_seconds),
            Targets(target_wait=state.target_wait_seconds, service_level=service_level),
            max_servers=1000,
        )
    except QueueingError:
        return None
    return perf.servers


def effects_from(firings: Sequence[Firing], state: HallState, *, managed: bool = True) -> Effects:
    """Merge the firings' actions: union of service sets, the first progress announcement (rule order), the
    largest open-counter request and the widest near-turn notice."""
    eff = Effects(managed=managed, mode=state.mode)
    pre: set[str] = set()
    forced: set[str] = set()
    upsell_services: set[str] = set()
    upsell_all = False
    request: OpenCountersRequest | None = None
    for firing in firings:
        for action in firing.rule.actions:
            if action.type == "enable_preacceptance":
                pre.update(action.services)
            elif action.type == "force_self_service":
                forced.update(action.services)
            elif action.type == "block_upselling":
                eff = replace(eff, upselling_blocked=True)
                if action.services:
                    upsell_services.update(action.services)
                else:
                    upsell_all = True
            elif action.type == "announce_progress":
                if not eff.progress_zh:
                    eff = replace(eff, progress_zh=action.template_zh, progress_en=action.template_en)
            elif action.type == "notify_near_turn":
                eff = replace(eff, near_turn_places=max(eff.near_turn_places or 0, action.places_ahead))
            elif action.type == "alert_open_counters":
                request = _bigger(request, _request(action, state))
    if request is not None and request.more == 0:
        request = None
    return replace(
        eff,
        preacceptance=frozenset(pre),
        self_service=frozenset(forced),
        upselling_services=frozenset() if upsell_all else frozenset(upsell_services),
        open_counters=request,
    )


def _request(action: Action, state: HallState) -> OpenCountersRequest:
    open_now = state.open_counters
    if action.count is not None:
        return OpenCountersRequest(more=action.count, needed=open_now + action.count, open=open_now, basis="rule")
    needed = staffing_needed(state, action.service_level)
    more = None if needed is None else max(0, needed - open_now)
    return OpenCountersRequest(more=more, needed=needed, open=open_now, basis="staffing")


def _bigger(a: OpenCountersRequest | None, b: OpenCountersRequest) -> OpenCountersRequest:
    if a is None:
        return b
    if a.more is None:
        return b if b.more is not None else a
    if b.more is None:
        return a
    return b if b.more > a.more else a
