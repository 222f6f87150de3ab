"""Busy/idle modes: thresholds, hysteresis, minimum dwell time and scheduled windows (hallops.core.modes)."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.core.calendar import WorkingCalendar
from hallops.core.modes import (
    DEFAULT_CONFIG,
    LEVELS,
    Mode,
    ModeConfig,
    ModeSignal,
    RuleError,
    mode_floor,
    mode_next,
    parse_mode_config,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()
T0 = dt.datetime(2026, 3, 9, 10, 0, tzinfo=SH)  # a Monday, a working day
TARGET = 600.0

# One signal only (people waiting), so the bands are easy to state: normal [1,1], busy enter 8 leave 5,
# peak enter 15 leave 11.
WAITING_ONLY: dict[str, Any] = {
    "format": 1,
    "levels": {
        "normal": {"enter": {"waiting": 1}, "leave": {"waiting": 1}},
        "busy": {"enter": {"waiting": 8}, "leave": {"waiting": 5}},
        "peak": {"enter": {"waiting": 15}, "leave": {"waiting": 11}},
    },
    "min_dwell_minutes": 5,
}
CONFIG = parse_mode_config(WAITING_ONLY)
DEFAULT = parse_mode_config(DEFAULT_CONFIG)


def sig(waiting: int, wait_seconds: float | None = None, open_counters: int = 4) -> ModeSignal:
    return ModeSignal(
        waiting=waiting, estimated_wait_seconds=wait_seconds, open_counters=open_counters, target_wait_seconds=TARGET
    )


def run(config: ModeConfig, start: Mode, waits: list[int], step_minutes: float = 1.0) -> list[Mode]:
    """Feed one signal per step, starting in ``start`` entered long ago; the modes after each step."""
    mode, since = start, T0 - dt.timedelta(hours=1)
    out = []
    for i, w in enumerate(waits):
        now = T0 + dt.timedelta(minutes=step_minutes * i)
        d = mode_next(config, mode, since, sig(w), now, calendar=CAL)
        mode, since = d.mode, d.since
        out.append(mode)
    return out


# ------------------------------------------------------------------------------------------- thresholds


def test_first_decision_takes_the_mode_of_the_signal() -> None:
    """A hall with no mode yet goes straight to the level its signal reaches."""
    for waiting, mode in [(0, Mode.IDLE), (1, Mode.NORMAL), (8, Mode.BUSY), (15, Mode.PEAK)]:
        d = mode_next(CONFIG, None, None, sig(waiting), T0, calendar=CAL)
        assert (d.mode, d.since, d.changed) == (mode, T0, True)


def test_escalation_is_immediate_even_inside_the_dwell_time() -> None:
    """A mode entered a minute ago still escalates at once when the next level's enter threshold is reached."""
    d = mode_next(CONFIG, Mode.NORMAL, T0, sig(8), T0 + dt.timedelta(minutes=1), calendar=CAL)
    assert d.mode is Mode.BUSY and d.changed and d.since == T0 + dt.timedelta(minutes=1)


def test_any_signal_enters_a_level() -> None:
    """With the default thresholds the estimated wait against the target alone makes the hall busy or peak."""
    assert mode_next(DEFAULT, None, None, sig(2, wait_seconds=0.8 * TARGET), T0).mode is Mode.BUSY
    assert mode_next(DEFAULT, None, None, sig(2, wait_seconds=1.2 * TARGET), T0).mode is Mode.PEAK
    assert mode_next(DEFAULT, None, None, sig(2, wait_seconds=0.79 * TARGET), T0).mode is Mode.NORMAL


def test_waiting_per_open_counter_counts_no_counter_as_one() -> None:
    """Nine people and no open counter is 9 per counter: peak by the per-counter signal (default ≥ 5)."""
    assert mode_next(DEFAULT, None, None, sig(9, None, open_counters=0), T0).mode is Mode.PEAK
    assert mode_next(DEFAULT, None, None, sig(9, None, open_counters=3), T0).mode is Mode.BUSY


def test_step_down_after_dwell_goes_to_the_highest_level_still_held() -> None:
    """From peak, a drop to 6 waiting (busy's leave is 5) lands on busy, not lower; to 0 lands on idle."""
    since = T0 - dt.timedelta(minutes=10)
    assert mode_next(CONFIG, Mode.PEAK, since, sig(6), T0).mode is Mode.BUSY
    assert mode_next(CONFIG, Mode.PEAK, since, sig(0), T0).mode is Mode.IDLE


def test_step_down_waits_for_the_dwell_time() -> None:
    """A mode entered 4 minutes ago (dwell 5) is kept although its hold condition fails; at 5 it is left."""
    since = T0
    early = mode_next(CONFIG, Mode.BUSY, since, sig(0), T0 + dt.timedelta(minutes=4))
    assert (early.mode, early.changed, early.reason) == (Mode.BUSY, False, "dwell")
    later = mode_next(CONFIG, Mode.BUSY, since, sig(0), T0 + dt.timedelta(minutes=5))
    assert later.mode is Mode.IDLE and later.changed


