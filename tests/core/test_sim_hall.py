"""The four-zone hall simulator (hallops.core.sim.hall): the live policy, zones, rules, records and KPIs.

Each test states one behaviour of the model and checks it on the records or on the day's own data. Exact
expected values (the seeded regression tests at the end) were recorded from this implementation: a change to
a random stream or to the model changes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallops.core.kpi import Outcome, TransactionRecord, compute_kpis, record_errors
from hallops.core.policy import QueueEntry, pick_next, queue_rank
from hallops.core.sim.hall import (
    PRIORITY_CLASSES,
    DayRun,
    batch_estimate,
    day_records,
    interval,
    simulate_day,
    simulate_hall,
    t975,
)
from hallops.core.sim.scenario import Variant, load_scenario, parse_scenario
from tests.core.sim_hall_docs import EXAMPLES, base_doc, scenario

SH = ZoneInfo("Asia/Shanghai")


def _called(records: list[TransactionRecord]) -> list[TransactionRecord]:
    return [r for r in records if r.called_at is not None]


# --- reproducibility and records --------------------------------------------------------------------------


def test_a_seed_fixes_the_day_and_another_seed_changes_it() -> None:
    """The same seed and replication give the same records; another replication or seed gives others."""
    sc = scenario()
    first = day_records(simulate_day(sc, seed=3, replication=0))
    assert day_records(simulate_day(sc, seed=3, replication=0)) == first
    assert day_records(simulate_day(sc, seed=3, replication=1)) != first
    assert day_records(simulate_day(sc, seed=4, replication=0)) != first


@pytest.mark.parametrize("hall", ["ty01", "ty02"])
@pytest.mark.parametrize("variant", list(Variant))
def test_the_records_are_consistent_histories(hall: str, variant: Variant) -> None:
    """A simulated day of each demo hall, in both variants, is a valid history for the KPI code (no record
    error), and every ticket ends in exactly one final state."""
    sc = load_scenario(EXAMPLES / f"scenario-{hall}.json").with_variant(variant)
    run = simulate_day(sc, replication=2)
    records = day_records(run)
    assert record_errors(records, tz=SH) == []
    final = {Outcome.DONE, Outcome.CANCELLED, Outcome.DIVERTED, Outcome.NOT_SERVED}
    finals: dict[str, int] = {}
    for r in records:
        if r.outcome in final:
            finals[r.ticket] = finals.get(r.ticket, 0) + 1
    no_shows = {r.ticket for r in records if r.outcome is Outcome.NO_SHOW}
    tickets = {r.ticket for r in records}
    assert all(n == 1 for n in finals.values())
    # a no-show that was cancelled (or kept) has no final row of its own
    assert tickets - set(finals) <= no_shows
    assert len(run.arrival) == len({(r.ticket) for r in records if r.outcome is not Outcome.NO_SHOW}) + len(
        tickets - set(finals)
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 1_000),
    load=st.floats(0.3, 2.5),
    no_show=st.sampled_from([0.0, 0.2]),
    policy=st.sampled_from(["push_back", "cancel", "keep"]),
    patience=st.sampled_from([None, 2.0, 15.0]),
    clerks=st.integers(0, 2),
    assistants=st.integers(0, 2),
    variant=st.sampled_from(list(Variant)),
    always_rule=st.booleans(),
)
def test_every_customer_is_accounted_for(
    seed: int,
    load: float,
    no_show: float,
    policy: str,
    patience: float | None,
    clerks: int,
    assistants: int,
    variant: Variant,
    always_rule: bool,
) -> None:
    """Whatever the load, no-shows, patience, staff, variant and rules: the records are a valid history, every
    arrival is either diverted or holds one ticket, and every ticket ends exactly once (served, abandoned, not
    served, or ended by a no-show policy)."""
    doc = base_doc()
    for t in doc["business_types"]:
        a = t["arrivals"]
        if "per_half_hour" in a:
            a["per_half_hour"] = [x * load for x in a["per_half_hour"]]
        else:
            a["daily"] *= load
    doc["variant"] = variant.value
    doc["no_show"] = {"share": no_show, "policy": policy}
    doc["patience"] = None if patience is None else {"distribution": "exponential", "mean_minutes": patience}
    doc["preacceptance"] = {"clerks": clerks}
    doc["self_service"] = {"assistants": assistants, "help_share": 0.5}
    if always_rule:
        doc["rules"] = [_rule([], [{"type": "enable_preacceptance", "services": ["complex"]}])]
    run = simulate_day(parse_scenario(doc), seed=seed)
    records = day_records(run)
    assert record_errors(records, tz=SH) == []
    diverted = {r.ticket for r in records if r.outcome is Outcome.DIVERTED}
    tickets = {r.ticket for r in records} - diverted
    assert len(diverted) + len(tickets) == len(run.arrival) == len(run.ticket)
    assert len(tickets) == run.counter_tickets == len(run.ticket_customer)
    ends = [r.ticket for r in records if r.outcome in (Outcome.DONE, Outcome.CANCELLED, Outcome.NOT_SERVED)]
    assert len(ends) == len(set(ends))
    ended_by_policy = tickets - set(ends)
    if policy == "push_back" or not no_show:
        assert not ended_by_policy
    assert all(any(r.ticket == t and r.outcome is Outcome.NO_SHOW for r in records) for t in ended_by_policy)


def test_the_kpis_are_compute_kpis_of_the_records() -> None:
    """simulate_hall's KPIs per replication are compute_kpis of that day's records, and the summary is their
    mean with a Student-t 95% interval."""
    sc = scenario()
    result = simulate_hall(sc, replications=3)
    complex_services = frozenset({"complex"})
    for rep in result.replications:
        assert rep.kpis == compute_kpis(day_records(rep.run), tz=SH, complex_services=complex_services).total
    waits = [rep.kpis.wait_mean_seconds for rep in result.replications if rep.kpis is not None]
    assert result.kpis["wait_mean_seconds"] == interval([w for w in waits if w is not None])
    assert result.to_json()["replications"] == 3


# --- the queue policy -------------------------------------------------------------------------------------


def _check_calls_follow_pick_next(run: DayRun) -> int:
    """Every call is pick_next over the tickets waiting at that moment (issued, not yet called, not gone) of
    the counter's business types, ranked with queue_rank. Returns the number of calls checked."""
    sc = run.scenario
    start = sc.start.astimezone(dt.UTC)
    every = [t.code for t in sc.business_types if not t.forced]
    serves = [set(c.skills or every) for c in sc.counters]
    gone = {row[0]: row[6] for row in run.rows if row[1] == 2}  # cancelled while waiting
    entries: dict[int, QueueEntry] = {}
    for c, tid in enumerate(run.ticket):
        if tid is None:
            continue
        priority, star = PRIORITY_CLASSES[run.pclass[c]]
        issued = start + dt.timedelta(seconds=run.issued[c])
        entries[c] = QueueEntry(tid, sc.business_types[run.ctype[c]].code, queue_rank(issued, priority, star), issued)
    checked = 0
    for row in run.rows:
        c, at, k = row[0], row[2], row[7]
        if at is None:
            continue
        waiting = [
            entry
            for other, entry in entries.items()
            if run.issued[other] <= at
            and (run.first_call[other] is None or run.first_call[other] >= at)  # type: ignore[operator]
            and gone.get(other, float("inf")) > at  # type: ignore[operator]
        ]
        chosen = pick_next(waiting, serves[k])
        assert chosen is not None and chosen.id == run.ticket[c], (c, k, at)
        checked += 1
    return checked


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), vip=st.sampled_from([0.0, 0.15]), rate=st.sampled_from([1.0, 1.6]))
def test_every_call_is_pick_next_of_the_waiting_queue(seed: int, vip: float, rate: float) -> None:
    """With priorities (elderly, appointment, VIP stars), skills (a fast counter for one type) and
    abandonment, each ticket a counter calls is exactly what policy.pick_next chooses from all tickets waiting
    at that moment for the counter's business types, ranked by policy.queue_rank."""
    doc = base_doc()
    doc["priorities"] = {"elderly": 0.1, "appointment": 0.05, "vip": vip, "vip_stars": [0, 0, 0, 0, 1]}
    for t in doc["business_types"]:
        a = t["arrivals"]
        if "per_half_hour" in a:
            a["per_half_hour"] = [x * rate for x in a["per_half_hour"]]
        else:
            a["daily"] *= rate
    doc["quote_waits"] = False
    sc = parse_scenario(doc)
    run = simulate_day(sc, seed=seed)
    records = day_records(run)
    assert _check_calls_follow_pick_next(run) == len(_called(records)) > 0


