"""A discrete-event simulator of the four-zone hall (seed 000): triage, self-service, pre-acceptance, counters.

One simulated day (:func:`simulate_day`) follows every customer of a :class:`~hallops.core.sim.scenario.Scenario`
through the hall and returns what the live system would have recorded. :func:`simulate_hall` runs several
independent replications and summarises their KPIs with 95% confidence intervals. The model, and what it
leaves out, is described in ``docs/simulation.md``; in short:

- **Arrivals** per business type are Poisson with a rate that is constant within each half hour (an
  exponential gap that crosses a half-hour boundary is redrawn from the boundary: exact, by memorylessness).
- **Triage** (the greeter, 叫号区): forced self-service types (the catalog's, or switched on by a rule's
  ``force_self_service``) go to the self-service zone and never to a counter; the others are routed by their
  type's shares to a kiosk, to pre-acceptance (only while a clerk is on duty and pre-acceptance is offered for
  the type: :meth:`hallops.core.rules.Effects.offers_preacceptance`), or straight to a counter ticket.
- **Self-service** (自助区): a share of kiosk customers needs an assistant, waits for one (first come, first
  served) up to its help patience and otherwise takes a counter ticket; the assistant coaches them through the
  self-service time. After the kiosk, a share still needs a counter and takes a ticket (channel ``kiosk``);
  the others are *diverted* tickets in the KPIs.
- **Pre-acceptance** (预受理区): a customer routed there takes a counter ticket and waits for a clerk (first
  come, first served); the clerk prepares the pre-order. Called before it is ready, the customer goes without
  one (the clerk stops); with a ready pre-order the counter's communication time is multiplied by the
  scenario's factor. Time with a clerk does not count against the customer's patience.
- **Counters** (前台区) call the next ticket with the live queue policy: the rank is
  :func:`hallops.core.policy.queue_rank` of the issue time and priority, and the ticket called is
  :func:`hallops.core.policy.pick_next` among the waiting tickets of the counter's business types (it is
  applied to the head of each business type's queue, which is the same choice). A free counter serving the
  type calls a new ticket at once (the one idle longest first). Counters open and close per half hour (a
  counter closing finishes its customer), pause, and on-call counters open when a rule asks.
- **At the counter**: the customer may miss the call (no-show: the counter waits, then the hall's policy
  pushes the ticket back with :func:`hallops.core.policy.push_back_rank` or cancels it), walks to the
  counter, then communication and operation: the service time is lognormal (or exponential) per business
  type with its mean and CV, split by the type's communication share; upselling (when no rule blocks it at
  that counter) adds to communication.
- **Abandonment**: a waiting customer leaves when its patience (from arrival at the queue) runs out.
- **Busy/idle rules**: every ``rules_every_minutes`` the simulator builds the state the live rules engine
  reads (people waiting per business type, each line's estimated wait from
  :func:`hallops.core.estimate.estimate_wait_seconds` as the hall's queue summary computes it, open counters,
  the last hour's arrivals and the recent handling time), decides the mode with
  :func:`hallops.core.modes.mode_next`, evaluates the rules with :func:`hallops.core.rules.evaluate` and
  applies :func:`hallops.core.rules.effects_from`: pre-acceptance per type, forced self-service, no upselling
  at the counters concerned, and on-call counters opened on an ``alert_open_counters``.
- **Quoted waits**: with ``quote_waits`` every ticket is quoted the live estimate when issued, so the KPIs
  include the quoted-wait error.

After closing no one new arrives; the counters open in the last half hour keep serving the people still
waiting (those nobody can serve are *not served*). Each replication's transaction records
(:func:`day_records`) go through :func:`hallops.core.kpi.compute_kpis`, the same code as the live KPIs.

Randomness: each replication has two ``random.Random`` streams seeded from the scenario seed and the
replication number: one draws the customers (arrival times, business types, priorities, routing, patience and
service times), the other everything decided on the way (walks, no-shows, upselling, kiosk and clerk times).
The same seed therefore gives the same customers to two variants of a scenario (common random numbers), and
no global state is touched.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

from hallops.core.calendar import WorkingCalendar
from hallops.core.estimate import WaitInput, estimate_wait_seconds, mean_service_seconds
from hallops.core.kpi import Kpis, Outcome, TransactionRecord, compute_kpis
from hallops.core.modes import Mode, mode_next, mode_signal
from hallops.core.numbering import format_ticket_number
from hallops.core.policy import NoShowPolicy, Priority, QueueEntry, pick_next, push_back_rank, queue_rank
from hallops.core.rules import CounterInfo, Effects, Firing, HallState, Line, effects_from, evaluate
from hallops.core.sim.mmc import Estimate
from hallops.core.sim.scenario import Dist, DistKind, Scenario, Variant

__all__ = [
    "PRIORITY_CLASSES",
    "DayRun",
    "HallModel",
    "HallResult",
    "Interval",
    "SlotFigures",
    "batch_estimate",
    "compile_scenario",
    "day_records",
    "simulate_day",
    "simulate_hall",
    "slot_figures",
    "steady_scenario",
]

#: the live system's windows (hall.selectors, rules.selectors): recent service means over 2 hours with at
#: least 3 samples, arrivals over the last hour, handling over 2 hours with at least 3 samples
RECENT_WINDOW_SECONDS = 2 * 3600.0
RECENT_SAMPLES_MIN = 3
ARRIVALS_WINDOW_SECONDS = 3600.0
#: the mean service seconds the estimator uses are refreshed at most this often (simulated seconds)
MEANS_REFRESH_SECONDS = 60.0
#: the zones' target in the per-half-hour figures: a clerk or an assistant starts within 2 minutes
ZONE_WAIT_SECONDS = 120.0

# customer status
_NEW, _WAITING, _CALLED, _GONE = 0, 1, 2, 3
# pre-acceptance state of a customer
_P_NONE, _P_QUEUED, _P_RUN, _P_READY, _P_LOST = 0, 1, 2, 3, 4
# kiosk help state
_H_NONE, _H_QUEUED, _H_RUN, _H_OVER = 0, 1, 2, 3
# counter status
_CLOSED, _IDLE, _BUSY, _PAUSED = 0, 1, 2, 3
# events (time, sequence, kind, subject)
_EV_FREE, _EV_ABANDON, _EV_CLERK, _EV_KIOSK, _EV_GIVEUP, _EV_SLOT, _EV_PAUSE, _EV_PAUSE_END, _EV_TICK, _EV_ONCALL = (
    range(10)
)
# row outcomes (index into _OUTCOMES)
_R_DONE, _R_NO_SHOW, _R_CANCELLED, _R_DIVERTED, _R_NOT_SERVED = range(5)
_OUTCOMES = (Outcome.DONE, Outcome.NO_SHOW, Outcome.CANCELLED, Outcome.DIVERTED, Outcome.NOT_SERVED)
# ticket channels
_CHANNELS = ("greeter", "kiosk", "appointment")
_CH_GREETER, _CH_KIOSK, _CH_APPOINTMENT = 0, 1, 2

#: (priority, star level) of the priority classes, in the order customers draw them (``DayRun.pclass``)
PRIORITY_CLASSES: tuple[tuple[Priority, int], ...] = (
    (Priority.NORMAL, 0),
    (Priority.ELDERLY, 0),
    (Priority.APPOINTMENT, 0),
    *((Priority.VIP, star) for star in range(1, 6)),
)
_INF = math.inf
_ONE_SECOND = dt.timedelta(seconds=1)

# a compiled distribution: (kind, p1, p2): lognormal (0, μ, σ), exponential (1, mean, 0), fixed (2, value, 0)
_Draw = tuple[int, float, float]


def _compile(dist: Dist | None) -> _Draw:
    if dist is None:
        return (2, 0.0, 0.0)
    if dist.kind is DistKind.LOGNORMAL and dist.cv > 0:
        mu, sigma = dist.lognormal_params
        return (0, mu, sigma)
    if dist.kind is DistKind.EXPONENTIAL:
        return (1, dist.mean, 0.0)
    return (2, dist.mean, 0.0)


def _sample(rng: random.Random, d: _Draw) -> float:
    kind = d[0]
    if kind == 0:
        return math.exp(d[1] + d[2] * rng.gauss())
    if kind == 1:
        return -math.log(1.0 - rng.random()) * d[1]
    return d[1]


# --------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Utilisation:
    """Busy time over available time, per zone (None when the zone had no one on duty)."""

    counters: float | None
    by_counter_zone: dict[str, float | None]
    preacceptance: float | None
    self_service: float | None


@dataclass(slots=True)
class DayRun:
    """One simulated day: the customers, the rows the hall would have recorded, and zone figures."""

    scenario: Scenario
    replication: int
    #: per customer (arrival order): arrival second, business type index, priority class, issue second of its
    #: counter ticket (the arrival for one that never took a ticket), first call (None: never called),
    #: ticket id (None: no ticket), channel index, quoted wait
    arrival: list[float]
    ctype: list[int]
    pclass: list[int]
    issued: list[float]
    first_call: list[float | None]
    ticket: list[int | None]
    channel: list[int]
    quoted: list[float | None]
    #: rows: (customer, outcome, called, arrived, communication, operation, ended, counter index, pre-order)
    rows: list[tuple[int, int, float | None, float | None, float | None, float | None, float | None, int, bool]]
    #: ticket id → customer, in issue order
    ticket_customer: list[int]
    utilisation: Utilisation
    #: counter tickets (customers who joined the counter queue at least once) and how many abandoned
    counter_tickets: int
    abandoned: int
    #: customers routed to pre-acceptance, whose pre-order was ready when called, who took a kiosk, who fell
    #: back from the kiosk to a counter because no assistant came in time
    preacceptance_routed: int
    pre_orders_ready: int
    kiosk_customers: int
    kiosk_help_fallbacks: int
    #: (second, mode) each time the mode changed; rule index → minutes it fired (at the evaluation cadence)
    modes: list[tuple[float, str]]
    firing_minutes: dict[int, float]
    on_call_openings: int
    #: second at which the last customer left a counter (the day's real end)
    last_end: float
    #: per pre-acceptance or help request: (request second, start second or None, left second or None):
    #: for staffing the clerks and assistants
    prep_requests: list[tuple[float, float | None, float | None]] = field(default_factory=list)
    help_requests: list[tuple[float, float | None, float | None]] = field(default_factory=list)

    def customer_waits(self) -> tuple[list[float], list[bool]]:
        """Per customer with a counter ticket, in arrival order: the wait from issue to first call, or to
        abandoning, and whether it abandoned (for steady-state validation)."""
        waits: list[float] = []
        abandoned: list[bool] = []
        gone: dict[int, float] = {}
        for row in self.rows:
            if row[1] == _R_CANCELLED and row[6] is not None:
                gone[row[0]] = row[6]
        for c, tid in enumerate(self.ticket):
            if tid is None:
                continue
            first = self.first_call[c]
            if first is not None:
                waits.append(first - self.issued[c])
                abandoned.append(False)
            elif c in gone:
                waits.append(gone[c] - self.issued[c])
                abandoned.append(True)
        return waits, abandoned


# ----------------------------------------------------------------------------------------------- the model


class HallModel:
    """A scenario compiled for the event loop, shared by its replications (:func:`compile_scenario`)."""

    def __init__(self, scenario: Scenario) -> None:
        sc = scenario
        self.scenario = sc
        counter_only = sc.variant is Variant.COUNTER_ONLY
        types = sc.business_types
        self.codes = [t.code for t in types]
        self.ntypes = len(types)
        self.limits = [t.limit_minutes * 60.0 for t in types]
        self.comm_share = [t.communication_share for t in types]
        self.service = [_compile(t.service) for t in types]
        self.forced = [t.forced and not counter_only for t in types]
        self.kiosk_share = [0.0 if counter_only else t.kiosk_share for t in types]
        self.pre_share = [0.0 if counter_only else t.preacceptance_share for t in types]
        self.pre_capable = [t.pre_acceptance and not counter_only for t in types]
        self.self_time = [_compile(t.self_service) for t in types]
        self.counter_share = [t.counter_share for t in types]
        self.prep_time = [_compile(t.preparation) for t in types]
        self.slot_seconds = sc.slot_seconds
        self.horizon = sc.horizon
        # the rates per slot and the cumulative shares to draw a type from
        self.slot_rates: list[tuple[float, list[float]]] = []
        for j in range(sc.slots):
            counts = [t.arrivals[j] for t in types]
            total = math.fsum(counts)
            self.slot_rates.append((total / sc.slot_seconds, list(accumulate(counts))))
        # counters: "all" skills are the types the counter zone handles in this variant
        counter_types = [i for i, t in enumerate(types) if counter_only or not t.forced]
        self.counter_numbers = [c.number for c in sc.counters]
        self.counter_zones = [c.zone for c in sc.counters]
        self.serves: list[list[int]] = []
        for c in sc.counters:
            if c.skills is None:
                self.serves.append(list(counter_types))
            else:
                wanted = set(c.skills)
                self.serves.append([i for i in range(len(types)) if types[i].code in wanted])
        self.serve_sets = [frozenset(s) for s in self.serves]
        self.serve_codes = [frozenset(self.codes[i] for i in s) for s in self.serves]
        self.open = [c.open for c in sc.counters]
        self.on_call = [c.on_call and not counter_only for c in sc.counters]
        self.able_by_type = [[k for k, s in enumerate(self.serve_sets) if i in s] for i in range(len(types))]
        # types able to be served by the same counters share their estimate in the live state
        groups: list[list[int]] = []
        self.group_of: list[int] = []
        for able in self.able_by_type:
            if able not in groups:
                groups.append(able)
            self.group_of.append(groups.index(able))
        self.groups = groups
        self.has_on_call = any(self.on_call)
        self.pauses = [(sc.counters.index(next(c for c in sc.counters if c.number == p.counter)), p) for p in sc.pauses]
        self.clerks = [0] * sc.slots if counter_only else list(sc.clerks)
        self.assistants = [0] * sc.slots if counter_only else list(sc.assistants)
        self.help_share = 0.0 if counter_only else sc.help_share
        self.help_patience = _compile(sc.help_patience)
        self.factor = sc.communication_factor
        self.walk = _compile(sc.walk)
        self.patience = _compile(sc.patience) if sc.patience is not None else None
        self.no_show = sc.no_show
        self.upsell_share = sc.upsell_share
        self.upsell_extra = _compile(sc.upsell_extra)
        pr = sc.priorities
        star_total = math.fsum(pr.vip_stars)
        weights = [1.0 - pr.elderly - pr.appointment - pr.vip, pr.elderly, pr.appointment]
        weights += [pr.vip * w / star_total for w in pr.vip_stars]
        self.class_cum = list(accumulate(max(0.0, w) for w in weights))
        self.has_priorities = pr.elderly + pr.appointment + pr.vip > 0
        self.rules = () if counter_only else sc.rules
        self.modes = None if counter_only else sc.modes
        self.managed = bool(self.rules)
        kinds = {c.type for rule in self.rules for c in rule.conditions}
        self.rules_use_time = "schedule" in kinds
        # what evaluate() reads besides the mode: people waiting, estimated waits, open counters
        self.rules_use_waiting = "queue_length" in kinds
        self.rules_use_estimates = "estimated_wait" in kinds
        self.rules_use_open = "open_counters" in kinds
        #: per rule: 0 no open-counters alert, 1 a fixed count, 2 from staffing
        self.rule_alerts = [
            max((2 if a.count is None else 1 for a in rule.actions if a.type == "alert_open_counters"), default=0)
            for rule in self.rules
        ]
        self.tick_seconds = sc.rules_every_minutes * 60.0
        self.calendar: WorkingCalendar | None = self.modes.calendar() if self.modes is not None else None
        self.start_local = sc.start
        self.start_utc = self.start_local.astimezone(dt.UTC)
        self.quote = sc.quote_waits
        self.response = sc.on_call.response_minutes * 60.0
        self.min_open = sc.on_call.min_open_minutes * 60.0
        self.target = sc.wait_target_seconds


# ------------------------------------------------------------------------------------------------- one day


class _Day:
    """The state of one replication and its event handlers. The hot paths (issue, call, free) use local
    names and plain lists for speed."""

    def __init__(self, model: HallModel, seed: int, replication: int) -> None:
        m = model
        self.m = m
        self.replication = replication
        self.rng_a = random.Random(f"hallops-sim/{seed}/{replication}/customers")
        self.rng = random.Random(f"hallops-sim/{seed}/{replication}/events")
        self.events: list[tuple[float, int, int, int]] = []
        self.seq = 0
        # customers
        self.arrival: list[float] = []
        self.ctype: list[int] = []
        self.pclass: list[int] = []
        self.route: list[float] = []
        self.svc: list[float] = []
        self.pat: list[float] = []
        self._generate()
        n = len(self.arrival)
        self.status = [_NEW] * n
        self.issued = list(self.arrival)
        self.first_call: list[float | None] = [None] * n
        self.ticket: list[int | None] = [None] * n
        self.entry: list[QueueEntry | None] = [None] * n
        self.channel = [_CH_APPOINTMENT if p == 2 else _CH_GREETER for p in self.pclass]
        self.quoted: list[float | None] = [None] * n
        self.deadline = [_INF] * n
        self.prep = [_P_NONE] * n
        self.prep_start = [0.0] * n
        self.prep_index = [-1] * n
        self.help = [_H_NONE] * n
        self.help_index = [-1] * n
        self.rows: list[
            tuple[int, int, float | None, float | None, float | None, float | None, float | None, int, bool]
        ] = []
        self.ticket_customer: list[int] = []
        # queues: one heap of (rank, ticket id, entry) per business type; waiting counts
        self.heaps: list[list[tuple[dt.datetime, int, QueueEntry]]] = [[] for _ in range(m.ntypes)]
        self.waiting = [0] * m.ntypes
        # counters
        nk = len(m.serves)
        self.cstatus = [_CLOSED] * nk
        self.sched_open = [False] * nk
        self.oncall_open = [False] * nk
        self.oncall_since = [0.0] * nk
        self.oncall_pending = [False] * nk
        self.pause_pending = [0.0] * nk
        self.idle: list[int] = []
        self.cur: list[int] = [-1] * nk
        self.cur_noshow = [False] * nk
        self.cur_called = [0.0] * nk
        self.cur_arrived = [0.0] * nk
        self.cur_service = [0.0] * nk
        self.avail_since = [-1.0] * nk
        self.avail_total = [0.0] * nk
        self.busy_total = [0.0] * nk
        self.upsell_ok = [True] * nk
        # staff zones
        self.clerk_duty = 0
        self.clerk_busy = 0
        self.clerk_busy_time = 0.0
        self.prep_queue: deque[int] = deque()
        self.assist_duty = 0
        self.assist_busy = 0
        self.assist_busy_time = 0.0
        self.help_queue: deque[int] = deque()
        self.help_start = [0.0] * n
        self.prep_requests: list[tuple[float, float | None, float | None]] = []
        self.help_requests: list[tuple[float, float | None, float | None]] = []
        # rules
        self.effects = Effects()
        self.forced_now = list(m.forced)
        self.pre_offered = [m.pre_capable[i] for i in range(m.ntypes)]
        self.mode: Mode | None = None
        self.mode_since: dt.datetime | None = None
        self.mode_log: list[tuple[float, str]] = []
        self.firing_minutes: dict[int, float] = {}
        self.request_active = False
        self.on_call_openings = 0
        # live-state inputs: recent service seconds per type, recent arrivals, recent handling
        self.recent: list[deque[tuple[float, float]]] = [deque() for _ in range(m.ntypes)]
        self.recent_dirty = [False] * m.ntypes
        self.means = list(m.limits)
        self.means_at = -_INF
        self.recent_arrivals: deque[float] = deque()
        self.recent_handling: deque[tuple[float, float]] = deque()
        self.handling_sum = 0.0
        self.counter_infos: dict[tuple[bool, ...], tuple[CounterInfo, ...]] = {}
        self.line_cache: dict[tuple[int, int, float | None], Line] = {}
        self.firings_memo: dict[tuple[object, ...], list[Firing]] = {}
        self.effects_memo: dict[tuple[object, ...], Effects] = {}
        self.served_sorted: dict[tuple[int, ...], list[int]] = {}
        # counts
        self.counter_tickets = 0
        self.abandoned = 0
        self.pre_routed = 0
        self.pre_ready = 0
        self.kiosk_customers = 0
        self.help_fallbacks = 0
        self.last_end = 0.0

    # --------------------------------------------------------------------------------------------- arrivals

    def _generate(self) -> None:
        m = self.m
        rng = self.rng_a
        uniform = rng.random
        gauss = rng.gauss
        log, exp = math.log, math.exp
        arrival, ctype, pclass, route, svc, pat = self.arrival, self.ctype, self.pclass, self.route, self.svc, self.pat
        service = m.service
        class_cum = m.class_cum
        class_total = class_cum[-1]
        priorities = m.has_priorities
        patience = m.patience
        pkind, pp1, pp2 = patience if patience is not None else (3, 0.0, 0.0)
        slot_s = m.slot_seconds
        add_arrival, add_type, add_class, add_route, add_svc, add_pat = (
            arrival.append,
            ctype.append,
            pclass.append,
            route.append,
            svc.append,
            pat.append,
        )
        for j, (rate, cum) in enumerate(m.slot_rates):
            if rate <= 0:
                continue
            total = cum[-1]
            t = j * slot_s
            end = t + slot_s
            last = len(cum) - 1
            while True:
                t -= log(1.0 - uniform()) / rate
                if t >= end:
                    break
                i = bisect_right(cum, uniform() * total)
                if i > last:
                    i = last
                add_arrival(t)
                add_type(i)
                if priorities:
                    k = bisect_right(class_cum, uniform() * class_total)
                    add_class(k if k < 8 else 7)
                else:
                    add_class(0)
                add_route(uniform())
                kind, p1, p2 = service[i]
                if kind == 0:
                    add_svc(exp(p1 + p2 * gauss()))
                elif kind == 1:
                    add_svc(-log(1.0 - uniform()) * p1)
                else:
                    add_svc(p1)
                if pkind == 1:
                    add_pat(-log(1.0 - uniform()) * pp1)
                elif pkind == 0:
                    add_pat(exp(pp1 + pp2 * gauss()))
                elif pkind == 2:
                    add_pat(pp1)
                else:
                    add_pat(_INF)

    # ------------------------------------------------------------------------------------------------ loop

    def _push(self, at: float, kind: int, subject: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (at, self.seq, kind, subject))

    def run(self) -> None:
        m = self.m
        self._slot(0, 0.0)
        for j in range(1, m.scenario.slots):
            self._push(j * m.slot_seconds, _EV_SLOT, j)
        self._push(m.horizon, _EV_SLOT, m.scenario.slots)
        for k, pause in m.pauses:
            self._push(pause.start, _EV_PAUSE, k)
        if m.modes is not None:
            t = 0.0
            while t < m.horizon:
                self._push(t, _EV_TICK, 0)
                t += m.tick_seconds
        events = self.events
        pop = heapq.heappop
        arrival = self.arrival
        n = len(arrival)
        c = 0
        next_arrival = arrival[0] if n else _INF
        arrive = self._arrive
        free = self._free
        while True:
            if events and events[0][0] <= next_arrival:
                t, _, kind, x = pop(events)
                if kind == _EV_FREE:
                    free(x, t)
                elif kind == _EV_ABANDON:
                    self._abandon(x, t)
                elif kind == _EV_CLERK:
                    self._clerk_done(x, t)
                elif kind == _EV_KIOSK:
                    self._kiosk_done(x, t)
                elif kind == _EV_GIVEUP:
                    self._give_up(x, t)
                elif kind == _EV_TICK:
                    self._tick(t)
                elif kind == _EV_SLOT:
                    self._slot(x, t)
                elif kind == _EV_PAUSE:
                    self._pause(x, t)
                elif kind == _EV_PAUSE_END:
                    self._pause_end(x, t)
                else:
                    self._on_call_open(x, t)
            elif c < n:
                arrive(c, next_arrival)
                c += 1
                next_arrival = arrival[c] if c < n else _INF
            else:
                break
        end = max(m.horizon, self.last_end)
        for k in range(len(self.cstatus)):
            self._set_available(k, end, False)
        for cust in range(n):
            if self.status[cust] == _WAITING:
                self.rows.append((cust, _R_NOT_SERVED, None, None, None, None, None, -1, False))

    # ------------------------------------------------------------------------------------------- the greeter

    def _arrive(self, c: int, t: float) -> None:
        m = self.m
        i = self.ctype[c]
        self.recent_arrivals.append(t)
        if self.forced_now[i]:
            self._to_kiosk(c, t, forced=True)
            return
        u = self.route[c]
        share = m.kiosk_share[i]
        if u < share:
            self._to_kiosk(c, t, forced=False)
            return
        pre = u < share + m.pre_share[i] and self.clerk_duty > 0 and self.pre_offered[i]
        self._issue(c, t, _CH_APPOINTMENT if self.pclass[c] == 2 else _CH_GREETER, pre)

    def _to_kiosk(self, c: int, t: float, *, forced: bool) -> None:
        m = self.m
        rng = self.rng
        self.kiosk_customers += 1
        i = self.ctype[c]
        if m.help_share and rng.random() < m.help_share:
            self.help[c] = _H_QUEUED
            self.help_index[c] = len(self.help_requests)
            self.help_requests.append((t, None, None))
            self.help_queue.append(c)
            self._push(t + _sample(rng, m.help_patience), _EV_GIVEUP, c)
            self._assist_next(t)
            return
        if not forced and rng.random() < m.counter_share[i]:
            self._push(t + _sample(rng, m.self_time[i]), _EV_KIOSK, c)
            return
        self._divert(c, t)

    def _divert(self, c: int, at: float) -> None:
        self.status[c] = _GONE
        self.rows.append((c, _R_DIVERTED, None, None, None, None, None, -1, False))

    def _kiosk_done(self, c: int, t: float) -> None:
        """The kiosk session of ``c`` ends (coached or not); a helped customer frees the assistant."""
        m = self.m
        if self.help[c] == _H_RUN:
            self.help[c] = _H_OVER
            self.assist_busy -= 1
            self.assist_busy_time += t - self.help_start[c]
            self._assist_next(t)
            i = self.ctype[c]
            if not self.forced_now[i] and not m.forced[i] and self.rng.random() < m.counter_share[i]:
                self._issue(c, t, _CH_KIOSK, False)
            else:
                self._divert(c, t)
            return
        self._issue(c, t, _CH_KIOSK, False)

    def _give_up(self, c: int, t: float) -> None:
        if self.help[c] != _H_QUEUED:
            return
        self.help[c] = _H_OVER
        self.help_requests[self.help_index[c]] = (self.help_requests[self.help_index[c]][0], None, t)
        i = self.ctype[c]
        if self.m.forced[i] or self.forced_now[i]:
            self._divert(c, t)  # a forced type goes online instead
        else:
            self.help_fallbacks += 1
            self._issue(c, t, _CH_KIOSK, False)

    def _assist_next(self, t: float) -> None:
        queue = self.help_queue
        while queue and self.assist_busy < self.assist_duty:
            c = queue.popleft()
            if self.help[c] != _H_QUEUED:
                continue
            self.help[c] = _H_RUN
            self.help_start[c] = t
            index = self.help_index[c]
            self.help_requests[index] = (self.help_requests[index][0], t, None)
            self.assist_busy += 1
            self._push(t + _sample(self.rng, self.m.self_time[self.ctype[c]]), _EV_KIOSK, c)

    # -------------------------------------------------------------------------------------------- tickets

    def _issue(self, c: int, t: float, channel: int, pre: bool) -> None:
        """``c`` takes a counter ticket at ``t``: ranked by the live policy, quoted, and called at once by a
        free counter that serves its type, or queued."""
        m = self.m
        tid = len(self.ticket_customer)
        self.ticket_customer.append(c)
        i = self.ctype[c]
        priority, star = PRIORITY_CLASSES[self.pclass[c]]
        issued_at = m.start_utc + dt.timedelta(seconds=t)
        entry = QueueEntry(tid, m.codes[i], queue_rank(issued_at, priority, star), issued_at, priority, star)
        self.ticket[c] = tid
        self.entry[c] = entry
        self.issued[c] = t
        self.channel[c] = channel
        self.counter_tickets += 1
        if m.quote:
            self.quoted[c] = self._quote(i, t, entry)
        if pre:
            self.pre_routed += 1
        self._enqueue(c, t, entry, pre)

    def _enqueue(self, c: int, t: float, entry: QueueEntry, pre: bool) -> None:
        i = self.ctype[c]
        idle = self.idle
        if idle:
            for k in idle:
                if i in self.m.serve_sets[k]:
                    idle.remove(k)
                    self._call(k, c, t)
                    return
        heapq.heappush(self.heaps[i], (entry.rank, entry.id, entry))
        self.status[c] = _WAITING
        self.waiting[i] += 1
        if self.deadline[c] == _INF and self.pat[c] < _INF:
            self.deadline[c] = t + self.pat[c]
            self._push(self.deadline[c], _EV_ABANDON, c)
        if pre and self.prep[c] == _P_NONE:
            self.prep[c] = _P_QUEUED
            self.prep_index[c] = len(self.prep_requests)
            self.prep_requests.append((t, None, None))
            self.prep_queue.append(c)
            if self.clerk_busy < self.clerk_duty:
                self._clerk_next(t)

    def _abandon(self, c: int, t: float) -> None:
        if self.status[c] != _WAITING:
            return
        if self.deadline[c] > t:  # time with a clerk moved the deadline
            self._push(self.deadline[c], _EV_ABANDON, c)
            return
        self.status[c] = _GONE
        self.waiting[self.ctype[c]] -= 1
        self.abandoned += 1
        self.rows.append((c, _R_CANCELLED, None, None, None, None, t, -1, False))
        if self.prep[c] == _P_QUEUED:
            self.prep[c] = _P_LOST
            index = self.prep_index[c]
            self.prep_requests[index] = (self.prep_requests[index][0], None, t)

    # ----------------------------------------------------------------------------------------- the counters

    def _call(self, k: int, c: int, t: float) -> None:
        """Counter ``k`` calls ``c`` at ``t``: a no-show, or walk, communication and operation."""
        m = self.m
        rng = self.rng
        self.status[c] = _CALLED
        if self.first_call[c] is None:
            self.first_call[c] = t
        prep = self.prep[c]
        if prep == _P_RUN:
            self.prep[c] = _P_LOST
            self.clerk_busy -= 1
            self.clerk_busy_time += t - self.prep_start[c]
            index = self.prep_index[c]
            self.prep_requests[index] = (self.prep_requests[index][0], self.prep_start[c], t)
            self._clerk_next(t)
        elif prep == _P_QUEUED:
            self.prep[c] = _P_LOST
            index = self.prep_index[c]
            self.prep_requests[index] = (self.prep_requests[index][0], None, t)
        self.cstatus[k] = _BUSY
        self.cur[k] = c
        self.cur_called[k] = t
        no_show = m.no_show
        if no_show.share and rng.random() < no_show.share:
            end = t + no_show.wait_seconds
            self.cur_noshow[k] = True
            self.cur_arrived[k] = _INF
            self.rows.append((c, _R_NO_SHOW, t, None, None, None, end, k, False))
        else:
            i = self.ctype[c]
            total = self.svc[c]
            comm = total * m.comm_share[i]
            operation = total - comm
            ready = prep == _P_READY
            if ready:
                comm *= m.factor
                self.pre_ready += 1
            if m.upsell_share and self.upsell_ok[k] and rng.random() < m.upsell_share:
                comm += _sample(rng, m.upsell_extra)
            walk = m.walk
            if walk[0] == 1:
                arrived = t - math.log(1.0 - rng.random()) * walk[1]
            elif walk[1]:
                arrived = t + _sample(rng, walk)
            else:
                arrived = t
            op_at = arrived + comm
            end = op_at + operation
            self.cur_noshow[k] = False
            self.cur_arrived[k] = arrived
            self.cur_service[k] = end - arrived
            self.rows.append((c, _R_DONE, t, arrived, arrived, op_at, end, k, ready))
        self.busy_total[k] += end - t
        self.seq += 1
        heapq.heappush(self.events, (end, self.seq, _EV_FREE, k))

    def _free(self, k: int, t: float) -> None:
        """Counter ``k`` finishes its transaction: the no-show policy, then close, pause or call the next."""
        c = self.cur[k]
        self.cur[k] = -1
        i = self.ctype[c]
        if self.cur_noshow[k]:
            self._missed(c, t)
        else:
            if t > self.last_end:
                self.last_end = t
            self.recent[i].append((t, self.cur_service[k]))
            self.recent_dirty[i] = True
            handling = t - self.cur_called[k]
            self.recent_handling.append((t, handling))
            self.handling_sum += handling
            self.status[c] = _GONE
        if not (self.sched_open[k] or self.oncall_open[k]):
            self._close(k, t)
        elif self.pause_pending[k]:
            seconds = self.pause_pending[k]
            self.pause_pending[k] = 0.0
            self._start_pause(k, t, seconds)
        else:
            self._pick(k, t)

    def _missed(self, c: int, t: float) -> None:
        """The no-show policy at the end of the counter's wait (hall.services.counter_no_show)."""
        policy = self.m.no_show.policy
        if policy is not NoShowPolicy.PUSH_BACK:
            # cancel; "keep" holds the number for a recall the simulator does not model: the customer is lost
            self.status[c] = _GONE
            return
        i = self.ctype[c]
        status, customers = self.status, self.ticket_customer
        queue = [item[2] for item in self.heaps[i] if status[customers[item[1]]] == _WAITING]
        entry = self.entry[c]
        assert entry is not None
        now = self.m.start_utc + dt.timedelta(seconds=t)
        rank = push_back_rank(queue, self.m.no_show.places, now_rank_floor=now, ticket_id=entry.id)
        entry = replace(entry, rank=rank)
        self.entry[c] = entry
        self._enqueue(c, t, entry, False)

    def _pick(self, k: int, t: float) -> None:
        """Counter ``k`` is free: it calls :func:`pick_next` of the waiting tickets of its business types (the
        head of each type's queue competes), or waits idle."""
        heaps = self.heaps
        status = self.status
        customers = self.ticket_customer
        heads: list[QueueEntry] = []
        for i in self.m.serves[k]:
            heap = heaps[i]
            while heap and status[customers[heap[0][1]]] != _WAITING:
                heapq.heappop(heap)
            if heap:
                heads.append(heap[0][2])
        if not heads:
            self.cstatus[k] = _IDLE
            self.idle.append(k)
            return
        chosen = heads[0] if len(heads) == 1 else pick_next(heads, self.m.serve_codes[k])
        assert chosen is not None
        c = customers[chosen.id]
        i = self.ctype[c]
        heapq.heappop(heaps[i])
        self.waiting[i] -= 1
        self._call(k, c, t)

    def _set_available(self, k: int, t: float, available: bool) -> None:
        if available and self.avail_since[k] < 0:
            self.avail_since[k] = t
        elif not available and self.avail_since[k] >= 0:
            self.avail_total[k] += t - self.avail_since[k]
            self.avail_since[k] = -1.0

    def _open(self, k: int, t: float) -> None:
        if self.cstatus[k] != _CLOSED:
            return
        self._set_available(k, t, True)
        self._pick(k, t)

    def _close(self, k: int, t: float) -> None:
        if self.cstatus[k] == _IDLE:
            self.idle.remove(k)
        self.cstatus[k] = _CLOSED
        self._set_available(k, t, False)

    def _pause(self, k: int, t: float) -> None:
        seconds = next(p.seconds for idx, p in self.m.pauses if idx == k and p.start == t)
        status = self.cstatus[k]
        if status == _IDLE:
            self.idle.remove(k)
            self._start_pause(k, t, seconds)
        elif status == _BUSY:
            self.pause_pending[k] = seconds

    def _start_pause(self, k: int, t: float, seconds: float) -> None:
        self.cstatus[k] = _PAUSED
        self._set_available(k, t, False)
        self._push(t + seconds, _EV_PAUSE_END, k)

    def _pause_end(self, k: int, t: float) -> None:
        if self.cstatus[k] != _PAUSED:
            return
        self.cstatus[k] = _CLOSED
        if self.sched_open[k] or self.oncall_open[k]:
            self._open(k, t)

    def _slot(self, j: int, t: float) -> None:
        """A half-hour boundary: counters open and close by their schedule, clerks and assistants change."""
        m = self.m
        if j >= m.scenario.slots:  # closing: the counters open now serve the people still waiting
            self.clerk_duty = 0
            self.assist_duty = 0
            return
        for k in range(len(self.cstatus)):
            opened = m.open[k][j]
            self.sched_open[k] = opened
            if opened or self.oncall_open[k]:
                self._open(k, t)
            elif self.cstatus[k] == _IDLE:
                self._close(k, t)
        self.clerk_duty = m.clerks[j]
        self.assist_duty = m.assistants[j]
        self._clerk_next(t)
        self._assist_next(t)

    # ------------------------------------------------------------------------------------- pre-acceptance

    def _clerk_next(self, t: float) -> None:
        queue = self.prep_queue
        while queue and self.clerk_busy < self.clerk_duty:
            c = queue.popleft()
            if self.prep[c] != _P_QUEUED or self.status[c] != _WAITING:
                continue
            seconds = _sample(self.rng, self.m.prep_time[self.ctype[c]])
            self.prep[c] = _P_RUN
            self.prep_start[c] = t
            index = self.prep_index[c]
            self.prep_requests[index] = (self.prep_requests[index][0], t, None)
            self.deadline[c] += seconds  # time with a clerk is not waiting in vain
            self.clerk_busy += 1
            self._push(t + seconds, _EV_CLERK, c)

    def _clerk_done(self, c: int, t: float) -> None:
        if self.prep[c] != _P_RUN:
            return  # called (or gone) before the pre-order was ready: the clerk stopped then
        self.prep[c] = _P_READY
        self.clerk_busy -= 1
        self.clerk_busy_time += t - self.prep_start[c]
        self._clerk_next(t)

    # ------------------------------------------------------------------------------------------- the rules

    def _refresh_means(self, t: float) -> None:
        """Mean service seconds per type over the last 2 hours (the limit with fewer than 3), as the live
        estimator reads them (:func:`hallops.core.estimate.mean_service_seconds`); recomputed for the types
        whose recent completions changed, at most once per simulated minute."""
        if t - self.means_at < MEANS_REFRESH_SECONDS:
            return
        self.means_at = t
        since = t - RECENT_WINDOW_SECONDS
        limits = self.m.limits
        dirty = self.recent_dirty
        for i, recent in enumerate(self.recent):
            while recent and recent[0][0] <= since:
                recent.popleft()
                dirty[i] = True
            if dirty[i]:
                dirty[i] = False
                self.means[i] = mean_service_seconds([s for _, s in recent], limits[i], min_samples=RECENT_SAMPLES_MIN)

    def _wait_input(self, able: list[int], t: float, ahead_counts: Sequence[int]) -> WaitInput:
        """The estimator's input for a ticket that the open counters ``able`` can serve (hall.selectors._quote):
        the tickets ahead of every type those counters serve, and their transactions in progress."""
        key = tuple(able)
        served = self.served_sorted.get(key)
        if served is None:
            union: set[int] = set()
            for k in able:
                union.update(self.m.serves[k])
            served = self.served_sorted[key] = sorted(union)
        means = self.means
        ahead: list[float] = []
        for s in served:
            count = ahead_counts[s]
            if count:
                ahead += [means[s]] * count
        busy: list[float] = []
        cur = self.cur
        for k in able:
            c = cur[k]
            if c >= 0:
                started = self.cur_arrived[k] if self.cur_arrived[k] <= t else self.cur_called[k]
                busy.append(max(0.0, means[self.ctype[c]] - (t - started)))
        return WaitInput(ahead_service_seconds=ahead, open_servers=len(able), busy_remaining_seconds=busy)

    def _quote(self, i: int, t: float, entry: QueueEntry) -> float | None:
        """The wait quoted to a new ticket (hall.services.ticket_issue): the tickets ranked up to it are ahead.
        A normal ticket ranks after everyone waiting (pushed-back tickets aside), a priority ticket only after
        those ranked at or before it."""
        cstatus = self.cstatus
        able = [k for k in self.m.able_by_type[i] if cstatus[k] == _IDLE or cstatus[k] == _BUSY]
        if not able:
            return None
        if t - self.means_at >= MEANS_REFRESH_SECONDS:
            self._refresh_means(t)
        counts: Sequence[int] = self.waiting
        if entry.rank < entry.issued_at:
            status, customers = self.status, self.ticket_customer
            rank = entry.rank
            counts = [
                sum(1 for item in heap if item[0] <= rank and status[customers[item[1]]] == _WAITING)
                for heap in self.heaps
            ]
        return float(estimate_wait_seconds(self._wait_input(able, t, counts)) or 0)

    def _estimates(self, t: float) -> tuple[tuple[bool, ...], tuple[float | None, ...]]:
        """Which counters are open, and per group of business types (served by the same counters) the
        estimated wait of a ticket issued now (None: no open counter serves them)."""
        m = self.m
        if t - self.means_at >= MEANS_REFRESH_SECONDS:
            self._refresh_means(t)
        open_flags = tuple(s in (_IDLE, _BUSY) for s in self.cstatus)
        estimates: list[float | None] = []
        for able_all in m.groups:
            able = [k for k in able_all if open_flags[k]]
            estimates.append(
                float(estimate_wait_seconds(self._wait_input(able, t, self.waiting)) or 0) if able else None
            )
        return open_flags, tuple(estimates)

    def _state(
        self, t: float, mode: Mode, open_flags: tuple[bool, ...], estimates: tuple[float | None, ...]
    ) -> HallState:
        m = self.m
        waiting = self.waiting
        forced = m.forced
        group_of = m.group_of
        cache = self.line_cache
        out: list[Line] = []
        for i, code in enumerate(m.codes):
            key = (i, waiting[i], None if forced[i] and not waiting[i] else estimates[group_of[i]])
            line = cache.get(key)
            if line is None:
                line = cache[key] = Line(service=code, waiting=key[1], estimated_wait_seconds=key[2])
            out.append(line)
        counters = self.counter_infos.get(open_flags)
        if counters is None:
            counters = self.counter_infos[open_flags] = tuple(
                CounterInfo(number=m.counter_numbers[k], zone=m.counter_zones[k], open=o, services=m.serve_codes[k])
                for k, o in enumerate(open_flags)
            )
        arrivals = self.recent_arrivals
        while arrivals and arrivals[0] <= t - ARRIVALS_WINDOW_SECONDS:
            arrivals.popleft()
        handled = self.recent_handling
        while handled and handled[0][0] <= t - RECENT_WINDOW_SECONDS:
            self.handling_sum -= handled.popleft()[1]
        if not handled:
            self.handling_sum = 0.0
        handling = self.handling_sum / len(handled) if len(handled) >= RECENT_SAMPLES_MIN else None
        return HallState(
            mode=mode,
            lines=tuple(out),
            counters=counters,
            target_wait_seconds=m.target,
            arrivals_per_hour=float(len(arrivals)),
            handling_seconds=handling,
        )

    def live_state(self, t: float, mode: Mode) -> HallState:
        """The state the rules see at ``t`` (rules.selectors.hall_live_state): per business type the people
        waiting and the estimated wait of a ticket issued now (hall.selectors.queue_summary), the counters, the
        last hour's arrivals and the mean handling time of the last 2 hours."""
        open_flags, estimates = self._estimates(t)
        return self._state(t, mode, open_flags, estimates)

    def _tick(self, t: float) -> None:
        """Every ``rules_every_minutes``: decide the mode, evaluate the rules, apply their effects, as the live
        worker does (rules.services.hall_evaluate). The hall state is built only when the rules must be
        evaluated again: ``evaluate`` reads the time only in schedule conditions (and in the firings' causes,
        which the simulator does not use), so an unchanged state gives the same firings, and ``effects_from``
        reads the state only for the mode and open-counters requests. The key of an unchanged state holds only
        what the scenario's conditions read (the mode; people waiting, estimated waits and open counters when a
        condition reads them)."""
        m = self.m
        assert m.modes is not None and m.calendar is not None
        local = m.start_local + dt.timedelta(seconds=t)
        open_flags, estimates = self._estimates(t)
        waiting = self.waiting
        group_of = m.group_of
        open_count = sum(open_flags)
        signal = mode_signal(
            waiting=sum(waiting),
            waiting_estimates=(estimates[group_of[i]] for i in range(m.ntypes) if waiting[i]),
            open_counters=open_count,
            target_wait_seconds=m.target,
        )
        decision = mode_next(m.modes, self.mode, self.mode_since, signal, local, local=local, calendar=m.calendar)
        if decision.changed or self.mode is None:
            self.mode_log.append((t, decision.mode.value))
        self.mode, self.mode_since = decision.mode, decision.since
        if not m.rules:
            return
        state: HallState | None = None
        key: tuple[object, ...] | None = None
        firings: list[Firing] | None = None
        if not m.rules_use_time:
            key = (
                decision.mode,
                tuple(waiting) if m.rules_use_waiting else None,
                estimates if m.rules_use_estimates else None,
                open_flags if m.rules_use_open else None,
            )
            firings = self.firings_memo.get(key)
        if firings is None:
            state = self._state(t, decision.mode, open_flags, estimates)
            firings = evaluate(m.rules, state, local, m.calendar)
            if key is not None:
                self.firings_memo[key] = firings
        minutes = m.tick_seconds / 60.0
        fired = tuple(f.index for f in firings)
        for index in fired:
            self.firing_minutes[index] = self.firing_minutes.get(index, 0.0) + minutes
        alerts = max((m.rule_alerts[i] for i in fired), default=0)
        effects_key: tuple[object, ...] | None = (decision.mode, fired)
        if alerts == 1:
            effects_key = (decision.mode, fired, open_count)
        elif alerts == 2:
            effects_key = None  # a staffing request reads the recent traffic
        effects = self.effects_memo.get(effects_key) if effects_key is not None else None
        if effects is None:
            if state is None:
                state = self._state(t, decision.mode, open_flags, estimates)
            effects = effects_from(firings, state, managed=m.managed)
            if effects_key is not None:
                self.effects_memo[effects_key] = effects
        if effects is not self.effects:
            self._apply(effects)
        if m.has_on_call:
            self._on_call(effects, t)

    def _apply(self, effects: Effects) -> None:
        m = self.m
        self.effects = effects
        for i, code in enumerate(m.codes):
            self.forced_now[i] = m.forced[i] or effects.forces_self_service(code)
            self.pre_offered[i] = effects.offers_preacceptance(code, m.pre_capable[i])
        for k in range(len(self.cstatus)):
            self.upsell_ok[k] = not effects.blocks_upselling(m.serve_codes[k])

    def _on_call(self, effects: Effects, t: float) -> None:
        """The manager answers an ``alert_open_counters``: on-call counters open after the response time (a
        fixed count once per alert, a staffing request up to the number asked); they close again once no
        alert is raised and they have been open the minimum time (finishing their customer first)."""
        m = self.m
        request = effects.open_counters
        wanted = 0
        if request is not None and request.more:
            if request.basis == "staffing":
                wanted = max(0, request.more - sum(1 for p in self.oncall_pending if p))
            elif not self.request_active:
                wanted = request.more
        self.request_active = request is not None
        if wanted:
            for k in range(len(self.cstatus)):
                if not wanted:
                    break
                if m.on_call[k] and not self.oncall_open[k] and not self.oncall_pending[k] and not self.sched_open[k]:
                    self.oncall_pending[k] = True
                    self._push(t + m.response, _EV_ONCALL, k)
                    wanted -= 1
        elif request is None:
            for k in range(len(self.cstatus)):
                if self.oncall_open[k] and t - self.oncall_since[k] >= m.min_open:
                    self.oncall_open[k] = False
                    if not self.sched_open[k] and self.cstatus[k] == _IDLE:
                        self._close(k, t)

    def _on_call_open(self, k: int, t: float) -> None:
        self.oncall_pending[k] = False
        if t >= self.m.horizon:
            return
        self.oncall_open[k] = True
        self.oncall_since[k] = t
        self.on_call_openings += 1
        if self.cstatus[k] == _CLOSED:
            self._open(k, t)

    # -------------------------------------------------------------------------------------------- result

    def result(self) -> DayRun:
        m = self.m
        zones: dict[str, list[float]] = {}
        for k, zone in enumerate(m.counter_zones):
            acc = zones.setdefault(zone, [0.0, 0.0])
            acc[0] += self.busy_total[k]
            acc[1] += self.avail_total[k]
        busy, avail = math.fsum(self.busy_total), math.fsum(self.avail_total)
        clerk_time = math.fsum(m.clerks) * m.slot_seconds
        assist_time = math.fsum(m.assistants) * m.slot_seconds
        utilisation = Utilisation(
            counters=busy / avail if avail else None,
            by_counter_zone={z: (b / a if a else None) for z, (b, a) in sorted(zones.items())},
            preacceptance=self.clerk_busy_time / clerk_time if clerk_time else None,
            self_service=self.assist_busy_time / assist_time if assist_time else None,
        )
        return DayRun(
            scenario=m.scenario,
            replication=self.replication,
            arrival=self.arrival,
            ctype=self.ctype,
            pclass=self.pclass,
            issued=self.issued,
            first_call=self.first_call,
            ticket=self.ticket,
            channel=self.channel,
            quoted=self.quoted,
            rows=self.rows,
            ticket_customer=self.ticket_customer,
            utilisation=utilisation,
            counter_tickets=self.counter_tickets,
            abandoned=self.abandoned,
            preacceptance_routed=self.pre_routed,
            pre_orders_ready=self.pre_ready,
            kiosk_customers=self.kiosk_customers,
            kiosk_help_fallbacks=self.help_fallbacks,
            modes=self.mode_log,
            firing_minutes=dict(sorted(self.firing_minutes.items())),
            on_call_openings=self.on_call_openings,
            last_end=self.last_end,
            prep_requests=self.prep_requests,
            help_requests=self.help_requests,
        )


