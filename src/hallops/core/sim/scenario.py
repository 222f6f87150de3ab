"""The scenario of a simulated hall day: a JSON document (``"format": 1``), parsed and validated here.

The format is documented field by field in ``docs/simulation.md``; ``docs/examples/scenario-<hall>.json`` are
the demo halls' examples. A bad document raises :class:`ScenarioError` whose ``path`` names the field
(``business_types[2].service.cv``), so that the command can print one line and exit 1.

Everything is converted to seconds from the hall's opening (``opens``) and to half-hour *slots*: slot ``j``
covers ``[j·1800, (j+1)·1800)`` seconds after opening. Arrival rates, counter schedules and staff numbers are
piecewise constant per slot. Rules and the busy/idle mode configuration are parsed by the rules core
(:func:`hallops.core.rules.parse_rule`, :func:`hallops.core.modes.parse_mode_config`), so a scenario's rules
are exactly what a hall stores.

Pure: no clock, no files (``load_scenario`` reads one file), no Django.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hallops.core.modes import DEFAULT_CONFIG, ModeConfig, RuleError, parse_mode_config
from hallops.core.policy import NoShowPolicy
from hallops.core.rules import Rule, parse_rule

FORMAT = 1
SLOT_MINUTES = 30
SLOT_SECONDS = SLOT_MINUTES * 60.0

__all__ = [
    "FORMAT",
    "SLOT_SECONDS",
    "BusinessTypeSpec",
    "CounterSpec",
    "Dist",
    "Scenario",
    "ScenarioError",
    "Variant",
    "load_scenario",
    "parse_scenario",
]


class ScenarioError(ValueError):
    """A bad scenario: ``path`` names the field (``counters[3].skills[0]``), ``message`` says why."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class Variant(StrEnum):
    #: seed 000's "after": triage, pre-acceptance, self-service and counters, with the busy/idle rules
    FOUR_ZONES = "four_zones"
    #: seed 000's "before" (独轮驱动): every customer takes a counter ticket; no kiosks, no pre-acceptance,
    #: no forced self-service, no busy/idle rules
    COUNTER_ONLY = "counter_only"


class DistKind(StrEnum):
    LOGNORMAL = "lognormal"
    EXPONENTIAL = "exponential"
    FIXED = "fixed"


@dataclass(frozen=True, slots=True)
class Dist:
    """A duration in seconds: lognormal with ``mean`` and ``cv``, exponential with ``mean``, or fixed."""

    kind: DistKind
    mean: float
    cv: float = 0.0

    @property
    def lognormal_params(self) -> tuple[float, float]:
        """(μ, σ) of the underlying normal: σ² = ln(1 + cv²), μ = ln(mean) − σ²/2."""
        sigma2 = math.log1p(self.cv * self.cv)
        return math.log(self.mean) - sigma2 / 2.0, math.sqrt(sigma2)


@dataclass(frozen=True, slots=True)
class BusinessTypeSpec:
    code: str
    prefix: str
    limit_minutes: float
    complex: bool
    #: kiosk-capable (the greeter may send it to self-service)
    kiosk: bool
    #: forced to self-service by the catalog: never a counter ticket
    forced: bool
    #: pre-acceptance-capable
    pre_acceptance: bool
    #: expected arrivals per slot (Poisson means)
    arrivals: tuple[float, ...]
    #: counter service time (arrival at the counter → done), split into communication and operation
    service: Dist
    communication_share: float
    #: the greeter's routing shares (of the customers of this type): to a kiosk, to pre-acceptance; the rest
    #: takes a counter ticket
    kiosk_share: float = 0.0
    preacceptance_share: float = 0.0
    #: the self-service time at a kiosk, and the share of kiosk customers who still need a counter
    self_service: Dist | None = None
    counter_share: float = 0.0
    #: a pre-acceptance clerk's time to prepare the pre-order
    preparation: Dist | None = None


@dataclass(frozen=True, slots=True)
class CounterSpec:
    number: int
    zone: str
    #: business type codes; None: every type the counter zone handles in the variant
    skills: tuple[str, ...] | None
    #: open per slot (from the schedule)
    open: tuple[bool, ...]
    #: staffed on call: opened when a rule's ``alert_open_counters`` asks
    on_call: bool = False


