"""The rules engine's evaluation step: modes, firings recorded on change, events, versions, idempotence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hallops.core.modes import Mode
from hallops.errors import Invalid
from hallops.hall.models import HallEvent
from hallops.organisation.models import Hall
from hallops.rules.models import ModeChange, ModeConfig, ProcessState, RuleFiring, RuleVersion
from hallops.rules.selectors import hall_effects
from hallops.rules.services import hall_evaluate, halls_evaluate, mode_config_set, rule_create, rule_revise
from tests.factories import Setup, shanghai
from tests.rules.helpers import BUSY, SMALL, add_rule, cancel_all, configure, evaluate, issue, process_events

pytestmark = pytest.mark.django_db


def test_an_unconfigured_hall_is_not_managed(setup: Setup) -> None:
    """Without a mode configuration nothing is decided or written, and the hall has no effects."""
    result = hall_evaluate(hall=setup.hall)
    assert result.mode is None and not result.changed
    assert not ProcessState.objects.exists()
    assert hall_effects(setup.hall).managed is False


def test_first_evaluation_decides_the_mode_and_announces_it(setup: Setup) -> None:
    """The first step stores the mode with its time, logs the change with its signal and appends process.changed."""
    configure(setup.hall)
    issue(setup, 1)
    at = timezone.now()
    result = hall_evaluate(hall=setup.hall, at=at)
    assert result.mode is Mode.NORMAL and result.changed
    state = ProcessState.objects.get(hall=setup.hall)
    assert (state.mode, state.since) == ("normal", at)
    change = ModeChange.objects.get(hall=setup.hall)
    assert (change.from_mode, change.to_mode, change.signal["waiting"]) == ("", "normal", 1.0)
    [event] = process_events(setup.hall)
    assert event.data["mode"] == "normal" and event.data["effects"]["managed"] is True


def test_evaluation_is_idempotent_in_a_steady_hall(setup: Setup) -> None:
    """Evaluating again with nothing changed writes nothing: no event, no firing, no mode change."""
    configure(setup.hall)
    add_rule(setup.hall, "no upselling", {"type": "block_upselling"})
    issue(setup, 3)
    assert evaluate(setup).changed
    counts = (HallEvent.objects.count(), RuleFiring.objects.count(), ModeChange.objects.count())
    state = ProcessState.objects.get(hall=setup.hall)
    for minutes in (0, 1, 2, 30):
        assert not evaluate(setup, minutes).changed
    assert (HallEvent.objects.count(), RuleFiring.objects.count(), ModeChange.objects.count()) == counts
    again = ProcessState.objects.get(hall=setup.hall)
    assert (again.mode, again.since, again.changed_at, again.effects) == (
        state.mode,
        state.since,
        state.changed_at,
        state.effects,
    )


def test_a_firing_is_recorded_once_with_its_cause_and_ended_when_the_rule_stops(setup: Setup) -> None:
    """busy → a firing row (version, start, the state that caused it); back to normal after the dwell → ended."""
    configure(setup.hall)
    rule = add_rule(setup.hall, "no upselling when busy", {"type": "block_upselling"})
    issue(setup, 3)
    first = evaluate(setup)
    assert first.mode is Mode.BUSY and first.started == [rule.current_id]
    firing = RuleFiring.objects.get()
    assert firing.version_id == rule.current_id and firing.ended_at is None
    assert firing.cause["mode"] == "busy" and firing.cause["waiting"] == 3 and firing.cause["open_counters"] == 0
    cancel_all(setup)
    early = evaluate(setup, 2)  # inside the 5-minute dwell: still busy
    assert early.mode is Mode.BUSY and not early.changed
    later = evaluate(setup, 6)
    assert later.mode is Mode.IDLE and later.ended == [rule.current_id]
    firing.refresh_from_db()
    assert firing.ended_at is not None
    assert [e.data["mode"] for e in process_events(setup.hall)] == ["busy", "idle"]


def test_editing_a_rule_adds_a_version_and_firings_keep_theirs(setup: Setup) -> None:
    """An edit is a new version (the old one kept); the old version's firing ends, the new one's starts."""
    configure(setup.hall)
    rule = add_rule(setup.hall, "progress", {"type": "announce_progress", "template_zh": "甲", "template_en": "A"})
    issue(setup, 3)
    evaluate(setup)
    old = rule.current_id
    version = rule_revise(
        rule=rule,
        definition={
            "format": 1,
            "conditions": [BUSY],
            "actions": [{"type": "announce_progress", "template_zh": "乙", "template_en": "B"}],
        },
        note="new wording",
    )
    assert version.number == 2 and RuleVersion.objects.filter(rule=rule).count() == 2
    result = evaluate(setup, 1)
    assert result.started == [version.pk] and result.ended == [old]
    assert hall_effects(setup.hall).progress_zh == "乙"
    assert set(RuleFiring.objects.values_list("version__number", flat=True)) == {1, 2}


def test_revising_with_the_same_definition_adds_no_version(setup: Setup) -> None:
    """Saving an unchanged definition keeps the current version."""
    rule = add_rule(setup.hall, "r", {"type": "block_upselling"})
    same = rule_revise(rule=rule, definition=rule.current.definition)
    assert same.pk == rule.current_id and RuleVersion.objects.filter(rule=rule).count() == 1


def test_disabled_rules_do_not_fire(setup: Setup) -> None:
    """A switched-off rule is not evaluated."""
    configure(setup.hall)
    rule = add_rule(setup.hall, "r", {"type": "block_upselling"}, conditions=[])
    rule.enabled = False
    rule.save()
    evaluate(setup)
    assert not RuleFiring.objects.exists() and not hall_effects(setup.hall).upselling_blocked


def test_switching_the_engine_off_clears_the_effects_once(setup: Setup) -> None:
    """Disabling the hall's configuration ends the firings, clears the effects and announces it once."""
    configure(setup.hall)
    add_rule(setup.hall, "r", {"type": "block_upselling"}, conditions=[])
    evaluate(setup)
    assert hall_effects(setup.hall).upselling_blocked
    ModeConfig.objects.filter(hall=setup.hall).update(enabled=False)
    assert evaluate(setup, 1).changed
    assert hall_effects(setup.hall) == hall_effects(setup.other_hall)  # both unmanaged now
    assert RuleFiring.objects.get().ended_at is not None
    assert not evaluate(setup, 2).changed
    assert [e.data["mode"] for e in process_events(setup.hall)] == ["idle", None]


