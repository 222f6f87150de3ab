"""Busy/idle modes of a hall, decided from live state with hysteresis, a minimum dwell time and schedules.

A hall is in one of four modes, ordered: ``idle`` < ``normal`` < ``busy`` < ``peak``. Each mode above idle
has an *enter* and a *leave* threshold per signal (hysteresis):

- ``waiting``: people waiting in the hall;
- ``wait_ratio``: the estimated wait of a new ticket ÷ the hall's waiting-time target (1.0 = at the target;
  an unknown estimate, when no open counter can serve, counts as 0: ``per_counter`` sees that case);
- ``per_counter``: people waiting ÷ open counters (÷ 1 when none is open).

A level's *enter* condition holds when any of its signals reaches its enter threshold; its *hold* condition
when any reaches its leave threshold (leave ≤ enter, so entering implies holding). One decision step
(``mode_next``):

1. the *floor* is the highest mode of the scheduled windows matching now (e.g. busy every Saturday
   10:00–12:00 on weekend days, from the working calendar), else idle;
2. the *target* is the highest level whose enter condition holds, at least the floor; a target above the
   current mode is entered at once (escalation is never delayed);
3. otherwise the mode steps down only when it has lasted ``min_dwell_minutes`` and its hold condition fails:
   to the highest lower level whose hold condition holds (at least the floor).

Hence a signal that stays inside the band [leave of the current level, enter of the next) never changes the
mode, a mode is never left downwards before its dwell time, and a signal that only grows never lowers the
mode. The configuration is a JSON-serialisable dict (``"format": 1``) parsed and validated by
``parse_mode_config``; errors are ``RuleError`` naming the path of the bad field.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hallops.core.calendar import CalendarError, DayKind, WorkingCalendar

__all__ = [
    "FORMAT",
    "LEVELS",
    "SIGNALS",
    "WEEKDAYS",
    "Level",
    "Mode",
    "ModeConfig",
    "ModeDecision",
    "ModeSignal",
    "RuleError",
    "TimeWindow",
    "mode_floor",
    "mode_next",
    "parse_mode_config",
    "parse_window",
]

FORMAT = 1


class RuleError(ValueError):
    """A bad rule or mode configuration: ``path`` names the field (e.g. ``conditions[1].minutes``)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message


class Mode(StrEnum):
    IDLE = "idle"
    NORMAL = "normal"
    BUSY = "busy"
    PEAK = "peak"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Mode.IDLE: 0, Mode.NORMAL: 1, Mode.BUSY: 2, Mode.PEAK: 3}
#: the modes a hall enters from its signals, lowest first
LEVELS: tuple[Mode, ...] = (Mode.NORMAL, Mode.BUSY, Mode.PEAK)
SIGNALS: tuple[str, ...] = ("waiting", "wait_ratio", "per_counter")
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def mode_max(a: Mode, b: Mode) -> Mode:
    return a if a.rank >= b.rank else b


# ----------------------------------------------------------------------------------------------- parse helpers


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def obj(data: Any, path: str, *, required: Iterable[str] = (), optional: Iterable[str] = ()) -> Mapping[str, Any]:
    """``data`` as an object with exactly the given keys (unknown keys refused, so typos are not ignored)."""
    if not isinstance(data, Mapping):
        raise RuleError(path, "must be an object")
    req = tuple(required)
    allowed = set(req) | set(optional)
    for key in data:
        if not isinstance(key, str) or key not in allowed:
            raise RuleError(_path(path, str(key)), "unknown field")
    for key in req:
        if key not in data:
            raise RuleError(_path(path, key), "is required")
    return data


def number(data: Any, path: str, *, minimum: float = 0.0, maximum: float | None = None) -> float:
    if isinstance(data, bool) or not isinstance(data, int | float) or not math.isfinite(data):
        raise RuleError(path, "must be a number")
    if data < minimum:
        raise RuleError(path, f"must be at least {minimum:g}")
    if maximum is not None and data > maximum:
        raise RuleError(path, f"must be at most {maximum:g}")
    return float(data)