def test_priorities_move_tickets_forward() -> None:
    """Over a busy day, VIP and elderly customers wait less than normal ones (their rank is earlier)."""
    doc = base_doc()
    doc["priorities"] = {"elderly": 0.15, "vip": 0.15}
    doc["patience"] = None
    for t in doc["business_types"]:
        t.pop("routing", None)
    sc = parse_scenario(doc)
    waits: dict[str, list[float]] = {}
    for r in range(6):
        for rec in day_records(simulate_day(sc, replication=r)):
            if rec.called_at is not None and rec.outcome is Outcome.DONE:
                waits.setdefault(rec.priority, []).append((rec.called_at - rec.issued_at).total_seconds())
    mean = {k: sum(v) / len(v) for k, v in waits.items()}
    assert mean["vip"] < mean["elderly"] < mean["normal"]


# --- counters, skills, schedules, pauses ------------------------------------------------------------------


def test_counters_serve_only_their_skills_and_only_while_open() -> None:
    """A counter calls only its business types, never before its schedule opens it, never during its pause,
    and after closing only the customers still waiting (no one arrives then)."""
    doc = base_doc()
    doc["pauses"] = [{"counter": 1, "start": "10:00", "minutes": 20}]
    sc = parse_scenario(doc)
    start = sc.start
    for rep in range(3):
        run = simulate_day(sc, replication=rep)
        for r in _called(day_records(run)):
            assert r.called_at is not None
            minutes = (r.called_at - start).total_seconds() / 60
            if r.counter == "3":
                assert r.service == "simple"
            if r.counter == "2":
                assert minutes >= 30
            if r.counter == "1":
                assert not (60 + 6 < minutes < 80)  # the pause starts when its customer leaves (at most ~6 min)
            assert r.service != "payment"