def test_scheduled_saturday_window_makes_the_hall_busy(setup: Setup) -> None:
    """Saturday 10:00–12:00 on weekend days: busy with nobody waiting; not on the 调休 Saturday 2026-02-14."""
    window = {"mode": "busy", "weekdays": ["sat"], "day_kinds": ["weekend"], "start": "10:00", "end": "12:00"}
    configure(setup.hall, windows=[window])
    saturday = hall_evaluate(hall=setup.hall, at=shanghai(2026, 3, 7, 10, 30))
    assert saturday.mode is Mode.BUSY
    assert ModeChange.objects.get().reason == "schedule"
    assert hall_evaluate(hall=setup.hall, at=shanghai(2026, 3, 7, 12, 0)).mode is Mode.IDLE
    ProcessState.objects.all().delete()
    assert hall_evaluate(hall=setup.hall, at=shanghai(2026, 2, 14, 10, 30)).mode is Mode.IDLE


def test_halls_evaluate_covers_configured_halls_only(setup: Setup) -> None:
    """The periodic job evaluates halls with a configuration; a second run in a steady hall changes nothing."""
    configure(setup.hall)
    assert halls_evaluate() == 1
    assert halls_evaluate() == 0
    assert not ProcessState.objects.filter(hall=setup.other_hall).exists()


def test_bad_mode_configuration_is_refused_naming_the_field(setup: Setup) -> None:
    """The service validates with the core parser; the error names the field under ``config``."""
    bad = {**SMALL, "levels": {**SMALL["levels"], "busy": {"enter": {"waiting": 3}, "leave": {"waiting": 4}}}}
    with pytest.raises(Invalid) as err:
        mode_config_set(hall=setup.hall, config=bad)
    assert err.value.field == "config.levels.busy.leave.waiting"
    assert not ModeConfig.objects.exists()


def test_rules_are_checked_against_the_catalog(setup: Setup) -> None:
    """Unknown business types, and pre-acceptance for a type that is not capable, are refused by field."""
    with pytest.raises(Invalid) as err:
        add_rule(setup.hall, "r", {"type": "force_self_service", "services": ["value_added", "fax"]})
    assert err.value.field == "definition.actions[0].services[1]"
    with pytest.raises(Invalid) as err:
        add_rule(setup.hall, "r", {"type": "enable_preacceptance", "services": ["value_added"]})
    assert err.value.field == "definition.actions[0].services[0]"
    with pytest.raises(Invalid) as err:
        rule_create(hall=setup.hall, name=" ", definition={"format": 1, "actions": [{"type": "block_upselling"}]})
    assert err.value.field == "name"


def test_each_hall_has_its_own_state(setup: Setup) -> None:
    """Evaluating one hall leaves the other hall's state and events alone."""
    configure(setup.hall)
    configure(setup.other_hall)
    issue(setup, 3)
    evaluate(setup)
    hall_evaluate(hall=setup.other_hall)
    modes = dict(ProcessState.objects.values_list("hall__code", "mode"))
    assert modes == {"h1": "busy", "h2": "idle"}
    assert Hall.objects.get(pk=setup.other_hall.pk).event_seq == 1


def test_mode_change_since_is_kept_while_steady(setup: Setup) -> None:
    """``since`` is when the mode was entered, not the last evaluation."""
    configure(setup.hall)
    issue(setup, 3)
    at = timezone.now()
    hall_evaluate(hall=setup.hall, at=at)
    issue(setup, 1)  # 4 waiting: still busy
    hall_evaluate(hall=setup.hall, at=at + dt.timedelta(minutes=3))
    assert ProcessState.objects.get().since == at


def test_a_stored_rule_that_no_longer_validates_is_skipped(setup: Setup) -> None:
    """A rule naming a business type since removed from the catalog is left out; the others still apply."""
    configure(setup.hall)
    add_rule(setup.hall, "vas", {"type": "force_self_service", "services": ["value_added"]}, conditions=[])
    add_rule(setup.hall, "all", {"type": "block_upselling"}, conditions=[])
    setup.services["vas"].active = False
    setup.services["vas"].save()
    result = evaluate(setup)
    assert result.effects.upselling_blocked and not result.effects.self_service