def compile_scenario(scenario: Scenario) -> HallModel:
    """The scenario prepared for simulation; pass it to :func:`simulate_day` to run many days of it."""
    return HallModel(scenario)


def simulate_day(scenario: Scenario | HallModel, *, seed: int | None = None, replication: int = 0) -> DayRun:
    """One replication of the scenario's day (``seed`` defaults to the scenario's)."""
    model = scenario if isinstance(scenario, HallModel) else HallModel(scenario)
    day = _Day(model, model.scenario.seed if seed is None else seed, replication)
    day.run()
    return day.result()


# ---------------------------------------------------------------------------------------------- records


def day_records(run: DayRun) -> list[TransactionRecord]:
    """The day as the live system would have recorded it: one row per counter transaction (done or no-show),
    per abandoned, diverted or unserved ticket. Ticket numbers follow the issue order per prefix."""
    sc = run.scenario
    start = sc.start.astimezone(dt.UTC)
    types = sc.business_types
    labels: dict[int, str] = {}
    seqs: dict[str, int] = {}
    for tid, c in enumerate(run.ticket_customer):
        prefix = types[run.ctype[c]].prefix
        seq = seqs.get(prefix, 0) + 1
        seqs[prefix] = seq
        labels[tid] = format_ticket_number(prefix, seq)
    delta = dt.timedelta
    numbers = [str(c.number) for c in sc.counters]
    agents = [f"agent-{c.number}" for c in sc.counters]
    cache: dict[float, dt.datetime] = {}

    def at(seconds: float | None) -> dt.datetime | None:
        if seconds is None:
            return None
        value = cache.get(seconds)
        if value is None:
            value = cache[seconds] = start + delta(seconds=seconds)
        return value

    out: list[TransactionRecord] = []
    for c, outcome, called, arrived, comm, op, ended, k, pre in run.rows:
        i = run.ctype[c]
        ticket = run.ticket[c]
        issued = at(run.issued[c])
        assert issued is not None
        priority, _ = PRIORITY_CLASSES[run.pclass[c]]
        out.append(
            TransactionRecord(
                ticket=labels[ticket] if ticket is not None else f"self-{c + 1}",
                service=types[i].code,
                channel=_CHANNELS[run.channel[c]],
                priority=priority.value,
                issued_at=issued,
                called_at=at(called),
                arrived_at=at(arrived),
                communication_at=at(comm),
                operation_at=at(op),
                ended_at=at(ended),
                outcome=_OUTCOMES[outcome],
                counter=numbers[k] if k >= 0 else "",
                agent=agents[k] if k >= 0 else "",
                quoted_wait_seconds=run.quoted[c] if ticket is not None else None,
                pre_order=pre,
                limit_minutes=types[i].limit_minutes,
            )
        )
    return out