def test_forced_types_never_reach_a_counter_in_four_zones_but_do_in_the_single_zone() -> None:
    """Four zones: forced self-service types are diverted (self-service), kiosk customers are partly diverted.
    Counter zone only: every customer takes a counter ticket and nobody is diverted."""
    sc = scenario()
    four = day_records(simulate_day(sc))
    one = day_records(simulate_day(sc.with_variant(Variant.COUNTER_ONLY)))
    assert all(r.outcome is Outcome.DIVERTED for r in four if r.service == "payment")
    assert any(r.outcome is Outcome.DIVERTED for r in four if r.service == "simple")
    assert not any(r.outcome is Outcome.DIVERTED for r in one)
    assert any(r.service == "payment" and r.outcome is Outcome.DONE for r in one)
    assert not any(r.pre_order for r in one)


def test_both_variants_see_the_same_customers() -> None:
    """Common random numbers: the two variants of a scenario get the same arrivals, types and priorities."""
    sc = scenario()
    four = simulate_day(sc, replication=1)
    one = simulate_day(sc.with_variant(Variant.COUNTER_ONLY), replication=1)
    assert (four.arrival, four.ctype, four.pclass) == (one.arrival, one.ctype, one.pclass)


# --- zones: pre-acceptance, kiosks ------------------------------------------------------------------------