@dataclass(frozen=True, slots=True)
class PauseSpec:
    counter: int
    #: seconds after opening
    start: float
    seconds: float


@dataclass(frozen=True, slots=True)
class NoShowSpec:
    share: float = 0.0
    wait_seconds: float = 60.0
    policy: NoShowPolicy = NoShowPolicy.PUSH_BACK
    places: int = 3


@dataclass(frozen=True, slots=True)
class PrioritySpec:
    elderly: float = 0.0
    appointment: float = 0.0
    vip: float = 0.0
    #: weights of the VIP star levels 1..5
    vip_stars: tuple[float, float, float, float, float] = (1.0, 1.0, 1.0, 1.0, 1.0)


@dataclass(frozen=True, slots=True)
class OnCallSpec:
    #: minutes from the alert to the counter opening
    response_minutes: float = 5.0
    #: an on-call counter stays open at least this long
    min_open_minutes: float = 30.0


@dataclass(frozen=True, slots=True)
class Scenario:
    hall: str
    name: str
    day: dt.date
    timezone: str
    opens: dt.time
    slots: int
    business_types: tuple[BusinessTypeSpec, ...]
    counters: tuple[CounterSpec, ...]
    variant: Variant = Variant.FOUR_ZONES
    replications: int = 20
    seed: int = 1
    wait_target_seconds: float = 600.0
    pauses: tuple[PauseSpec, ...] = ()
    walk: Dist | None = None
    no_show: NoShowSpec = field(default_factory=NoShowSpec)
    patience: Dist | None = None
    priorities: PrioritySpec = field(default_factory=PrioritySpec)
    #: pre-acceptance clerks on duty per slot, and the factor on communication time of a prepared customer
    clerks: tuple[int, ...] = ()
    communication_factor: float = 1.0
    #: kiosk assistants on duty per slot, the share of kiosk customers who need one, and their patience
    assistants: tuple[int, ...] = ()
    help_share: float = 0.0
    help_patience: Dist | None = None
    #: counters that may upsell do so for this share of customers, adding ``upsell_extra`` to communication
    upsell_share: float = 0.0
    upsell_extra: Dist | None = None
    rules: tuple[Rule, ...] = ()
    modes: ModeConfig | None = None
    rules_every_minutes: float = 1.0
    on_call: OnCallSpec = field(default_factory=OnCallSpec)
    quote_waits: bool = True
    #: seconds per slot: 1800 for a scenario document; longer only for steady-state runs built in code
    slot_seconds: float = SLOT_SECONDS
    #: the document as given (for the result's echo)
    source: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def horizon(self) -> float:
        """Seconds from opening to closing."""
        return self.slots * self.slot_seconds

    @property
    def start(self) -> dt.datetime:
        """The opening, aware in the hall's time zone."""
        return dt.datetime.combine(self.day, self.opens, tzinfo=ZoneInfo(self.timezone))

    def slot_label(self, slot: int) -> str:
        """``09:30`` for the slot starting then (hall-local clock)."""
        at = self.start + dt.timedelta(seconds=slot * self.slot_seconds)
        return at.strftime("%H:%M")

    def with_variant(self, variant: Variant) -> Scenario:
        return replace(self, variant=variant)

    def with_staff(
        self,
        *,
        counters: Sequence[int] | None = None,
        clerks: Sequence[int] | None = None,
        assistants: Sequence[int] | None = None,
    ) -> Scenario:
        """The same day with these numbers per slot: ``counters[j]`` opens the first that many counters in the
        scenario's order (on-call flags dropped), clerks and assistants replace their schedules."""
        out = self
        if counters is not None:
            specs = []
            for index, c in enumerate(self.counters):
                specs.append(replace(c, open=tuple(index < n for n in counters), on_call=False))
            out = replace(out, counters=tuple(specs))
        if clerks is not None:
            out = replace(out, clerks=tuple(clerks))
        if assistants is not None:
            out = replace(out, assistants=tuple(assistants))
        return out


