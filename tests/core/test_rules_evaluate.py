"""Evaluating rules against a hall's state, and the effects of each action (hallops.core.rules)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from hallops.core.calendar import WorkingCalendar
from hallops.core.modes import Mode
from hallops.core.queueing import Load, Targets, staffing
from hallops.core.rules import (
    CounterInfo,
    Effects,
    HallState,
    Line,
    OpenCountersRequest,
    Rule,
    effects_from,
    evaluate,
    parse_rule,
    render_progress,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()
MONDAY = dt.datetime(2026, 3, 9, 11, 0, tzinfo=SH)
SATURDAY = dt.datetime(2026, 3, 7, 11, 0, tzinfo=SH)
MAKEUP_SATURDAY = dt.datetime(2026, 2, 14, 11, 0, tzinfo=SH)

COUNTERS = (
    CounterInfo(1, "counter", True, frozenset({"new", "sim", "vas"})),
    CounterInfo(2, "counter", True, frozenset({"new", "sim", "vas"})),
    CounterInfo(3, "counter", False, frozenset({"new", "sim", "vas"})),
    CounterInfo(5, "vip", True, frozenset({"new", "sim", "vas"})),
    CounterInfo(6, "fast", True, frozenset({"sim", "vas"})),
)


def state(mode: Mode = Mode.BUSY, **waiting: int) -> HallState:
    waits = {"new": 900.0, "sim": 300.0, "vas": 240.0}
    lines = tuple(Line(code, waiting.get(code, 0), waits[code]) for code in ("new", "sim", "vas"))
    return HallState(mode=mode, lines=lines, counters=COUNTERS, target_wait_seconds=600.0)


def rule(*conditions: dict[str, Any], actions: list[dict[str, Any]] | None = None) -> Rule:
    return parse_rule(
        {"format": 1, "conditions": list(conditions), "actions": actions or [{"type": "block_upselling"}]}
    )


def fires(r: Rule, s: HallState, at: dt.datetime = MONDAY) -> bool:
    return bool(evaluate([r], s, at, CAL))


# ------------------------------------------------------------------------------------------------ conditions


def test_mode_condition() -> None:
    """A mode condition holds when the hall's mode is in the set."""
    r = rule({"type": "mode", "modes": ["busy", "peak"]})
    assert fires(r, state(Mode.BUSY)) and fires(r, state(Mode.PEAK))
    assert not fires(r, state(Mode.NORMAL)) and not fires(r, state(Mode.IDLE))


def test_schedule_condition_uses_weekdays_day_kinds_and_local_time() -> None:
    """Saturday 10–12 on weekend days: a normal Saturday at 11:00 yes; the 调休 Saturday, 12:00, Monday no."""
    r = rule(
        {
            "type": "schedule",
            "windows": [{"weekdays": ["sat"], "day_kinds": ["weekend"], "start": "10:00", "end": "12:00"}],
        }
    )
    assert fires(r, state(), SATURDAY)
    assert not fires(r, state(), MAKEUP_SATURDAY)
    assert not fires(r, state(), SATURDAY.replace(hour=12))
    assert not fires(r, state(), MONDAY)


def test_schedule_condition_with_working_days_includes_makeup_saturdays() -> None:
    """A window on working days (workday, makeup_workday) matches the 调休 Saturday but not an ordinary one."""
    r = rule(
        {
            "type": "schedule",
            "windows": [{"day_kinds": ["workday", "makeup_workday"], "start": "09:00", "end": "24:00"}],
        }
    )
    assert fires(r, state(), MAKEUP_SATURDAY) and fires(r, state(), MONDAY)
    assert not fires(r, state(), SATURDAY)


def test_queue_length_for_the_hall_and_per_line() -> None:
    """``per: hall`` sums the lines; ``per: service`` needs one single line at the threshold (seed 003)."""
    hall = rule({"type": "queue_length", "op": ">=", "value": 3})
    line = rule({"type": "queue_length", "per": "service", "op": ">=", "value": 3})
    spread = state(new=1, sim=1, vas=1)
    assert fires(hall, spread) and not fires(line, spread)
    assert fires(line, state(sim=3))


def test_services_condition_scopes_the_queue() -> None:
    """With a services condition the queue counts only those types."""
    r = rule({"type": "services", "services": ["new"]}, {"type": "queue_length", "op": ">=", "value": 2})
    assert not fires(r, state(sim=5, new=1))
    assert fires(r, state(new=2))