def test_a_ready_pre_order_shortens_communication_by_the_factor() -> None:
    """With fixed service times, a transaction with a ready pre-order has communication × factor, one without
    the full communication; operation is the same."""
    doc = base_doc()
    doc["business_types"][1]["service"] = {"mean_minutes": 6, "distribution": "fixed", "communication_share": 0.6}
    doc["preacceptance"] = {"clerks": 2, "communication_factor": 0.25}
    doc["business_types"][1]["arrivals"] = {"daily": 60, "profile": [1, 2, 2, 1]}
    sc = parse_scenario(doc)
    records = [r for r in day_records(simulate_day(sc)) if r.service == "complex" and r.outcome is Outcome.DONE]
    with_pre = [r for r in records if r.pre_order]
    without = [r for r in records if not r.pre_order]
    assert with_pre and without
    for r, factor in [(r, 0.25) for r in with_pre] + [(r, 1.0) for r in without]:
        assert r.communication_at is not None and r.operation_at is not None and r.ended_at is not None
        assert (r.operation_at - r.communication_at).total_seconds() == pytest.approx(216 * factor, abs=1e-5)
        assert (r.ended_at - r.operation_at).total_seconds() == pytest.approx(144, abs=1e-5)


def test_no_clerk_no_pre_order() -> None:
    """Without clerks on duty nobody gets a pre-order, and the customers routed there take a counter ticket."""
    sc = scenario(preacceptance={"clerks": 0})
    run = simulate_day(sc)
    assert run.preacceptance_routed == 0 and not any(r.pre_order for r in day_records(run))
    assert run.utilisation.preacceptance is None


def test_kiosk_customers_without_help_fall_back_to_the_counter() -> None:
    """Kiosk customers who need help and find no assistant on duty give up after their help patience and take
    a counter ticket (channel kiosk); with an assistant most are helped."""
    alone = simulate_day(scenario(self_service={"assistants": 0, "help_share": 1.0}), replication=0)
    helped = simulate_day(scenario(self_service={"assistants": 2, "help_share": 1.0}), replication=0)
    assert alone.kiosk_help_fallbacks > 0 and helped.kiosk_help_fallbacks < alone.kiosk_help_fallbacks
    kiosk_tickets = [r for r in day_records(alone) if r.channel == "kiosk"]
    assert len({r.ticket for r in kiosk_tickets}) >= alone.kiosk_help_fallbacks
    assert helped.utilisation.self_service is not None and helped.utilisation.self_service > 0


# --- abandonment and no-shows -----------------------------------------------------------------------------


def test_fixed_patience_abandons_exactly_then() -> None:
    """With a fixed patience of 4 minutes (and no pre-acceptance), every abandoning customer leaves exactly 4
    minutes after taking the ticket, and nobody is called after waiting longer."""
    doc = base_doc()
    doc["patience"] = {"distribution": "fixed", "mean_minutes": 4}
    doc["preacceptance"] = {"clerks": 0}
    for t in doc["business_types"]:
        if "per_half_hour" in t["arrivals"]:
            t["arrivals"]["per_half_hour"] = [x * 2 for x in t["arrivals"]["per_half_hour"]]
    records = day_records(simulate_day(parse_scenario(doc)))
    cancelled = [r for r in records if r.outcome is Outcome.CANCELLED]
    assert cancelled
    for r in cancelled:
        assert r.ended_at is not None and (r.ended_at - r.issued_at).total_seconds() == pytest.approx(240, abs=1e-5)
    for r in records:
        if r.called_at is not None:
            assert (r.called_at - r.issued_at).total_seconds() <= 240 + 1e-5


@pytest.mark.parametrize("policy", ["push_back", "cancel"])
def test_no_show_policies(policy: str) -> None:
    """A missed call is a no-show row (called, ended after the counter's wait, never arrived); with push-back
    the ticket is called again later, with cancel it ends there."""
    sc = scenario(no_show={"share": 0.3, "wait_seconds": 45, "policy": policy, "places": 2})
    records = day_records(simulate_day(sc))
    no_shows = [r for r in records if r.outcome is Outcome.NO_SHOW]
    assert no_shows
    for r in no_shows:
        assert r.called_at is not None and r.ended_at is not None and r.arrived_at is None
        assert (r.ended_at - r.called_at).total_seconds() == pytest.approx(45, abs=1e-5)
    again = {r.ticket for r in records if r.outcome is not Outcome.NO_SHOW} & {r.ticket for r in no_shows}
    if policy == "cancel":
        assert not again
    else:
        assert again


