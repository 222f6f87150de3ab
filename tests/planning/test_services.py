"""Planning from the database: the hall's forecast, measured figures, a day's plan (requirement, roster, gaps),
the nightly plans and the what-if runs."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

import pytest

from hallops.analytics.models import Source
from hallops.analytics.selectors import records_for
from hallops.analytics.services import records_load
from hallops.audit.models import AuditLog
from hallops.core.calendar import WorkingCalendar
from hallops.core.forecast import arrivals_from_records, fit
from hallops.core.roles import Role
from hallops.core.sim.scenario import Variant, parse_scenario
from hallops.errors import Forbidden, Invalid, NotFound
from hallops.organisation.models import StaffRole
from hallops.planning import selectors, services, tasks
from hallops.planning.models import Plan, PlanMethod, PlanSource, RunPreset, RunState, WhatIfRun
from hallops.planning.services import WhatIfChanges
from tests.analytics.history import rec
from tests.factories import Setup, shanghai, user_with_role
from tests.planning.helpers import AT, DAY, ERLANG, HISTORY_END, QUICK, TODAY, load_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def hall_setup(setup: Setup) -> Setup:
    load_history(setup.hall)
    return setup


def _plan(s: Setup, **kw: object) -> Plan:
    return services.plan_for_day(hall=s.hall, day=DAY, settings=kw.pop("settings", QUICK), at=AT, **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------------- forecast


def test_forecast_from_the_database_equals_the_core_forecast_of_the_same_records(hall_setup: Setup) -> None:
    """The hall's arrivals history (read from the tickets' first rows) is the core's count of the same records,
    and the forecast is the core's forecast of that history with the hall's calendar."""
    hall = hall_setup.hall
    fc = services.forecast_for_hall(hall, DAY, DAY + dt.timedelta(days=6), today=TODAY)
    records = records_for(halls=[hall], start=fc.history.start, end=fc.history.end)
    history = arrivals_from_records(records, tz=hall.tz)
    assert history == fc.history
    model = fit(history, WorkingCalendar("CN"))
    assert model.predict_range(DAY, DAY + dt.timedelta(days=6)) == fc.days
    assert sum(d.total() for d in fc.days) > 0


def test_the_forecast_uses_only_records_before_the_day_and_before_today(hall_setup: Setup) -> None:
    """Today's records are incomplete and a day's own records are what it forecasts: neither is used."""
    hall = hall_setup.hall
    before = services.forecast_for_hall(hall, DAY, DAY, today=TODAY)
    assert before.history.end == HISTORY_END
    today_ticket = rec("Z001", shanghai(2026, 3, 9, 10, 0), service="sim_replacement")
    records_load(hall=hall, records=[today_ticket], source=Source.IMPORT)
    after = services.forecast_for_hall(hall, DAY, DAY, today=TODAY)
    assert after.history == before.history and after.days == before.days
    past = services.forecast_for_hall(hall, HISTORY_END - dt.timedelta(days=2), HISTORY_END, today=TODAY)
    assert past.history.end == HISTORY_END - dt.timedelta(days=3)


def test_forecast_errors_name_the_field(setup: Setup) -> None:
    with pytest.raises(Invalid) as no_history:
        services.forecast_for_hall(setup.hall, DAY, DAY, today=TODAY)
    assert (no_history.value.field, no_history.value.code) == ("hall", "no_history")
    load_history(setup.hall, days=7)
    with pytest.raises(Invalid) as backwards:
        services.forecast_for_hall(setup.hall, DAY, DAY - dt.timedelta(days=1), today=TODAY)
    assert backwards.value.field == "end"
    with pytest.raises(Invalid) as too_early:
        services.forecast_for_hall(setup.hall, dt.date(2020, 1, 1), dt.date(2020, 1, 1), today=TODAY)
    assert too_early.value.field == "date"


def test_measured_figures_come_from_the_records(setup: Setup) -> None:
    """Service time mean and CV per business type; patience by maximum likelihood (abandonments ÷ the total
    time customers spent waiting, served or not)."""
    m = dt.timedelta(minutes=1)
    t0 = shanghai(2026, 3, 2, 9, 0)
    records = []
    services_seconds = []
    for i in range(60):
        issued = t0 + i * m
        minutes = 2 if i % 2 else 4
        records.append(rec(f"B{i:03d}", issued, ended_at=issued + 2 * m + minutes * m))
        services_seconds.append(minutes * 60.0)
    for i in range(25):
        records.append(rec(f"C{i:03d}", t0 + i * m, "cancelled", service="value_added"))
    records_load(hall=setup.hall, records=records, source=Source.IMPORT)
    f = selectors.hall_figures(setup.hall, t0.date(), t0.date())
    sim = f.services["sim_replacement"]
    assert sim.done == 60
    assert sim.service_mean == pytest.approx(statistics.mean(services_seconds))
    assert sim.service_cv == pytest.approx(statistics.stdev(services_seconds) / statistics.mean(services_seconds))
    waited = 60 * 120.0 + 25 * 300.0  # served tickets are called after 2 minutes; the others gave up after 5
    assert f.abandonments == 25
    assert f.patience_minutes == pytest.approx(waited / 25 / 60)
    assert f.tickets == 85


# ------------------------------------------------------------------------------------------------------- plans


def test_a_plan_stores_forecast_requirement_roster_and_scenario(hall_setup: Setup) -> None:
    plan = _plan(hall_setup)
    d = plan.data
    slots = d["window"]["slots"]
    req = d["requirement"]
    assert plan.method == PlanMethod.SIMULATION and plan.source == PlanSource.COMMAND
    assert len(req["slots"]) == slots and d["window"]["start"] == "09:00" and d["window"]["end"] == "18:00"
    for key in ("counters", "erlang_counters", "clerks", "assistants", "met"):
        assert len(req[key]) == slots, key
    assert all(1 <= n <= len(hall_setup.counters) for n in req["counters"])
    assert plan.forecast_arrivals == pytest.approx(sum(d["forecast"]["by_slot"]))
    assert plan.counter_hours == sum(req["counters"]) / 2
    scenario = parse_scenario(d["scenario"])
    assert [sum(c.open[j] for c in scenario.counters) for j in range(slots)] == req["counters"]
    assert list(scenario.clerks) == req["clerks"] and list(scenario.assistants) == req["assistants"]
    assert len(d["forecast"]["recent"]["days"]) == 14
    assert selectors.latest_plan(hall_setup.hall, DAY) == plan


def test_the_roster_covers_the_requirement_or_lists_what_is_missing(hall_setup: Setup) -> None:
    """For every zone and half hour the gaps list exactly the heads required and not rostered."""
    plan = _plan(hall_setup, settings=ERLANG)
    d = plan.data
    missing: dict[tuple[str, str], int] = {}
    for g in d["gaps"]:
        for at in range(g["start_minutes"], g["end_minutes"], 30):
            missing[(g["role"], f"{at // 60:02d}:{at % 60:02d}")] = g["missing"]
    for role, cells in d["roster"]["coverage"].items():
        for cell in cells:
            assert missing.get((role, cell["start"]), 0) == max(0, cell["required"] - cell["rostered"]), (role, cell)
    assert plan.uncovered == sum(missing.values())
    zone_of = {"counter": "counters", "preaccept": "clerks", "kiosk": "assistants"}
    for role, cells in d["roster"]["coverage"].items():
        assert [c["required"] for c in cells] == d["requirement"][zone_of[role]]


def test_with_enough_staff_every_half_hour_is_covered(hall_setup: Setup) -> None:
    for i in range(6):
        user_with_role(f"extra_agent{i}", Role.AGENT, hall_setup.hall)
    for i in range(3):
        user_with_role(f"extra_clerk{i}", Role.PREACCEPT, hall_setup.hall)
        user_with_role(f"extra_assistant{i}", Role.SELFSERVICE, hall_setup.hall)
    plan = _plan(hall_setup, settings=ERLANG)
    assert plan.data["gaps"] == [] and plan.uncovered == 0
    assert plan.data["roster"]["status"] == "optimal"


def test_without_staff_every_required_head_is_a_gap(hall_setup: Setup) -> None:
    StaffRole.objects.filter(hall=hall_setup.hall, role__in=["agent", "preaccept", "selfservice"]).delete()
    plan = _plan(hall_setup, settings=ERLANG)
    req = plan.data["requirement"]
    assert plan.data["roster"]["shifts"] == []
    assert plan.uncovered == sum(req["counters"]) + sum(req["clerks"]) + sum(req["assistants"])


def test_the_hall_s_current_rules_and_modes_go_into_the_scenario(hall_setup: Setup) -> None:
    """Enabled rules at their current version, in order, and the mode configuration when it is enabled."""
    from hallops.core.modes import DEFAULT_CONFIG
    from hallops.rules.services import mode_config_set, rule_create, rule_revise, rule_update

    block = {"format": 1, "conditions": [], "actions": [{"type": "block_upselling"}]}
    busy = {"format": 1, "conditions": [{"type": "mode", "modes": ["busy"]}], "actions": block["actions"]}
    pre = {"format": 1, "conditions": [], "actions": [{"type": "enable_preacceptance", "services": ["new_subscriber"]}]}
    first = rule_create(hall=hall_setup.hall, name="first", definition=block, order=1)
    rule_revise(rule=first, definition=busy)
    off = rule_create(hall=hall_setup.hall, name="off", definition=block, order=2)
    rule_update(rule=off, enabled=False)
    rule_create(hall=hall_setup.hall, name="third", definition=pre, order=3)
    rule_create(hall=hall_setup.other_hall, name="elsewhere", definition=block)
    mode_config_set(hall=hall_setup.hall, config=DEFAULT_CONFIG, enabled=True)
    scenario = _plan(hall_setup, settings=ERLANG).data["scenario"]
    assert scenario["rules"] == [busy, pre] and scenario["modes"] == DEFAULT_CONFIG
    mode_config_set(hall=hall_setup.hall, config=DEFAULT_CONFIG, enabled=False)
    assert "modes" not in _plan(hall_setup, settings=ERLANG).data["scenario"]


def test_erlang_only_plans_are_erlang_first_guess(hall_setup: Setup) -> None:
    plan = _plan(hall_setup, settings=ERLANG)
    assert plan.method == PlanMethod.ERLANG
    assert plan.data["requirement"]["counters"] == plan.data["requirement"]["erlang_counters"]


def test_replanning_needs_planning_manage_in_the_hall(hall_setup: Setup) -> None:
    with pytest.raises(Forbidden):
        _plan(hall_setup, actor=hall_setup.actor("agent1"), settings=ERLANG)
    with pytest.raises(NotFound):
        _plan(hall_setup, actor=hall_setup.actor("agent_b"), settings=ERLANG)
    assert Plan.objects.count() == 0
    plan = _plan(hall_setup, actor=hall_setup.actor("manager"), source=PlanSource.MANUAL, settings=ERLANG)
    assert plan.created_by == hall_setup.users["manager"]
    row = AuditLog.objects.get(action="planning.plan")
    assert (row.object_id, row.hall_id, row.actor_name) == (str(plan.pk), hall_setup.hall.pk, "manager")


def test_the_nightly_job_plans_tomorrow_once_after_20_local(hall_setup: Setup) -> None:
    """Before 20:00 hall-local nothing; after, tomorrow's plan for each hall that has records (the other hall
    has none and is skipped); run again the same evening, nothing more."""
    assert services.plans_nightly(at=AT - dt.timedelta(minutes=1), settings=ERLANG) == 0
    assert services.plans_nightly(at=AT, settings=ERLANG) == 1
    plan = Plan.objects.get()
    assert (plan.hall, plan.day, plan.source) == (hall_setup.hall, DAY, PlanSource.NIGHTLY)
    assert services.plans_nightly(at=AT + dt.timedelta(hours=2), settings=ERLANG) == 0


def test_the_periodic_task_runs_the_nightly_job(hall_setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """The Huey task (immediate in tests) plans tomorrow when it is evening in the hall."""
    monkeypatch.setattr(tasks.timezone, "now", lambda: AT)
    monkeypatch.setattr(services, "NIGHTLY_SETTINGS", ERLANG)
    tasks.plan_tomorrow()
    assert list(Plan.objects.values_list("day", "source")) == [(DAY, PlanSource.NIGHTLY)]


def test_the_demo_plans_tomorrow_for_its_halls(hall_setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "DEMO_SETTINGS", ERLANG)
    old = _plan(hall_setup, settings=ERLANG)
    plans = services.plans_demo_load(halls=[hall_setup.hall], at=AT)
    assert [(p.day, p.source) for p in plans] == [(DAY, PlanSource.DEMO)]
    assert not Plan.objects.filter(pk=old.pk).exists()


# ----------------------------------------------------------------------------------------------------- what-if


def _start(s: Setup, plan: Plan, capture: Any, **kw: object) -> WhatIfRun:
    with capture(execute=True):
        run = services.whatif_start(
            actor=s.actor("manager"),
            hall=s.hall,
            plan=plan,
            changes=kw.pop("changes", WhatIfChanges()),  # type: ignore[arg-type]
            replications=kw.pop("replications", 3),  # type: ignore[arg-type]
            **kw,  # type: ignore[arg-type]
        )
    run.refresh_from_db()
    return run


def test_a_whatif_run_is_simulated_by_the_task_with_its_progress(
    hall_setup: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    """The run is queued in the transaction and simulated after COMMIT (the task runs immediately in tests):
    both sides, every replication counted. Without changes both sides are the same days, so every paired
    difference is exactly 0."""
    plan = _plan(hall_setup, settings=ERLANG)
    run = _start(hall_setup, plan, django_capture_on_commit_callbacks)
    assert run.state == RunState.DONE and run.done == run.total == 6
    assert run.started_at is not None and run.finished_at is not None
    result = run.result
    assert result["a"]["replications"] == result["b"]["replications"] == 3
    assert result["a"]["kpis"] == result["b"]["kpis"]
    differences = [v for v in result["difference"].values() if v is not None]
    assert differences and all(v["mean"] == 0 for v in differences)
    assert AuditLog.objects.filter(action="planning.whatif", object_id=str(run.pk)).count() == 1


def test_whatif_changes_reach_the_simulated_scenario(
    hall_setup: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    plan = _plan(hall_setup, settings=ERLANG)
    slots = plan.data["window"]["slots"]
    counters = tuple([1] * slots)
    changes = WhatIfChanges(
        counters=counters, kiosk_share=0.5, clerks=(0,) * slots, service_minutes={"value_added": 9.0}
    )
    run = _start(hall_setup, plan, django_capture_on_commit_callbacks, changes=changes)
    a = parse_scenario(run.scenarios["a"]["scenario"])
    b = parse_scenario(run.scenarios["b"]["scenario"])
    assert a == parse_scenario(dict(plan.data["scenario"], replications=3))
    assert [sum(c.open[j] for c in b.counters) for j in range(slots)] == list(counters)
    kiosk = [t for t in b.business_types if t.kiosk and not t.forced]
    assert kiosk and all(t.kiosk_share == 0.5 for t in kiosk)
    assert next(t for t in b.business_types if t.code == "value_added").service.mean == 9 * 60
    assert set(b.clerks) == {0}
    # one counter all day instead of the plan's: customers wait longer, on the same customers
    assert run.result["difference"]["wait_mean_seconds"]["mean"] > 0


def test_the_zones_preset_compares_a_single_counter_zone_with_four_zones(
    hall_setup: Setup, django_capture_on_commit_callbacks: Any
) -> None:
    plan = _plan(hall_setup, settings=ERLANG)
    run = _start(hall_setup, plan, django_capture_on_commit_callbacks, preset=RunPreset.ZONES)
    assert run.scenarios["a"]["scenario"]["variant"] == Variant.COUNTER_ONLY.value
    assert run.scenarios["b"]["scenario"]["variant"] == Variant.FOUR_ZONES.value
    assert run.result["a"]["kpis"]["diversion_share"]["mean"] == 0
    assert run.result["b"]["kpis"]["diversion_share"]["mean"] > 0  # payment is forced to self-service
    assert run.result["a"]["kpis"]["arrivals"] == run.result["b"]["kpis"]["arrivals"]  # the same customers


def test_a_run_is_executed_once(hall_setup: Setup, django_capture_on_commit_callbacks: Any) -> None:
    plan = _plan(hall_setup, settings=ERLANG)
    run = _start(hall_setup, plan, django_capture_on_commit_callbacks)
    assert services.whatif_execute(run_id=run.pk) is None


def test_a_failing_run_ends_failed_with_its_error(hall_setup: Setup) -> None:
    plan = _plan(hall_setup, settings=ERLANG)
    manager = hall_setup.actor("manager")
    run = services.whatif_start(actor=manager, hall=hall_setup.hall, plan=plan, changes=WhatIfChanges())
    assert run.state == RunState.QUEUED  # the task is handed over only after COMMIT
    broken = dict(run.scenarios)
    broken["b"] = {"label": "what_if", "scenario": {"format": 1}}
    WhatIfRun.objects.filter(pk=run.pk).update(scenarios=broken)
    done = services.whatif_execute(run_id=run.pk)
    assert done is not None and done.state == RunState.FAILED and "hall" in done.error


def test_whatif_start_checks_its_input(hall_setup: Setup) -> None:
    plan = _plan(hall_setup, settings=ERLANG)
    manager = hall_setup.actor("manager")
    with pytest.raises(Invalid) as few:
        services.whatif_start(actor=manager, hall=hall_setup.hall, plan=plan, changes=WhatIfChanges(), replications=1)
    assert few.value.field == "replications"
    with pytest.raises(Invalid) as bad:
        services.whatif_start(
            actor=manager, hall=hall_setup.hall, plan=plan, changes=WhatIfChanges(service_minutes={"value_added": -1})
        )
    assert bad.value.field.startswith("b.business_types")
    with pytest.raises(Invalid) as other:
        services.whatif_start(
            actor=hall_setup.actor("admin"), hall=hall_setup.other_hall, plan=plan, changes=WhatIfChanges()
        )
    assert other.value.field == "plan"
    with pytest.raises(Forbidden):
        agent = hall_setup.actor("agent1")
        services.whatif_start(actor=agent, hall=hall_setup.hall, plan=plan, changes=WhatIfChanges())
    assert WhatIfRun.objects.count() == 0