def test_zone_condition_scopes_types_and_counters() -> None:
    """The fast zone's counter serves sim and vas: its queue ignores new; its open counters are 1."""
    queue = rule({"type": "zone", "zones": ["fast"]}, {"type": "queue_length", "op": ">=", "value": 2})
    assert not fires(queue, state(new=9))
    assert fires(queue, state(sim=1, vas=1))
    counters = rule({"type": "zone", "zones": ["fast"]}, {"type": "open_counters", "op": "==", "value": 1})
    assert fires(counters, state())
    assert not fires(rule({"type": "zone", "zones": ["selfservice"]}), state())


def test_estimated_wait_is_the_longest_in_scope() -> None:
    """The hall's longest estimate is new's 15 min; scoped to sim and vas it is 5 min."""
    r = {"type": "estimated_wait", "op": ">=", "minutes": 10}
    assert fires(rule(r), state())
    assert not fires(rule({"type": "services", "services": ["sim", "vas"]}, r), state())


def test_unknown_estimates_are_left_out() -> None:
    """A line without an estimate (no open counter for it) does not count; none known is 0 minutes."""
    s = HallState(mode=Mode.BUSY, lines=(Line("new", 4, None),), counters=())
    assert not fires(rule({"type": "estimated_wait", "op": ">", "minutes": 0}), s)
    assert fires(rule({"type": "estimated_wait", "op": "<=", "minutes": 0}), s)


def test_open_counters_condition() -> None:
    """Four of the five counters are open."""
    assert fires(rule({"type": "open_counters", "op": "==", "value": 4}), state())
    assert not fires(rule({"type": "open_counters", "op": "<", "value": 4}), state())


def test_all_conditions_must_hold_and_the_cause_is_recorded() -> None:
    """A firing needs every condition; it carries the state that caused it, scoped to the rule."""
    r = rule(
        {"type": "mode", "modes": ["busy"]},
        {"type": "services", "services": ["sim", "vas"]},
        {"type": "queue_length", "per": "service", "op": ">=", "value": 3},
    )
    assert not fires(r, state(Mode.NORMAL, sim=4))
    [firing] = evaluate([r], state(Mode.BUSY, sim=4, vas=1, new=7), SATURDAY, CAL)
    assert firing.index == 0
    assert firing.cause == {
        "mode": "busy",
        "local_time": "2026-03-07T11:00",
        "day_kind": "weekend",
        "waiting": 5,
        "estimated_wait_seconds": 300.0,
        "open_counters": 4,
        "services": ["sim", "vas"],
        "lines": {"sim": 4},
    }


def test_evaluate_keeps_rule_order_and_refs() -> None:
    """Firings come in the order of the rules, with each rule's reference."""
    a = parse_rule({"format": 1, "actions": [{"type": "block_upselling"}]}, ref=7)
    b = parse_rule(
        {"format": 1, "conditions": [{"type": "mode", "modes": ["idle"]}], "actions": [{"type": "block_upselling"}]},
        ref=8,
    )
    c = parse_rule({"format": 1, "actions": [{"type": "notify_near_turn", "places_ahead": 2}]}, ref=9)
    assert [f.ref for f in evaluate([a, b, c], state(), MONDAY, CAL)] == [7, 9]


# ----------------------------------------------------------------------------------------- a test per action


def effects(*actions: dict[str, Any], s: HallState | None = None) -> Effects:
    s = s or state()
    return effects_from(evaluate([rule(actions=list(actions))], s, MONDAY, CAL), s)


def test_enable_preacceptance() -> None:
    """Pre-acceptance is offered for the switched-on capable types only, in a managed hall."""
    eff = effects({"type": "enable_preacceptance", "services": ["new"]})
    assert eff.preacceptance == {"new"}
    assert eff.offers_preacceptance("new", capable=True)
    assert not eff.offers_preacceptance("plan", capable=True)
    assert not eff.offers_preacceptance("new", capable=False)
    assert Effects().offers_preacceptance("plan", capable=True)  # unmanaged: as without rules


def test_alert_open_counters_with_a_fixed_count() -> None:
    """A fixed count asks for that many more counters than are open."""
    eff = effects({"type": "alert_open_counters", "count": 2})
    assert eff.open_counters == OpenCountersRequest(more=2, needed=6, open=4, basis="rule")