# --- rules ------------------------------------------------------------------------------------------------


def _rule(conditions: list[dict[str, object]], actions: list[dict[str, object]]) -> dict[str, object]:
    return {"format": 1, "conditions": conditions, "actions": actions}


def test_a_forcing_rule_diverts_a_type_from_its_first_evaluation() -> None:
    """``force_self_service`` switched on by a rule (always true here) diverts the type from the first
    evaluation at opening; no ticket of it is issued."""
    rule = _rule(
        [{"type": "queue_length", "op": ">=", "value": 0}], [{"type": "force_self_service", "services": ["simple"]}]
    )
    records = day_records(simulate_day(scenario(rules=[rule])))
    assert not [r for r in records if r.service == "simple" and r.outcome is not Outcome.DIVERTED]


def test_pre_acceptance_only_while_a_rule_offers_it() -> None:
    """In a managed hall pre-acceptance is offered only while a rule enables it: never when the rule cannot
    fire, and for the complex type when it always fires."""
    never = _rule([{"type": "mode", "modes": ["peak"]}, {"type": "open_counters", "op": ">", "value": 99}], [])
    never["actions"] = [{"type": "enable_preacceptance", "services": ["complex"]}]
    always = _rule([], [{"type": "enable_preacceptance", "services": ["complex"]}])
    assert simulate_day(scenario(rules=[never])).preacceptance_routed == 0
    assert simulate_day(scenario(rules=[always])).preacceptance_routed > 0


def test_blocking_upselling_shortens_communication() -> None:
    """Upselling adds to communication unless a rule blocks it: blocked at every counter, communication of
    fixed-time services is never longer than the service's share."""
    doc = base_doc()
    doc["business_types"][0]["service"] = {"mean_minutes": 2, "distribution": "fixed", "communication_share": 0.5}
    doc["upselling"] = {"share": 0.5, "extra": {"mean_minutes": 1}}
    free = day_records(simulate_day(parse_scenario(doc)))
    doc["rules"] = [_rule([], [{"type": "block_upselling"}])]
    blocked = day_records(simulate_day(parse_scenario(doc)))

    def communication(records: list[TransactionRecord]) -> list[float]:
        return [
            (r.operation_at - r.communication_at).total_seconds()
            for r in records
            if r.service == "simple" and r.outcome is Outcome.DONE and r.operation_at and r.communication_at
        ]

    assert max(communication(free)) > 60 + 1
    assert max(communication(blocked)) == pytest.approx(60, abs=1e-5)


def test_an_alert_opens_an_on_call_counter_after_the_response_time() -> None:
    """``alert_open_counters`` opens an on-call counter after the response time; without the alert it stays
    closed all day."""
    doc = base_doc()
    doc["counters"].append({"number": 4, "skills": "all", "on_call": True})
    doc["on_call"] = {"response_minutes": 10, "min_open_minutes": 30}
    quiet = day_records(simulate_day(parse_scenario(doc)))
    assert not [r for r in quiet if r.counter == "4"]
    doc["rules"] = [_rule([], [{"type": "alert_open_counters", "count": 1}])]
    run = simulate_day(parse_scenario(doc))
    served = [r for r in day_records(run) if r.counter == "4"]
    assert run.on_call_openings == 1 and served
    first = min(r.called_at for r in served if r.called_at is not None)
    assert (first - run.scenario.start).total_seconds() >= 600


def test_the_live_state_is_what_the_rules_see() -> None:
    """The state handed to the rules core counts the people waiting per business type, marks the open
    counters, and estimates each line's wait with the live estimator (0 with a free counter and no queue)."""
    from hallops.core.modes import Mode
    from hallops.core.sim.hall import HallModel, _Day

    sc = scenario()
    day = _Day(HallModel(sc), 1, 0)
    day.run()
    state = day.live_state(0.0, Mode.NORMAL)
    assert [ln.service for ln in state.lines] == ["simple", "complex", "payment"]
    assert state.waiting == 0
    assert [c.number for c in state.counters] == [1, 2, 3]
    forced = state.lines[2]
    assert forced.estimated_wait_seconds is None