# ---------------------------------------------------------------------------------------- half hours


@dataclass(frozen=True, slots=True)
class SlotFigures:
    """One half hour (of issue, or of request for the zones), pooled over replications (None: nobody to
    measure): counter tickets, the share called within the target wait (abandoned and unserved tickets miss
    it), the share that abandoned, the mean wait of the called tickets; pre-acceptance and kiosk-help requests
    and the share started within the zone target (those called or gone before it are not counted)."""

    tickets: int
    service_level: float | None
    abandonment: float | None
    prep_requests: int
    prep_level: float | None
    help_requests: int
    help_level: float | None
    wait_mean_seconds: float | None = None


def _zone_counts(
    requests: Sequence[tuple[float, float | None, float | None]], wait: float, slot: float, slots: int
) -> tuple[list[int], list[int]]:
    """Per half hour of the request: requests counted, and those started within ``wait``."""
    counted = [0] * slots
    within = [0] * slots
    for asked, started, left in requests:
        j = min(int(asked // slot), slots - 1)
        if started is not None and started - asked <= wait:
            counted[j] += 1
            within[j] += 1
        elif left is not None and left - asked < wait:
            continue  # called to the counter (or gave up) before the target: not counted
        else:
            counted[j] += 1
    return counted, within


def slot_figures(runs: Sequence[DayRun], wait_seconds: float, zone_wait_seconds: float) -> list[SlotFigures]:
    """Per half hour, pooled over ``runs``: the tickets issued then, the share called within ``wait_seconds``
    (abandoned and unserved tickets miss it), the share that abandoned, and the pre-acceptance and kiosk-help
    requests started within ``zone_wait_seconds``."""
    sc = runs[0].scenario
    slots, slot = sc.slots, sc.slot_seconds
    tickets = [0] * slots
    within = [0] * slots
    gone = [0] * slots
    called = [0] * slots
    waited = [0.0] * slots
    p_counted = [0] * slots
    p_within = [0] * slots
    h_counted = [0] * slots
    h_within = [0] * slots
    for run in runs:
        abandoned = {row[0] for row in run.rows if row[1] == _R_CANCELLED}
        for c, tid in enumerate(run.ticket):
            if tid is None:
                continue
            j = min(int(run.issued[c] // slot), slots - 1)
            tickets[j] += 1
            first = run.first_call[c]
            if first is not None:
                wait = first - run.issued[c]
                called[j] += 1
                waited[j] += wait
                if wait <= wait_seconds:
                    within[j] += 1
            if c in abandoned:
                gone[j] += 1
        for counted, ok, requests in (
            (p_counted, p_within, run.prep_requests),
            (h_counted, h_within, run.help_requests),
        ):
            n, w = _zone_counts(requests, zone_wait_seconds, slot, slots)
            for j in range(slots):
                counted[j] += n[j]
                ok[j] += w[j]
    return [
        SlotFigures(
            tickets=tickets[j],
            service_level=within[j] / tickets[j] if tickets[j] else None,
            abandonment=gone[j] / tickets[j] if tickets[j] else None,
            prep_requests=p_counted[j],
            prep_level=p_within[j] / p_counted[j] if p_counted[j] else None,
            help_requests=h_counted[j],
            help_level=h_within[j] / h_counted[j] if h_counted[j] else None,
            wait_mean_seconds=waited[j] / called[j] if called[j] else None,
        )
        for j in range(slots)
    ]


# ------------------------------------------------------------------------------------------- statistics


# Student's t, 97.5% quantile, for 1..30 degrees of freedom; beyond, the Cornish-Fisher expansion
_T975 = (
    12.706204736174707,
    4.302652729749464,
    3.182446305284263,
    2.7764451051977934,
    2.570581835636314,
    2.4469118511449692,
    2.3646242515927844,
    2.3060041352041662,
    2.2621571628540993,
    2.2281388519649385,
    2.200985160082949,
    2.1788128296634177,
    2.1603686564610127,
    2.1447866879169273,
    2.131449545559323,
    2.1199052992210112,
    2.1098155778331806,
    2.1009220402409601,
    2.093024054408263,
    2.0859634472658364,
    2.0796138447276626,
    2.0738730679040147,
    2.0686576104190406,
    2.0638985616280205,
    2.059538552753294,
    2.0555294386428709,
    2.0518305164802833,
    2.048407141795244,
    2.0452296421327034,
    2.0422724563012373,
)


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (table to 30, then a 4-term expansion
    accurate to about 1e-6)."""
    if df < 1:
        raise ValueError("df must be >= 1")
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959963984540054
    z2 = z * z
    return (
        z
        + z * (z2 + 1) / (4 * df)
        + z * (5 * z2 * z2 + 16 * z2 + 3) / (96 * df**2)
        + z * (3 * z2**3 + 19 * z2 * z2 + 17 * z2 - 15) / (384 * df**3)
        + z * (79 * z2**4 + 776 * z2**3 + 1482 * z2 * z2 - 1920 * z2 - 945) / (92160 * df**4)
    )


@dataclass(frozen=True, slots=True)
class Interval:
    """The mean over replications and its 95% confidence interval (Student's t); ``n`` replications had a
    value (a figure with an empty denominator in a replication is left out there)."""

    mean: float
    half_width: float | None
    n: int

    @property
    def low(self) -> float | None:
        return None if self.half_width is None else self.mean - self.half_width

    @property
    def high(self) -> float | None:
        return None if self.half_width is None else self.mean + self.half_width

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "ci95_low": self.low, "ci95_high": self.high, "n": self.n}


def interval(values: Sequence[float]) -> Interval | None:
    """Mean and 95% confidence half-width of independent replications (None without any value)."""
    n = len(values)
    if n == 0:
        return None
    mean = math.fsum(values) / n
    if n == 1:
        return Interval(mean, None, 1)
    variance = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return Interval(mean, t975(n - 1) * math.sqrt(variance / n), n)


def batch_estimate(values: Sequence[float], batches: int = 20) -> Estimate:
    """Mean of ``values`` (in time order) and its batch-means standard error: the values are cut into
    ``batches`` consecutive batches of nearly equal size, as in :mod:`hallops.core.sim.mmc`."""
    n = len(values)
    if batches < 2 or n < batches:
        raise ValueError("need at least 2 batches and one value per batch")
    sizes = [n // batches + (1 if b < n % batches else 0) for b in range(batches)]
    means = []
    start = 0
    for size in sizes:
        means.append(math.fsum(values[start : start + size]) / size)
        start += size
    centre = math.fsum(means) / batches
    variance = math.fsum((x - centre) ** 2 for x in means) / (batches - 1)
    return Estimate(mean=math.fsum(values) / n, se=math.sqrt(variance / batches))


# ------------------------------------------------------------------------------------------ replications

#: the KPI figures summarised over replications (counts and means; the over-limit list is left out)
KPI_FIELDS = tuple(f.name for f in fields(Kpis) if f.name != "over_limit")


@dataclass(frozen=True, slots=True)
class Replication:
    run: DayRun
    kpis: Kpis | None


@dataclass(frozen=True, slots=True)
class HallResult:
    scenario: Scenario
    seed: int
    replications: tuple[Replication, ...]
    #: KPI figure → interval over replications (empty when KPIs were not computed)
    kpis: dict[str, Interval | None]
    #: the simulator's own figures → interval (utilisation per zone, abandonment, pre-orders, modes, ...)
    figures: dict[str, Interval | None]
    #: per half hour, pooled over the replications (the scenario's wait target, 2 minutes for the zones)
    half_hours: tuple[SlotFigures, ...] = ()

    def to_json(self) -> dict[str, Any]:
        sc = self.scenario
        return {
            "hall": sc.hall,
            "name": sc.name,
            "day": sc.day.isoformat(),
            "variant": sc.variant.value,
            "seed": self.seed,
            "replications": len(self.replications),
            "kpis": {k: (v.to_json() if v else None) for k, v in self.kpis.items()},
            "figures": {k: (v.to_json() if v else None) for k, v in self.figures.items()},
            "half_hours": [
                {
                    "start": sc.slot_label(j),
                    "tickets_per_day": f.tickets / len(self.replications),
                    "wait_mean_seconds": f.wait_mean_seconds,
                    "service_level": f.service_level,
                    "abandonment": f.abandonment,
                    "preacceptance_level": f.prep_level,
                    "help_level": f.help_level,
                }
                for j, f in enumerate(self.half_hours)
            ],
        }


def run_figures(run: DayRun) -> dict[str, float | None]:
    """One replication's own figures (besides the KPIs)."""
    u = run.utilisation
    sc = run.scenario
    out: dict[str, float | None] = {
        "arrivals": float(len(run.arrival)),
        "counter_tickets": float(run.counter_tickets),
        "abandonment_share": run.abandoned / run.counter_tickets if run.counter_tickets else None,
        "utilisation_counters": u.counters,
    }
    for zone, value in u.by_counter_zone.items():
        out[f"utilisation_counter_zone_{zone}"] = value
    out["utilisation_preacceptance"] = u.preacceptance
    out["utilisation_self_service"] = u.self_service
    out["kiosk_customers"] = float(run.kiosk_customers)
    out["kiosk_help_fallbacks"] = float(run.kiosk_help_fallbacks)
    out["preacceptance_routed"] = float(run.preacceptance_routed)
    out["pre_orders_ready_share"] = (
        run.pre_orders_ready / run.preacceptance_routed if run.preacceptance_routed else None
    )
    out["last_service_end_minutes_after_close"] = max(0.0, run.last_end - sc.horizon) / 60.0
    if sc.modes is not None and sc.variant is Variant.FOUR_ZONES:
        minutes = mode_minutes(run)
        for mode in Mode:
            out[f"mode_minutes_{mode.value}"] = minutes.get(mode.value, 0.0)
        for index in range(len(sc.rules)):
            out[f"rule_{index}_firing_minutes"] = run.firing_minutes.get(index, 0.0)
        out["on_call_openings"] = float(run.on_call_openings)
    return out


def mode_minutes(run: DayRun) -> dict[str, float]:
    """Minutes of the opening hours spent in each mode."""
    out: dict[str, float] = {}
    horizon = run.scenario.horizon
    for (at, mode), nxt in zip(run.modes, [*run.modes[1:], (horizon, "")], strict=True):
        out[mode] = out.get(mode, 0.0) + (min(nxt[0], horizon) - at) / 60.0
    return out


def simulate_hall(
    scenario: Scenario,
    *,
    replications: int | None = None,
    seed: int | None = None,
    kpis: bool = True,
    progress: Callable[[int], None] | None = None,
) -> HallResult:
    """``replications`` independent days (default: the scenario's), their KPIs from
    :func:`hallops.core.kpi.compute_kpis` and the means with 95% confidence intervals."""
    count = scenario.replications if replications is None else replications
    if count < 1:
        raise ValueError("replications must be >= 1")
    base = scenario.seed if seed is None else seed
    tz = ZoneInfo(scenario.timezone)
    complex_services = frozenset(t.code for t in scenario.business_types if t.complex)
    model = HallModel(scenario)
    reps: list[Replication] = []
    for r in range(count):
        run = simulate_day(model, seed=base, replication=r)
        report = compute_kpis(day_records(run), tz=tz, complex_services=complex_services) if kpis else None
        reps.append(Replication(run=run, kpis=report.total if report is not None else None))
        if progress is not None:
            progress(r + 1)
    kpi_summary: dict[str, Interval | None] = {}
    if kpis:
        for name in KPI_FIELDS:
            values = [float(v) for rep in reps if rep.kpis is not None and (v := getattr(rep.kpis, name)) is not None]
            kpi_summary[name] = interval(values)
    per_run = [run_figures(rep.run) for rep in reps]
    names: list[str] = []
    for figures in per_run:
        names.extend(n for n in figures if n not in names)
    summary = {name: interval([v for figures in per_run if (v := figures.get(name)) is not None]) for name in names}
    half_hours = slot_figures([rep.run for rep in reps], scenario.wait_target_seconds, ZONE_WAIT_SECONDS)
    return HallResult(
        scenario=scenario,
        seed=base,
        replications=tuple(reps),
        kpis=kpi_summary,
        figures=summary,
        half_hours=tuple(half_hours),
    )


# -------------------------------------------------------------------------------------------- validation


def steady_scenario(
    *,
    arrival_rate_per_minute: float,
    mean_service_minutes: float,
    servers: int,
    customers: int,
    mean_patience_minutes: float | None = None,
    code: str = "mmc",
) -> Scenario:
    """The hall configured as plain M/M/c (or M/M/c+M): one business type, no triage, first come first served,
    exponential service and patience, no walk or no-show, one long period of ``customers / λ`` minutes."""
    from hallops.core.sim.scenario import BusinessTypeSpec, CounterSpec

    minutes = customers / arrival_rate_per_minute
    spec = BusinessTypeSpec(
        code=code,
        prefix="A",
        limit_minutes=10.0,
        complex=False,
        kiosk=False,
        forced=False,
        pre_acceptance=False,
        arrivals=(float(customers),),
        service=Dist(DistKind.EXPONENTIAL, mean_service_minutes * 60.0, 1.0),
        communication_share=0.5,
    )
    counters = tuple(CounterSpec(number=k + 1, zone="counter", skills=None, open=(True,)) for k in range(servers))
    patience = None if mean_patience_minutes is None else Dist(DistKind.EXPONENTIAL, mean_patience_minutes * 60.0)
    return Scenario(
        hall="steady",
        name="M/M/c",
        day=dt.date(2026, 1, 5),
        timezone="UTC",
        opens=dt.time(0, 0),
        slots=1,
        business_types=(spec,),
        counters=counters,
        variant=Variant.COUNTER_ONLY,
        replications=2,
        patience=patience,
        quote_waits=False,
        slot_seconds=minutes * 60.0,
    )