# ------------------------------------------------------------------------------------------------- helpers


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _obj(data: Any, path: str, required: Sequence[str] = (), optional: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ScenarioError(path, "must be an object")
    allowed = set(required) | set(optional)
    for key in data:
        if key not in allowed:
            raise ScenarioError(_path(path, str(key)), "unknown field")
    for key in required:
        if key not in data:
            raise ScenarioError(_path(path, key), "is required")
    return data


def _number(data: Any, path: str, *, minimum: float = 0.0, maximum: float | None = None, strict: bool = False) -> float:
    if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
        raise ScenarioError(path, "must be a number")
    if data < minimum or (strict and data == minimum):
        raise ScenarioError(path, f"must be {'>' if strict else '>='} {minimum:g}")
    if maximum is not None and data > maximum:
        raise ScenarioError(path, f"must be <= {maximum:g}")
    return float(data)


def _whole(data: Any, path: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(data, bool) or not isinstance(data, int):
        raise ScenarioError(path, "must be a whole number")
    if data < minimum:
        raise ScenarioError(path, f"must be >= {minimum}")
    if maximum is not None and data > maximum:
        raise ScenarioError(path, f"must be <= {maximum}")
    return data


def _fraction(data: Any, path: str) -> float:
    return _number(data, path, maximum=1.0)


def _bool(data: Any, path: str) -> bool:
    if not isinstance(data, bool):
        raise ScenarioError(path, "must be true or false")
    return data


def _text(data: Any, path: str, *, max_length: int = 200) -> str:
    if not isinstance(data, str) or not data.strip():
        raise ScenarioError(path, "must be a non-empty text")
    if len(data) > max_length:
        raise ScenarioError(path, f"must be at most {max_length} characters")
    return data


def _clock(data: Any, path: str) -> dt.time | None:
    """``HH:MM`` → time; ``24:00`` → None (the end of the day)."""
    if not isinstance(data, str) or len(data) != 5 or data[2] != ":" or not (data[:2] + data[3:]).isdigit():
        raise ScenarioError(path, "must be a time HH:MM")
    hh, mm = int(data[:2]), int(data[3:])
    if hh == 24 and mm == 0:
        return None
    if hh > 23 or mm > 59:
        raise ScenarioError(path, "must be a time from 00:00 to 24:00")
    return dt.time(hh, mm)


def _minutes_of(data: Any, path: str) -> int:
    clock = _clock(data, path)
    return 24 * 60 if clock is None else clock.hour * 60 + clock.minute


def _dist(data: Any, path: str, *, unit: float = 60.0, allow_zero: bool = False) -> Dist:
    """``{"mean_minutes": m, "cv": c, "distribution": "lognormal"}`` (cv defaults to 0.5)."""
    d = _obj(data, path, required=("mean_minutes",), optional=("cv", "distribution"))
    kind_raw = d.get("distribution", DistKind.LOGNORMAL.value)
    if kind_raw not in [k.value for k in DistKind]:
        raise ScenarioError(_path(path, "distribution"), "must be lognormal, exponential or fixed")
    kind = DistKind(kind_raw)
    mean = _number(d["mean_minutes"], _path(path, "mean_minutes"), strict=not allow_zero, maximum=24 * 60)
    cv = 0.0
    if kind is DistKind.LOGNORMAL:
        cv = _number(d.get("cv", 0.5), _path(path, "cv"), maximum=10.0)
        if mean == 0:
            kind = DistKind.FIXED
    elif "cv" in d:
        if kind is DistKind.EXPONENTIAL and d["cv"] != 1:
            raise ScenarioError(_path(path, "cv"), "an exponential distribution has cv 1 (leave it out)")
        if kind is DistKind.FIXED and d["cv"] != 0:
            raise ScenarioError(_path(path, "cv"), "a fixed duration has cv 0 (leave it out)")
    return Dist(kind=kind, mean=mean * unit, cv=1.0 if kind is DistKind.EXPONENTIAL else cv)


def _per_slot(
    data: Any, path: str, opens: int, slots: int, *, integer: bool, fields: tuple[str, ...] = ("count",)
) -> tuple[float, ...]:
    """A number (all day), a list with one value per slot, or windows ``[{"start", "end", "count"}]``."""
    if isinstance(data, int | float) and not isinstance(data, bool):
        value = _whole(data, path) if integer else _number(data, path)
        return (float(value),) * slots
    if not isinstance(data, list):
        raise ScenarioError(path, "must be a number, a list with one value per half hour, or a list of windows")
    if data and all(isinstance(x, Mapping) for x in data):
        values = [0.0] * slots
        for i, window in enumerate(data):
            where = _path(path, i)
            w = _obj(window, where, required=("start", "end", *fields))
            start = _minutes_of(w["start"], _path(where, "start"))
            end = _minutes_of(w["end"], _path(where, "end"))
            if end <= start:
                raise ScenarioError(_path(where, "end"), "must be after start")
            first, last = (
                _slot_index(start, opens, slots, _path(where, "start")),
                _slot_index(end, opens, slots, _path(where, "end"), end=True),
            )
            count = 1.0
            if fields:
                raw = w[fields[0]]
                count = float(
                    _whole(raw, _path(where, fields[0])) if integer else _number(raw, _path(where, fields[0]))
                )
            for j in range(first, last):
                values[j] += count
        return tuple(values)
    if len(data) != slots:
        raise ScenarioError(path, f"must have one value per half hour of the day ({slots}), got {len(data)}")
    out = []
    for i, x in enumerate(data):
        out.append(float(_whole(x, _path(path, i)) if integer else _number(x, _path(path, i))))
    return tuple(out)


def _slot_index(minutes: int, opens: int, slots: int, path: str, *, end: bool = False) -> int:
    offset = minutes - opens
    if offset % SLOT_MINUTES:
        raise ScenarioError(path, "must be on a half hour (HH:00 or HH:30)")
    index = offset // SLOT_MINUTES
    if index < 0 or index > slots or (index == slots and not end):
        raise ScenarioError(path, "must be within the opening hours")
    return index


# ------------------------------------------------------------------------------------------------- sections


_TYPE_FIELDS = (
    "prefix",
    "limit_minutes",
    "complex",
    "kiosk",
    "forced_self_service",
    "pre_acceptance",
    "routing",
    "self_service",
    "preparation",
)


def _arrivals(data: Any, path: str, slots: int, profiles: Mapping[str, tuple[float, ...]]) -> tuple[float, ...]:
    d = _obj(data, path, optional=("per_half_hour", "daily", "profile"))
    if ("per_half_hour" in d) == ("daily" in d):
        raise ScenarioError(path, "give either per_half_hour or daily with a profile")
    if "per_half_hour" in d:
        raw = d["per_half_hour"]
        where = _path(path, "per_half_hour")
        if not isinstance(raw, list) or len(raw) != slots:
            raise ScenarioError(where, f"must be a list with one number per half hour of the day ({slots})")
        if "profile" in d:
            raise ScenarioError(_path(path, "profile"), "only with daily")
        return tuple(_number(x, _path(where, i), maximum=100_000) for i, x in enumerate(raw))
    daily = _number(d["daily"], _path(path, "daily"), maximum=1_000_000)
    if "profile" not in d:
        raise ScenarioError(_path(path, "profile"), "is required with daily")
    profile = _profile(d["profile"], _path(path, "profile"), slots, profiles)
    return tuple(daily * w for w in profile)


def _profile(data: Any, path: str, slots: int, profiles: Mapping[str, tuple[float, ...]]) -> tuple[float, ...]:
    if isinstance(data, str):
        if data not in profiles:
            raise ScenarioError(path, f"unknown profile {data!r}")
        return profiles[data]
    return _weights(data, path, slots)


def _weights(data: Any, path: str, slots: int) -> tuple[float, ...]:
    if not isinstance(data, list) or len(data) != slots:
        raise ScenarioError(path, f"must be a list with one weight per half hour of the day ({slots})")
    values = [_number(x, _path(path, i), maximum=1e9) for i, x in enumerate(data)]
    total = math.fsum(values)
    if total <= 0:
        raise ScenarioError(path, "must have a positive weight")
    return tuple(v / total for v in values)


def _business_type(data: Any, path: str, slots: int, profiles: Mapping[str, tuple[float, ...]]) -> BusinessTypeSpec:
    d = _obj(data, path, required=("code", "arrivals", "service"), optional=_TYPE_FIELDS)
    code = _text(d["code"], _path(path, "code"), max_length=40)
    prefix = d.get("prefix", "A")
    if not isinstance(prefix, str) or not (1 <= len(prefix) <= 3 and prefix.isascii() and prefix.isupper()):
        raise ScenarioError(_path(path, "prefix"), "must be 1-3 uppercase letters")
    limit = _number(d.get("limit_minutes", 10), _path(path, "limit_minutes"), strict=True, maximum=24 * 60)
    flags = {
        name: _bool(d.get(name, False), _path(path, name))
        for name in ("complex", "kiosk", "forced_self_service", "pre_acceptance")
    }
    arrivals = _arrivals(d["arrivals"], _path(path, "arrivals"), slots, profiles)
    sd = _obj(
        d["service"],
        _path(path, "service"),
        required=("mean_minutes",),
        optional=("cv", "distribution", "communication_share"),
    )
    service = _dist({k: v for k, v in sd.items() if k != "communication_share"}, _path(path, "service"))
    share = _fraction(sd.get("communication_share", 0.5), _path(path, "service.communication_share"))
    kiosk_share = pre_share = 0.0
    if "routing" in d:
        where = _path(path, "routing")
        rd = _obj(d["routing"], where, optional=("kiosk", "preacceptance"))
        kiosk_share = _fraction(rd.get("kiosk", 0.0), _path(where, "kiosk"))
        pre_share = _fraction(rd.get("preacceptance", 0.0), _path(where, "preacceptance"))
        if kiosk_share and not flags["kiosk"]:
            raise ScenarioError(_path(where, "kiosk"), 'only for a kiosk-capable type ("kiosk": true)')
        if pre_share and not flags["pre_acceptance"]:
            raise ScenarioError(
                _path(where, "preacceptance"), 'only for a pre-acceptance-capable type ("pre_acceptance": true)'
            )
        if kiosk_share + pre_share > 1.0 + 1e-12:
            raise ScenarioError(where, "kiosk + preacceptance must be at most 1")
    self_service = None
    counter_share = 0.0
    needs_kiosk = flags["kiosk"] or flags["forced_self_service"]
    if "self_service" in d:
        where = _path(path, "self_service")
        if not needs_kiosk:
            raise ScenarioError(where, "only for a kiosk-capable or forced self-service type")
        ssd = _obj(
            d["self_service"], where, required=("mean_minutes",), optional=("cv", "distribution", "counter_share")
        )
        self_service = _dist({k: v for k, v in ssd.items() if k != "counter_share"}, where)
        counter_share = _fraction(ssd.get("counter_share", 0.0), _path(where, "counter_share"))
    elif needs_kiosk and (kiosk_share > 0 or flags["forced_self_service"]):
        raise ScenarioError(_path(path, "self_service"), "is required when customers of this type use a kiosk")
    preparation = None
    if "preparation" in d:
        if not flags["pre_acceptance"]:
            raise ScenarioError(_path(path, "preparation"), "only for a pre-acceptance-capable type")
        preparation = _dist(d["preparation"], _path(path, "preparation"))
    elif pre_share > 0:
        raise ScenarioError(_path(path, "preparation"), "is required when customers of this type go to pre-acceptance")
    return BusinessTypeSpec(
        code=code,
        prefix=prefix,
        limit_minutes=limit,
        complex=flags["complex"],
        kiosk=flags["kiosk"],
        forced=flags["forced_self_service"],
        pre_acceptance=flags["pre_acceptance"],
        arrivals=arrivals,
        service=service,
        communication_share=share,
        kiosk_share=kiosk_share,
        preacceptance_share=pre_share,
        self_service=self_service,
        counter_share=counter_share,
        preparation=preparation,
    )


def _counter(data: Any, path: str, opens: int, slots: int, codes: Sequence[str]) -> CounterSpec:
    d = _obj(data, path, required=("number",), optional=("zone", "skills", "open", "on_call"))
    number = _whole(d["number"], _path(path, "number"), minimum=1, maximum=10_000)
    zone = _text(d.get("zone", "counter"), _path(path, "zone"), max_length=40)
    skills: tuple[str, ...] | None = None
    raw = d.get("skills", "all")
    where = _path(path, "skills")
    if raw != "all":
        if not isinstance(raw, list) or not raw:
            raise ScenarioError(where, 'must be "all" or a non-empty list of business type codes')
        seen: list[str] = []
        for i, code in enumerate(raw):
            if code not in codes:
                raise ScenarioError(_path(where, i), f"unknown business type {code!r}")
            if code in seen:
                raise ScenarioError(_path(where, i), f"{code!r} is listed twice")
            seen.append(code)
        skills = tuple(seen)
    on_call = _bool(d.get("on_call", False), _path(path, "on_call"))
    if "open" in d:
        raw_open = d["open"]
        if raw_open == []:
            opened = (False,) * slots
        elif isinstance(raw_open, list) and raw_open and all(isinstance(x, Mapping) for x in raw_open):
            opened = tuple(
                v > 0 for v in _per_slot(raw_open, _path(path, "open"), opens, slots, integer=True, fields=())
            )
        elif isinstance(raw_open, list):
            values = _per_slot(raw_open, _path(path, "open"), opens, slots, integer=True)
            for i, v in enumerate(values):
                if v > 1:
                    raise ScenarioError(_path(_path(path, "open"), i), "must be 0 or 1")
            opened = tuple(v > 0 for v in values)
        else:
            raise ScenarioError(_path(path, "open"), "must be a list of windows or of 0/1 per half hour")
    else:
        opened = (not on_call,) * slots
    return CounterSpec(number=number, zone=zone, skills=skills, open=opened, on_call=on_call)


def _priorities(data: Any, path: str) -> PrioritySpec:
    d = _obj(data, path, optional=("elderly", "appointment", "vip", "vip_stars"))
    spec = PrioritySpec(
        elderly=_fraction(d.get("elderly", 0.0), _path(path, "elderly")),
        appointment=_fraction(d.get("appointment", 0.0), _path(path, "appointment")),
        vip=_fraction(d.get("vip", 0.0), _path(path, "vip")),
    )
    if spec.elderly + spec.appointment + spec.vip > 1.0 + 1e-12:
        raise ScenarioError(path, "elderly + appointment + vip must be at most 1")
    if "vip_stars" in d:
        raw = d["vip_stars"]
        where = _path(path, "vip_stars")
        if not isinstance(raw, list) or len(raw) != 5:
            raise ScenarioError(where, "must be a list of 5 weights (star levels 1 to 5)")
        stars = tuple(_number(x, _path(where, i), maximum=1e9) for i, x in enumerate(raw))
        if math.fsum(stars) <= 0:
            raise ScenarioError(where, "must have a positive weight")
        spec = replace(spec, vip_stars=(stars[0], stars[1], stars[2], stars[3], stars[4]))
    return spec


_TOP_REQUIRED = ("format", "hall", "day", "opens", "closes", "business_types", "counters")
_TOP_OPTIONAL = (
    "name",
    "timezone",
    "variant",
    "replications",
    "seed",
    "wait_target_minutes",
    "profiles",
    "pauses",
    "walk_seconds",
    "no_show",
    "patience",
    "priorities",
    "preacceptance",
    "self_service",
    "upselling",
    "modes",
    "rules",
    "rules_every_minutes",
    "on_call",
    "quote_waits",
)


def parse_scenario(data: Any) -> Scenario:
    """Parse and validate a scenario document; :class:`ScenarioError` names the first bad field."""
    d = _obj(data, "", required=_TOP_REQUIRED, optional=_TOP_OPTIONAL)
    if isinstance(d["format"], bool) or d["format"] != FORMAT:
        raise ScenarioError("format", f"must be {FORMAT}")
    hall = _text(d["hall"], "hall", max_length=40)
    name = _text(d.get("name", hall), "name")
    day_raw = d["day"]
    try:
        if not isinstance(day_raw, str) or len(day_raw) != 10:
            raise ValueError
        day = dt.date.fromisoformat(day_raw)
    except ValueError:
        raise ScenarioError("day", "must be a date YYYY-MM-DD") from None
    tz_name = d.get("timezone", "Asia/Shanghai")
    try:
        if not isinstance(tz_name, str):
            raise ValueError
        ZoneInfo(tz_name)
    except (ValueError, ZoneInfoNotFoundError):
        raise ScenarioError("timezone", f"unknown time zone {tz_name!r}") from None
    opens_clock = _clock(d["opens"], "opens")
    if opens_clock is None:
        raise ScenarioError("opens", "must be before 24:00")
    opens = opens_clock.hour * 60 + opens_clock.minute
    closes = _minutes_of(d["closes"], "closes")
    if opens % SLOT_MINUTES:
        raise ScenarioError("opens", "must be on a half hour (HH:00 or HH:30)")
    if closes % SLOT_MINUTES:
        raise ScenarioError("closes", "must be on a half hour (HH:00 or HH:30)")
    if closes <= opens:
        raise ScenarioError("closes", "must be after opens (on the same day)")
    slots = (closes - opens) // SLOT_MINUTES
    variant_raw = d.get("variant", Variant.FOUR_ZONES.value)
    if variant_raw not in [v.value for v in Variant]:
        raise ScenarioError("variant", "must be four_zones or counter_only")
    replications = _whole(d.get("replications", 20), "replications", minimum=2, maximum=10_000)
    seed = _whole(d.get("seed", 1), "seed")
    target = _number(d.get("wait_target_minutes", 10), "wait_target_minutes", strict=True, maximum=24 * 60)

    profiles: dict[str, tuple[float, ...]] = {}
    if "profiles" in d:
        if not isinstance(d["profiles"], Mapping):
            raise ScenarioError("profiles", "must be an object of named weight lists")
        for key, value in d["profiles"].items():
            profiles[str(key)] = _weights(value, _path("profiles", str(key)), slots)

    raw_types = d["business_types"]
    if not isinstance(raw_types, list) or not raw_types:
        raise ScenarioError("business_types", "must be a non-empty list")
    types: list[BusinessTypeSpec] = []
    for i, raw in enumerate(raw_types):
        spec = _business_type(raw, _path("business_types", i), slots, profiles)
        if any(t.code == spec.code for t in types):
            raise ScenarioError(_path(_path("business_types", i), "code"), f"{spec.code!r} is listed twice")
        types.append(spec)
    codes = [t.code for t in types]

    raw_counters = d["counters"]
    if not isinstance(raw_counters, list) or not raw_counters:
        raise ScenarioError("counters", "must be a non-empty list")
    counters: list[CounterSpec] = []
    for i, raw in enumerate(raw_counters):
        counter = _counter(raw, _path("counters", i), opens, slots, codes)
        if any(c.number == counter.number for c in counters):
            raise ScenarioError(_path(_path("counters", i), "number"), f"counter {counter.number} is listed twice")
        counters.append(counter)

    pauses: list[PauseSpec] = []
    raw_pauses = d.get("pauses", [])
    if not isinstance(raw_pauses, list):
        raise ScenarioError("pauses", "must be a list")
    numbers = {c.number for c in counters}
    for i, raw in enumerate(raw_pauses):
        where = _path("pauses", i)
        pd = _obj(raw, where, required=("counter", "start", "minutes"))
        number = _whole(pd["counter"], _path(where, "counter"), minimum=1)
        if number not in numbers:
            raise ScenarioError(_path(where, "counter"), f"no counter {number} in counters")
        start = _minutes_of(pd["start"], _path(where, "start")) - opens
        if not 0 <= start < closes - opens:
            raise ScenarioError(_path(where, "start"), "must be within the opening hours")
        minutes = _number(pd["minutes"], _path(where, "minutes"), strict=True, maximum=24 * 60)
        pauses.append(PauseSpec(counter=number, start=start * 60.0, seconds=minutes * 60.0))

    walk = None
    if "walk_seconds" in d:
        mean = _number(d["walk_seconds"], "walk_seconds", maximum=3600)
        walk = Dist(DistKind.EXPONENTIAL, mean, 1.0) if mean > 0 else None

    no_show = NoShowSpec()
    if "no_show" in d:
        nd = _obj(d["no_show"], "no_show", optional=("share", "wait_seconds", "policy", "places"))
        policy_raw = nd.get("policy", NoShowPolicy.PUSH_BACK.value)
        if policy_raw not in [p.value for p in NoShowPolicy]:
            raise ScenarioError("no_show.policy", "must be keep, push_back or cancel")
        no_show = NoShowSpec(
            share=_number(nd.get("share", 0.0), "no_show.share", maximum=0.9),
            wait_seconds=_number(nd.get("wait_seconds", 60), "no_show.wait_seconds", maximum=3600),
            policy=NoShowPolicy(policy_raw),
            places=_whole(nd.get("places", 3), "no_show.places", maximum=1000),
        )

    patience = None
    if d.get("patience") is not None:
        patience = _dist(d["patience"], "patience")

    priorities = _priorities(d["priorities"], "priorities") if "priorities" in d else PrioritySpec()

    clerks: tuple[int, ...] = (0,) * slots
    factor = 1.0
    if "preacceptance" in d:
        pd = _obj(d["preacceptance"], "preacceptance", required=("clerks",), optional=("communication_factor",))
        clerks = tuple(int(x) for x in _per_slot(pd["clerks"], "preacceptance.clerks", opens, slots, integer=True))
        factor = _number(pd.get("communication_factor", 0.5), "preacceptance.communication_factor", maximum=1.0)

    assistants: tuple[int, ...] = (0,) * slots
    help_share = 0.0
    help_patience: Dist | None = None
    if "self_service" in d:
        sd = _obj(d["self_service"], "self_service", required=("assistants",), optional=("help_share", "help_patience"))
        assistants = tuple(
            int(x) for x in _per_slot(sd["assistants"], "self_service.assistants", opens, slots, integer=True)
        )
        help_share = _fraction(sd.get("help_share", 0.0), "self_service.help_share")
        help_patience = _dist(sd.get("help_patience", {"mean_minutes": 5}), "self_service.help_patience")

    upsell_share = 0.0
    upsell_extra: Dist | None = None
    if "upselling" in d:
        ud = _obj(d["upselling"], "upselling", required=("share", "extra"))
        upsell_share = _fraction(ud["share"], "upselling.share")
        upsell_extra = _dist(ud["extra"], "upselling.extra")

    zones = sorted({c.zone for c in counters})
    pre_capable = [t.code for t in types if t.pre_acceptance]
    rules: list[Rule] = []
    raw_rules = d.get("rules", [])
    if not isinstance(raw_rules, list):
        raise ScenarioError("rules", "must be a list")
    for i, raw in enumerate(raw_rules):
        try:
            rules.append(parse_rule(raw, ref=i, services=codes, preacceptance_services=pre_capable, zones=zones))
        except RuleError as exc:
            raise ScenarioError(
                _path(_path("rules", i), exc.path) if exc.path else _path("rules", i), exc.message
            ) from None
    modes: ModeConfig | None = None
    if "modes" in d or rules:
        try:
            modes = parse_mode_config(d.get("modes", DEFAULT_CONFIG))
        except RuleError as exc:
            raise ScenarioError(_path("modes", exc.path) if exc.path else "modes", exc.message) from None
    every = _number(d.get("rules_every_minutes", 1), "rules_every_minutes", strict=True, maximum=60)
    on_call = OnCallSpec()
    if "on_call" in d:
        od = _obj(d["on_call"], "on_call", optional=("response_minutes", "min_open_minutes"))
        on_call = OnCallSpec(
            response_minutes=_number(od.get("response_minutes", 5), "on_call.response_minutes", maximum=600),
            min_open_minutes=_number(od.get("min_open_minutes", 30), "on_call.min_open_minutes", maximum=24 * 60),
        )
    quote = _bool(d.get("quote_waits", True), "quote_waits")

    return Scenario(
        hall=hall,
        name=name,
        day=day,
        timezone=tz_name,
        opens=opens_clock,
        slots=slots,
        business_types=tuple(types),
        counters=tuple(counters),
        variant=Variant(variant_raw),
        replications=replications,
        seed=seed,
        wait_target_seconds=target * 60.0,
        pauses=tuple(pauses),
        walk=walk,
        no_show=no_show,
        patience=patience,
        priorities=priorities,
        clerks=clerks,
        communication_factor=factor,
        assistants=assistants,
        help_share=help_share,
        help_patience=help_patience,
        upsell_share=upsell_share,
        upsell_extra=upsell_extra,
        rules=tuple(rules),
        modes=modes,
        rules_every_minutes=every,
        on_call=on_call,
        quote_waits=quote,
        source=dict(d),
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read and parse a scenario file; a file that cannot be read or is not JSON is a ScenarioError too."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError("", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScenarioError("", f"{path}: not JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_scenario(data)