# ------------------------------------------------------------------------------------------ properties


@settings(max_examples=200)
@given(
    level=st.sampled_from(LEVELS),
    data=st.data(),
)
def test_signal_inside_the_hysteresis_band_never_changes_the_mode(level: Mode, data: st.DataObject) -> None:
    """Once in a mode, a signal that stays within [leave of that mode, enter of the next mode) never changes it,
    however long and however it oscillates."""
    leave = int(CONFIG.levels[level].leave["waiting"])
    above = LEVELS.index(level) + 1
    enter_next = int(CONFIG.levels[LEVELS[above]].enter["waiting"]) if above < len(LEVELS) else 10_000
    waits = data.draw(st.lists(st.integers(leave, enter_next - 1), min_size=1, max_size=60))
    step = data.draw(st.floats(0.1, 30.0))
    assert set(run(CONFIG, level, waits, step)) == {level}


@settings(max_examples=200)
@given(
    waits=st.lists(st.integers(0, 30), min_size=1, max_size=60),
    steps=st.lists(st.floats(0.05, 10.0), min_size=60, max_size=60),
    dwell=st.sampled_from([0, 1, 5, 15]),
)
def test_the_mode_is_never_left_downwards_before_its_dwell_time(
    waits: list[int], steps: list[float], dwell: int
) -> None:
    """Every step down happens at least ``min_dwell`` after the mode it leaves was entered."""
    config = parse_mode_config({**WAITING_ONLY, "min_dwell_minutes": dwell})
    mode: Mode | None = None
    since: dt.datetime | None = None
    now = T0
    for w, step in zip(waits, steps, strict=False):
        now = now + dt.timedelta(minutes=step)
        d = mode_next(config, mode, since, sig(w), now)
        if mode is not None and since is not None and d.mode.rank < mode.rank:
            assert now - since >= dt.timedelta(minutes=dwell)
        if d.changed:
            assert d.since == now
        else:
            assert d.since == since
        mode, since = d.mode, d.since