def whole(data: Any, path: str, *, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(data, bool) or not isinstance(data, int):
        raise RuleError(path, "must be a whole number")
    if data < minimum:
        raise RuleError(path, f"must be at least {minimum}")
    if maximum is not None and data > maximum:
        raise RuleError(path, f"must be at most {maximum}")
    return data


def text_list(
    data: Any, path: str, *, choices: Iterable[str] | None = None, allow_empty: bool = False
) -> tuple[str, ...]:
    """A list of distinct non-empty strings (from ``choices`` when given), in the given order."""
    if not isinstance(data, list):
        raise RuleError(path, "must be a list")
    if not data and not allow_empty:
        raise RuleError(path, "must not be empty")
    allowed = None if choices is None else tuple(choices)
    seen: list[str] = []
    for i, item in enumerate(data):
        where = _path(path, i)
        if not isinstance(item, str) or not item.strip():
            raise RuleError(where, "must be a non-empty string")
        if allowed is not None and item not in allowed:
            raise RuleError(where, f"unknown value {item!r} (one of {', '.join(allowed)})")
        if item in seen:
            raise RuleError(where, f"{item!r} is listed twice")
        seen.append(item)
    return tuple(seen)


def check_format(data: Mapping[str, Any], path: str = "") -> None:
    fmt = data.get("format")
    if isinstance(fmt, bool) or fmt != FORMAT:
        raise RuleError(_path(path, "format"), f"must be {FORMAT} (this version reads format {FORMAT})")


def _clock(data: Any, path: str, *, end: bool) -> dt.time | None:
    """``HH:MM`` → time; ``24:00`` (only as an end) → None meaning the end of the day."""
    if not isinstance(data, str) or len(data) != 5 or data[2] != ":" or not (data[:2] + data[3:]).isdigit():
        raise RuleError(path, "must be a time HH:MM")
    hh, mm = int(data[:2]), int(data[3:])
    if end and hh == 24 and mm == 0:
        return None
    if hh > 23 or mm > 59:
        raise RuleError(path, "must be a time from 00:00 to 23:59" + (" (or 24:00)" if end else ""))
    return dt.time(hh, mm)


# ------------------------------------------------------------------------------------------------ time windows


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Local time ``start`` ≤ t < ``end`` (None: midnight) on days matching every given day filter.

    ``weekdays`` (``mon`` … ``sun``) and ``day_kinds`` (from the working calendar) are each optional; when
    both are given a day must match both (e.g. Saturdays that are weekend days, not make-up working days).
    """

    start: dt.time
    end: dt.time | None
    weekdays: frozenset[int] = frozenset()
    day_kinds: frozenset[DayKind] = frozenset()

    def matches(self, local: dt.datetime, calendar: WorkingCalendar) -> bool:
        if self.weekdays and local.weekday() not in self.weekdays:
            return False
        clock = local.time().replace(tzinfo=None)
        if clock < self.start or (self.end is not None and clock >= self.end):
            return False
        return not self.day_kinds or calendar.day_kind(local.date()) in self.day_kinds

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "start": self.start.strftime("%H:%M"),
            "end": self.end.strftime("%H:%M") if self.end is not None else "24:00",
        }
        if self.weekdays:
            data["weekdays"] = [WEEKDAYS[d] for d in sorted(self.weekdays)]
        if self.day_kinds:
            data["day_kinds"] = [k.value for k in DayKind if k in self.day_kinds]
        return data


WINDOW_FIELDS = ("start", "end")
WINDOW_OPTIONAL = ("weekdays", "day_kinds")


def parse_window(data: Any, path: str, *, extra: Iterable[str] = ()) -> TimeWindow:
    d = obj(data, path, required=WINDOW_FIELDS, optional=(*WINDOW_OPTIONAL, *extra))
    start = _clock(d["start"], _path(path, "start"), end=False)
    end = _clock(d["end"], _path(path, "end"), end=True)
    assert start is not None
    if end is not None and end <= start:
        raise RuleError(_path(path, "end"), "must be after start (a window ends on the day it starts)")
    weekdays: frozenset[int] = frozenset()
    if "weekdays" in d:
        names = text_list(d["weekdays"], _path(path, "weekdays"), choices=WEEKDAYS)
        weekdays = frozenset(WEEKDAYS.index(n) for n in names)
    kinds: frozenset[DayKind] = frozenset()
    if "day_kinds" in d:
        values = text_list(d["day_kinds"], _path(path, "day_kinds"), choices=[k.value for k in DayKind])
        kinds = frozenset(DayKind(v) for v in values)
    return TimeWindow(start=start, end=end, weekdays=weekdays, day_kinds=kinds)


# ------------------------------------------------------------------------------------------------------- config


@dataclass(frozen=True, slots=True)
class Level:
    """One mode's thresholds: signal name → enter threshold, and → leave threshold (the same signals)."""

    enter: Mapping[str, float]
    leave: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class ScheduledMode:
    mode: Mode
    window: TimeWindow


@dataclass(frozen=True, slots=True)
class ModeConfig:
    levels: Mapping[Mode, Level]
    min_dwell: dt.timedelta = dt.timedelta(minutes=5)
    windows: tuple[ScheduledMode, ...] = ()
    country: str = "CN"
    extra_holidays: frozenset[dt.date] = frozenset()
    extra_workdays: frozenset[dt.date] = frozenset()

    def calendar(self) -> WorkingCalendar:
        return WorkingCalendar(self.country, self.extra_holidays, self.extra_workdays)


#: the defaults of a hall with no configuration of its own (10-minute target, seeds 000/003)
DEFAULT_CONFIG: dict[str, Any] = {
    "format": FORMAT,
    "levels": {
        "normal": {"enter": {"waiting": 1}, "leave": {"waiting": 1}},
        "busy": {
            "enter": {"waiting": 10, "wait_ratio": 0.8, "per_counter": 3},
            "leave": {"waiting": 6, "wait_ratio": 0.5, "per_counter": 2},
        },
        "peak": {
            "enter": {"waiting": 20, "wait_ratio": 1.2, "per_counter": 5},
            "leave": {"waiting": 14, "wait_ratio": 0.9, "per_counter": 3.5},
        },
    },
    "min_dwell_minutes": 5,
    "windows": [],
}

_SIGNAL_MAX = {"waiting": 100_000.0, "wait_ratio": 100.0, "per_counter": 10_000.0}


def _thresholds(data: Any, path: str) -> dict[str, float]:
    d = obj(data, path, optional=SIGNALS)
    return {name: number(d[name], _path(path, name), maximum=_SIGNAL_MAX[name]) for name in SIGNALS if name in d}


def _dates(data: Any, path: str) -> frozenset[dt.date]:
    if not isinstance(data, list):
        raise RuleError(path, "must be a list of dates YYYY-MM-DD")
    out: set[dt.date] = set()
    for i, item in enumerate(data):
        if not isinstance(item, str) or len(item) != 10:
            raise RuleError(_path(path, i), "must be a date YYYY-MM-DD")
        try:
            out.add(dt.date.fromisoformat(item))
        except ValueError:
            raise RuleError(_path(path, i), "must be a date YYYY-MM-DD") from None
    return frozenset(out)


def parse_mode_config(data: Any) -> ModeConfig:
    """Parse and validate a mode configuration (see the module docstring and docs/rules.md)."""
    d = obj(data, "", required=("format", "levels"), optional=("min_dwell_minutes", "windows", "calendar"))
    check_format(d)
    levels_data = obj(d["levels"], "levels", required=[m.value for m in LEVELS])
    levels: dict[Mode, Level] = {}
    for mode in LEVELS:
        where = _path("levels", mode.value)
        ld = obj(levels_data[mode.value], where, required=("enter", "leave"))
        enter = _thresholds(ld["enter"], _path(where, "enter"))
        leave = _thresholds(ld["leave"], _path(where, "leave"))
        if set(enter) != set(leave):
            missing = sorted(set(enter) ^ set(leave))[0]
            side = "leave" if missing in enter else "enter"
            raise RuleError(_path(_path(where, side), missing), "enter and leave must name the same signals")
        for name, value in leave.items():
            if value > enter[name]:
                raise RuleError(
                    _path(_path(where, "leave"), name), f"must not exceed the enter threshold {enter[name]:g}"
                )
        levels[mode] = Level(enter=enter, leave=leave)
    for lower, higher in itertools.pairwise(LEVELS):
        for side in ("enter", "leave"):
            low: Mapping[str, float] = getattr(levels[lower], side)
            high: Mapping[str, float] = getattr(levels[higher], side)
            for name in set(low) & set(high):
                if high[name] < low[name]:
                    raise RuleError(
                        f"levels.{higher.value}.{side}.{name}",
                        f"must be at least {lower.value}'s {low[name]:g} (modes are ordered)",
                    )
    dwell = number(d.get("min_dwell_minutes", 5), "min_dwell_minutes", maximum=24 * 60)
    windows: list[ScheduledMode] = []
    raw_windows = d.get("windows", [])
    if not isinstance(raw_windows, list):
        raise RuleError("windows", "must be a list")
    for i, wd in enumerate(raw_windows):
        where = _path("windows", i)
        window = parse_window(wd, where, extra=("mode",))
        if "mode" not in wd:
            raise RuleError(_path(where, "mode"), "is required")
        raw_mode = wd["mode"]
        if raw_mode not in [m.value for m in LEVELS]:
            raise RuleError(_path(where, "mode"), "must be one of normal, busy, peak")
        windows.append(ScheduledMode(mode=Mode(raw_mode), window=window))
    country, holidays, workdays = "CN", frozenset[dt.date](), frozenset[dt.date]()
    if "calendar" in d:
        cd = obj(d["calendar"], "calendar", optional=("country", "extra_holidays", "extra_workdays"))
        country = cd.get("country", "CN")
        if not isinstance(country, str) or not (len(country) == 2 and country.isalpha() and country.isupper()):
            raise RuleError("calendar.country", "must be a two-letter country code such as CN")
        holidays = _dates(cd.get("extra_holidays", []), "calendar.extra_holidays")
        workdays = _dates(cd.get("extra_workdays", []), "calendar.extra_workdays")
    config = ModeConfig(
        levels=levels,
        min_dwell=dt.timedelta(minutes=dwell),
        windows=tuple(windows),
        country=country,
        extra_holidays=holidays,
        extra_workdays=workdays,
    )
    try:
        config.calendar()
    except CalendarError as exc:
        raise RuleError(f"calendar.{exc.field}", exc.message) from None
    return config


# ------------------------------------------------------------------------------------------------------ decide


@dataclass(frozen=True, slots=True)
class ModeSignal:
    """The live state the mode is decided from."""

    waiting: int
    estimated_wait_seconds: float | None
    open_counters: int
    target_wait_seconds: float

    def values(self) -> dict[str, float]:
        ratio = 0.0
        if self.estimated_wait_seconds is not None and self.target_wait_seconds > 0:
            ratio = self.estimated_wait_seconds / self.target_wait_seconds
        return {
            "waiting": float(self.waiting),
            "wait_ratio": ratio,
            "per_counter": self.waiting / max(self.open_counters, 1),
        }


def mode_signal(
    *, waiting: int, waiting_estimates: Iterable[float | None], open_counters: int, target_wait_seconds: float
) -> ModeSignal:
    """The one definition of the signal: people waiting, the longest known estimate among the business types
    that have someone waiting (``waiting_estimates``), open counters. Used by the live evaluation
    (``rules.services``) and the simulator (``core.sim.hall``)."""
    known = [e for e in waiting_estimates if e is not None]
    return ModeSignal(
        waiting=waiting,
        estimated_wait_seconds=max(known) if known else None,
        open_counters=open_counters,
        target_wait_seconds=target_wait_seconds,
    )


def _any_reaches(thresholds: Mapping[str, float], values: Mapping[str, float]) -> bool:
    return any(values[name] >= limit for name, limit in thresholds.items())


def _entered(config: ModeConfig, values: Mapping[str, float]) -> Mode:
    best = Mode.IDLE
    for mode in LEVELS:
        if _any_reaches(config.levels[mode].enter, values):
            best = mode
    return best


def _held(config: ModeConfig, values: Mapping[str, float], below_or_at: Mode) -> Mode:
    best = Mode.IDLE
    for mode in LEVELS:
        if mode.rank <= below_or_at.rank and _any_reaches(config.levels[mode].leave, values):
            best = mode
    return best


def mode_floor(config: ModeConfig, local: dt.datetime, calendar: WorkingCalendar | None = None) -> Mode:
    """The highest mode of the scheduled windows matching ``local`` (hall-local time), else idle."""
    cal = calendar if calendar is not None else config.calendar()
    floor = Mode.IDLE
    for scheduled in config.windows:
        if scheduled.window.matches(local, cal):
            floor = mode_max(floor, scheduled.mode)
    return floor


@dataclass(frozen=True, slots=True)
class ModeDecision:
    mode: Mode
    since: dt.datetime
    changed: bool
    #: why: "signal" (thresholds), "schedule" (a window's floor), "dwell" (a step down waits), "steady"
    reason: str
    floor: Mode = Mode.IDLE
    values: Mapping[str, float] = field(default_factory=dict)


def mode_next(
    config: ModeConfig,
    current: Mode | None,
    since: dt.datetime | None,
    signal: ModeSignal,
    now: dt.datetime,
    *,
    local: dt.datetime | None = None,
    calendar: WorkingCalendar | None = None,
) -> ModeDecision:
    """One decision step from ``current`` (entered at ``since``) at ``now``; ``local`` is ``now`` in hall time
    for the scheduled windows (defaults to ``now``). A hall with no mode yet takes the target at once."""
    values = signal.values()
    floor = mode_floor(config, local if local is not None else now, calendar)
    target = mode_max(_entered(config, values), floor)
    if current is None or since is None:
        return ModeDecision(target, now, True, "schedule" if target == floor != Mode.IDLE else "signal", floor, values)
    if target.rank > current.rank:
        reason = "schedule" if target == floor and _entered(config, values).rank < floor.rank else "signal"
        return ModeDecision(target, now, True, reason, floor, values)
    hold = mode_max(_held(config, values, current), floor)
    if hold.rank >= current.rank:
        return ModeDecision(current, since, False, "steady", floor, values)
    if now - since < config.min_dwell:
        return ModeDecision(current, since, False, "dwell", floor, values)
    return ModeDecision(hold, now, True, "schedule" if hold == floor != Mode.IDLE else "signal", floor, values)


def modes_ordered(modes: Sequence[Mode]) -> list[Mode]:
    return sorted(modes, key=lambda m: m.rank)