def test_alert_open_counters_from_staffing() -> None:
    """With count null the number comes from Erlang C staffing of the last hour's arrivals and handling time."""
    s = HallState(
        mode=Mode.PEAK,
        lines=(Line("sim", 12, 900.0),),
        counters=COUNTERS,
        target_wait_seconds=600.0,
        arrivals_per_hour=90.0,
        handling_seconds=240.0,
    )
    expected = staffing(Load(arrival_rate=90 / 3600, service_time=240.0), Targets(target_wait=600.0, service_level=0.8))
    eff = effects({"type": "alert_open_counters", "count": None}, s=s)
    assert expected.servers > 4  # the example needs more than the 4 open counters
    assert eff.open_counters == OpenCountersRequest(
        more=expected.servers - 4, needed=expected.servers, open=4, basis="staffing"
    )


def test_alert_open_counters_from_staffing_when_enough_are_open() -> None:
    """No request when staffing needs no more counters than are open."""
    s = HallState(mode=Mode.BUSY, lines=(), counters=COUNTERS, arrivals_per_hour=10.0, handling_seconds=180.0)
    assert effects({"type": "alert_open_counters", "count": None}, s=s).open_counters is None


def test_alert_open_counters_without_handling_time_is_unquantified() -> None:
    """Without a handling time the staffing model cannot say how many: the request has no number."""
    s = HallState(mode=Mode.BUSY, lines=(), counters=COUNTERS, arrivals_per_hour=60.0, handling_seconds=None)
    request = effects({"type": "alert_open_counters", "count": None}, s=s).open_counters
    assert request is not None and request.more is None and request.basis == "staffing"


def test_block_upselling_everywhere_or_for_some_types() -> None:
    """Without services every counter is blocked; with services only counters serving one of them."""
    everywhere = effects({"type": "block_upselling"})
    assert everywhere.blocks_upselling(["sim"]) and everywhere.blocks_upselling([])
    some = effects({"type": "block_upselling", "services": ["new"]})
    assert some.blocks_upselling(["new", "sim"]) and not some.blocks_upselling(["sim", "vas"])
    assert not Effects().blocks_upselling(["sim"])


def test_force_self_service() -> None:
    """Forced types are diverted; others are not."""
    eff = effects({"type": "force_self_service", "services": ["sim", "vas"]})
    assert eff.forces_self_service("sim") and not eff.forces_self_service("new")


def test_announce_progress() -> None:
    """The templates are filled in with the live figures: '12 人等候，约 15 分钟'."""
    eff = effects(
        {
            "type": "announce_progress",
            "template_zh": "{waiting} 人等候，约 {minutes} 分钟",
            "template_en": "{waiting} waiting, about {minutes} min ({open_counters} counters open)",
        }
    )
    assert eff.progress_lines(12, 15, 4) == ["12 人等候，约 15 分钟", "12 waiting, about 15 min (4 counters open)"]
    assert eff.progress_lines(0, 0, 4) == []  # nobody waits: nothing to announce
    assert eff.progress_lines(3, None, 0) == []  # no estimate: nothing promised
    assert render_progress("约 {minutes} 分钟", 1, 7, 0) == "约 7 分钟"


def test_notify_near_turn() -> None:
    """The widest near-turn notice among the firing rules is kept."""
    s = state()
    firings = evaluate(
        [
            rule(actions=[{"type": "notify_near_turn", "places_ahead": 2}]),
            rule(actions=[{"type": "notify_near_turn", "places_ahead": 4}]),
        ],
        s,
        MONDAY,
        CAL,
    )
    assert effects_from(firings, s).near_turn_places == 4


def test_effects_merge_and_json_round_trip() -> None:
    """Several firing rules: union of sets, first announcement wins, larger request; JSON round trip is exact."""
    s = state(Mode.PEAK, sim=5)
    rules = [
        rule(
            actions=[{"type": "force_self_service", "services": ["sim"]}, {"type": "alert_open_counters", "count": 1}]
        ),
        rule(
            actions=[
                {"type": "force_self_service", "services": ["vas"]},
                {"type": "alert_open_counters", "count": 3},
                {"type": "announce_progress", "template_zh": "甲{waiting}", "template_en": "A"},
            ]
        ),
        rule(actions=[{"type": "announce_progress", "template_zh": "乙", "template_en": "B"}]),
    ]
    eff = effects_from(evaluate(rules, s, MONDAY, CAL), s)
    assert eff.self_service == {"sim", "vas"}
    assert eff.open_counters is not None and eff.open_counters.more == 3
    assert eff.progress_zh == "甲{waiting}"
    assert eff.mode is Mode.PEAK and eff.managed
    assert Effects.from_json(eff.to_json()) == eff


def test_nothing_fires_nothing_is_switched_on() -> None:
    """No firing: a managed hall with no effects."""
    eff = effects_from([], state())
    assert eff == Effects(managed=True, mode=Mode.BUSY)