@settings(max_examples=200)
@given(
    increments=st.lists(st.tuples(st.integers(0, 4), st.floats(0, 200)), min_size=1, max_size=40),
    fewer_counters=st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_a_growing_load_never_lowers_the_mode(increments: list[tuple[int, float]], fewer_counters: list[bool]) -> None:
    """Monotone escalation (default thresholds, every signal): when waiting and the estimated wait only grow and
    open counters only fall, the mode never goes down."""
    waiting, wait_s, counters = 0, 0.0, 8
    mode: Mode | None = None
    since: dt.datetime | None = None
    for i, ((dw, ds), fewer) in enumerate(zip(increments, fewer_counters, strict=False)):
        waiting, wait_s = waiting + dw, wait_s + ds
        counters = max(0, counters - (1 if fewer else 0))
        d = mode_next(DEFAULT, mode, since, sig(waiting, wait_s, counters), T0 + dt.timedelta(minutes=i))
        if mode is not None:
            assert d.mode.rank >= mode.rank
        mode, since = d.mode, d.since


def test_oscillation_across_one_threshold_without_hysteresis_would_flap() -> None:
    """Control for the band property: a signal oscillating between busy's leave and enter (7 and 8) keeps busy,
    while oscillating across the leave threshold (4 and 8) does change the mode after the dwell time."""
    assert set(run(CONFIG, Mode.BUSY, [7, 8, 7, 8, 7, 8] * 3, 2.0)) == {Mode.BUSY}
    assert Mode.NORMAL in run(CONFIG, Mode.BUSY, [4, 8, 4, 8, 4, 8] * 3, 6.0)


# -------------------------------------------------------------------------------------- scheduled windows

SATURDAY_WINDOW = {
    **WAITING_ONLY,
    "windows": [{"mode": "busy", "weekdays": ["sat"], "day_kinds": ["weekend"], "start": "10:00", "end": "12:00"}],
}


def test_saturday_window_makes_the_hall_busy_on_a_weekend_saturday() -> None:
    """Every Saturday 10:00–12:00 that is a weekend day the hall is at least busy, even with nobody waiting."""
    config = parse_mode_config(SATURDAY_WINDOW)
    at = dt.datetime(2026, 3, 7, 10, 30, tzinfo=SH)  # Saturday
    d = mode_next(config, Mode.IDLE, at - dt.timedelta(hours=2), sig(0), at)
    assert (d.mode, d.reason) == (Mode.BUSY, "schedule")
    assert mode_floor(config, dt.datetime(2026, 3, 7, 12, 0, tzinfo=SH)) is Mode.IDLE
    assert mode_floor(config, dt.datetime(2026, 3, 7, 9, 59, tzinfo=SH)) is Mode.IDLE


def test_saturday_window_honours_the_working_calendar() -> None:
    """2026-02-14 and 2026-10-10 are Saturdays but make-up working days (调休): no weekend window;
    2026-10-03 is a Saturday holiday: not a weekend day either."""
    config = parse_mode_config(SATURDAY_WINDOW)
    for day in (dt.date(2026, 2, 14), dt.date(2026, 10, 10), dt.date(2026, 10, 3)):
        at = dt.datetime.combine(day, dt.time(11), tzinfo=SH)
        assert mode_floor(config, at) is Mode.IDLE, day


def test_window_on_holidays_uses_the_halls_extra_holidays() -> None:
    """A window for holidays matches a hall's own closed day given in the configuration's calendar."""
    config = parse_mode_config(
        {
            **WAITING_ONLY,
            "windows": [{"mode": "peak", "day_kinds": ["holiday"], "start": "09:00", "end": "24:00"}],
            "calendar": {"extra_holidays": ["2026-03-09"]},
        }
    )
    assert mode_floor(config, dt.datetime(2026, 3, 9, 23, 59, tzinfo=SH)) is Mode.PEAK
    assert mode_floor(config, dt.datetime(2026, 3, 10, 10, 0, tzinfo=SH)) is Mode.IDLE
    assert mode_floor(config, dt.datetime(2026, 10, 1, 10, 0, tzinfo=SH)) is Mode.PEAK


def test_leaving_a_window_steps_down_by_the_signal() -> None:
    """At 12:00 the window ends: a busy hall with 2 waiting (entered at 10:00) steps down to normal."""
    config = parse_mode_config(SATURDAY_WINDOW)
    entered = dt.datetime(2026, 3, 7, 10, 0, tzinfo=SH)
    d = mode_next(config, Mode.BUSY, entered, sig(2), dt.datetime(2026, 3, 7, 12, 0, tzinfo=SH))
    assert d.mode is Mode.NORMAL


# ------------------------------------------------------------------------------------------------ parsing


def test_default_config_is_valid() -> None:
    """The built-in defaults parse, with a five-minute dwell."""
    assert DEFAULT.min_dwell == dt.timedelta(minutes=5)
    assert DEFAULT.levels[Mode.PEAK].enter["wait_ratio"] == 1.2


def _bad(mutate: Any) -> RuleError:
    data = copy.deepcopy(WAITING_ONLY)
    mutate(data)
    with pytest.raises(RuleError) as err:
        parse_mode_config(data)
    return err.value


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d.update(format=2), "format"),
        (lambda d: d["levels"].pop("busy"), "levels.busy"),
        (lambda d: d["levels"]["busy"]["leave"].update(waiting=9), "levels.busy.leave.waiting"),
        (lambda d: d["levels"]["busy"]["leave"].update(wait_ratio=0.5), "levels.busy.enter.wait_ratio"),
        (lambda d: d["levels"]["peak"].update(enter={"waiting": 7}, leave={"waiting": 5}), "levels.peak.enter.waiting"),
        (lambda d: d["levels"]["busy"]["enter"].update(waiting=-1), "levels.busy.enter.waiting"),
        (lambda d: d["levels"]["busy"]["enter"].update(queue=3), "levels.busy.enter.queue"),
        (lambda d: d.update(min_dwell_minutes="5"), "min_dwell_minutes"),
        (lambda d: d.update(windows=[{"mode": "busy", "start": "12:00", "end": "10:00"}]), "windows[0].end"),
        (lambda d: d.update(windows=[{"mode": "idle", "start": "10:00", "end": "12:00"}]), "windows[0].mode"),
        (lambda d: d.update(windows=[{"start": "10:00", "end": "12:00"}]), "windows[0].mode"),
        (
            lambda d: d.update(windows=[{"mode": "busy", "weekdays": ["sa"], "start": "10:00", "end": "12:00"}]),
            "windows[0].weekdays[0]",
        ),
        (lambda d: d.update(windows=[{"mode": "busy", "start": "25:00", "end": "26:00"}]), "windows[0].start"),
        (lambda d: d.update(calendar={"extra_holidays": ["2026-02-30"]}), "calendar.extra_holidays[0]"),
        (lambda d: d.update(calendar={"country": "XX"}), "calendar.country"),
        (
            lambda d: d.update(calendar={"extra_holidays": ["2026-03-09"], "extra_workdays": ["2026-03-09"]}),
            "calendar.extra_workdays",
        ),
    ],
)
def test_bad_configuration_names_the_field(mutate: Any, path: str) -> None:
    """Each invalid configuration is refused with the path of the offending field."""
    assert _bad(mutate).path == path