def test_modes_and_firings_are_recorded() -> None:
    """A rule firing in every mode fires every minute of the opening hours, and the mode minutes add up to
    the opening hours."""
    from hallops.core.sim.hall import mode_minutes

    rule = _rule([{"type": "mode", "modes": ["idle", "normal", "busy", "peak"]}], [{"type": "block_upselling"}])
    run = simulate_day(scenario(rules=[rule]))
    assert run.firing_minutes == {0: 120.0}
    assert sum(mode_minutes(run).values()) == pytest.approx(120.0)


# --- statistics -------------------------------------------------------------------------------------------


def test_t_quantiles() -> None:
    """Student's t 97.5% quantiles: the table and the expansion beyond 30 degrees of freedom."""
    assert t975(1) == pytest.approx(12.7062047, rel=1e-7)
    assert t975(19) == pytest.approx(2.0930240, rel=1e-7)
    assert t975(40) == pytest.approx(2.0210754, rel=1e-6)
    assert t975(120) == pytest.approx(1.9799304, rel=1e-6)


def test_interval_and_batch_means() -> None:
    """The interval is mean ± t·s/√n; batch means cut the values in order."""
    iv = interval([1.0, 2.0, 3.0, 4.0])
    assert iv is not None and iv.mean == 2.5
    assert iv.half_width == pytest.approx(t975(3) * (5 / 3) ** 0.5 / 2)
    assert interval([]) is None
    single = interval([2.0])
    assert single is not None and single.half_width is None
    est = batch_estimate([1.0, 1.0, 3.0, 3.0], batches=2)
    assert est.mean == 2.0 and est.se == pytest.approx(1.0)


# --- seeded regression ------------------------------------------------------------------------------------


def test_seeded_day_regression() -> None:
    """Seed 7, replication 0 of the small test hall with no-shows, upselling and a busy-mode rule: these exact
    counts and figures."""
    rule = _rule([{"type": "mode", "modes": ["busy", "peak"]}], [{"type": "block_upselling"}])
    sc = scenario(
        no_show={"share": 0.05, "wait_seconds": 60, "policy": "push_back", "places": 2},
        upselling={"share": 0.3, "extra": {"mean_minutes": 1}},
        rules=[rule],
    )
    run = simulate_day(sc)
    records = day_records(run)
    kpis = compute_kpis(records, tz=SH).total
    assert (len(run.arrival), run.counter_tickets, run.abandoned, run.kiosk_customers) == REGRESSION_COUNTS
    assert (kpis.served, kpis.diverted, kpis.no_shows) == REGRESSION_KPI_COUNTS
    assert kpis.wait_mean_seconds == pytest.approx(REGRESSION_WAIT_MEAN, rel=1e-12)
    assert kpis.handling_mean_seconds == pytest.approx(REGRESSION_HANDLING_MEAN, rel=1e-12)


def test_seeded_example_regression() -> None:
    """The ty01 example, seed 1, 3 replications: these exact means."""
    sc = replace(load_scenario(EXAMPLES / "scenario-ty01.json"), replications=3)
    result = simulate_hall(sc)
    arrivals, wait = result.kpis["arrivals"], result.kpis["wait_mean_seconds"]
    assert arrivals is not None and wait is not None
    assert arrivals.mean == pytest.approx(EXAMPLE_ARRIVALS, rel=1e-12)
    assert wait.mean == pytest.approx(EXAMPLE_WAIT_MEAN, rel=1e-12)


REGRESSION_COUNTS = (130, 75, 10, 61)
REGRESSION_KPI_COUNTS = (65, 55, 1)
REGRESSION_WAIT_MEAN = 185.9884304923077
REGRESSION_HANDLING_MEAN = 271.3917210615384
EXAMPLE_ARRIVALS = 790.0
EXAMPLE_WAIT_MEAN = 84.66932954109492
