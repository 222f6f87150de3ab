"""Simulated customers and agents for the live demo, acting through the same services as people do.

Customers arrive by a Poisson process whose rate follows the hall's day profile; simulated agents hold the
counters no person has opened, call the next customer, step through the timed phases and finish. A person who
opens a counter takes it over (``hall.services.counter_open``). Runs as one thread of ``hallops serve``.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import close_old_connections
from django.utils import timezone

from hallops.core.policy import Priority
from hallops.core.roles import Role
from hallops.errors import DomainError
from hallops.hall import services
from hallops.organisation.access import Actor, actor_for_user
from hallops.organisation.models import Counter, CounterStatus, CounterZone, Hall, StaffRole

log = logging.getLogger("hallops.demo")

# Arrivals per minute per hall by local hour: a weekday profile with the late-morning and afternoon peaks.
HOURLY_RATE = [0.3] * 8 + [1.0, 2.0, 2.6, 2.4, 1.4, 1.6, 2.2, 2.4, 2.0, 1.4, 0.8, 0.6] + [0.3] * 4
SERVICE_WEIGHTS = {
    "sim_replacement": 14,
    "value_added": 10,
    "plan_change": 14,
    "new_subscriber": 10,
    "broadband": 8,
    "bundle": 5,
    "handset": 6,
    "complaint": 4,
    "inquiry": 12,
    "payment": 10,
    "bill_query": 5,
    "ownership_transfer": 2,
}
SIM_COUNTERS_PER_HALL = 4
SIM_USERNAME = "sim-agent"


@dataclass
class CounterPlan:
    """What the simulated agent at one counter does next, and when."""

    step: str = "call"
    due: float = 0.0
    service_seconds: float = 0.0


@dataclass
class HallSim:
    hall: Hall
    actor: Actor
    plans: dict[int, CounterPlan] = field(default_factory=dict)
    next_arrival: float = 0.0


class DemoTraffic:
    def __init__(self, *, seed: int = 20261123, speed: float = 1.0) -> None:
        self.rng = random.Random(seed)
        self.speed = speed
        self.stop = threading.Event()
        self.halls: list[HallSim] = []

    def _sim_actor(self, hall: Hall) -> Actor:
        user, _ = get_user_model().objects.get_or_create(username=SIM_USERNAME, defaults={"is_active": False})
        StaffRole.objects.get_or_create(user=user, hall=hall, role=Role.AGENT)
        StaffRole.objects.get_or_create(user=user, hall=hall, role=Role.KIOSK)
        return actor_for_user(user, session_ref=services.SIMULATED_SESSION)

    def setup(self) -> None:
        self.halls = [HallSim(hall=h, actor=self._sim_actor(h)) for h in Hall.objects.order_by("code")]
        now = time.monotonic()
        for sim in self.halls:
            sim.next_arrival = now + self.rng.expovariate(1.0) * 5
            counters = Counter.objects.filter(hall=sim.hall).exclude(zone=CounterZone.VIP).order_by("number")
            for counter in counters[:SIM_COUNTERS_PER_HALL]:
                if counter.status == CounterStatus.CLOSED or counter.session_ref == services.SIMULATED_SESSION:
                    try:
                        services.counter_open(actor=sim.actor, counter_id=counter.pk)
                    except DomainError:
                        continue
                    sim.plans[counter.pk] = CounterPlan(due=now + self.rng.uniform(1, 8))

    def _arrival(self, sim: HallSim) -> None:
        codes = list(SERVICE_WEIGHTS)
        code = self.rng.choices(codes, weights=[SERVICE_WEIGHTS[c] for c in codes])[0]
        roll = self.rng.random()
        priority, star = Priority.NORMAL, 0
        if roll < 0.05:
            priority, star = Priority.VIP, self.rng.randint(1, 5)
        elif roll < 0.15:
            priority = Priority.ELDERLY
        channel = "kiosk" if self.rng.random() < 0.6 else "greeter"
        try:
            services.ticket_issue(
                actor=sim.actor,
                hall=sim.hall,
                service_code=code,
                channel=channel,
                priority=priority.value,
                star_level=star,
            )
        except DomainError as exc:
            log.debug("demo arrival refused: %s", exc.message)

    def _counter_step(self, sim: HallSim, counter_id: int, plan: CounterPlan, now: float) -> None:
        actor = sim.actor
        try:
            if plan.step == "call":
                result = services.counter_call_next(actor=actor, counter_id=counter_id)
                if result is None:
                    plan.due = now + 5 / self.speed
                    return
                limit = result.transaction.limit_seconds
                plan.service_seconds = max(40.0, self.rng.lognormvariate(0, 0.35) * 0.65 * limit)
                plan.step, plan.due = "arrive", now + self.rng.uniform(8, 30) / self.speed
            elif plan.step == "arrive":
                if self.rng.random() < 0.04:
                    services.counter_no_show(actor=actor, counter_id=counter_id)
                    plan.step, plan.due = "call", now + 3 / self.speed
                    return
                services.counter_arrive(actor=actor, counter_id=counter_id)
                services.counter_start_communication(actor=actor, counter_id=counter_id)
                plan.step, plan.due = "operation", now + plan.service_seconds * 0.4 / self.speed
            elif plan.step == "operation":
                services.counter_start_operation(actor=actor, counter_id=counter_id)
                plan.step, plan.due = "complete", now + plan.service_seconds * 0.6 / self.speed
            elif plan.step == "complete":
                services.counter_complete(actor=actor, counter_id=counter_id)
                plan.step, plan.due = "call", now + self.rng.uniform(2, 10) / self.speed
        except DomainError as exc:
            if exc.code in ("counter_in_use", "counter_closed", "counter_paused"):
                sim.plans.pop(counter_id, None)  # a person took the counter over
            elif exc.code in ("no_transaction", "illegal_transition"):
                plan.step, plan.due = "call", now + 2
            elif exc.code == "transaction_open":
                plan.step, plan.due = "complete", now + 2
            else:
                log.info("demo agent at counter %s: %s", counter_id, exc.message)
                plan.due = now + 5

    def tick(self) -> None:
        now = time.monotonic()
        for sim in self.halls:
            hour = timezone.now().astimezone(sim.hall.tz).hour
            rate_per_s = HOURLY_RATE[hour] / 60 * self.speed
            while sim.next_arrival <= now:
                self._arrival(sim)
                sim.next_arrival += self.rng.expovariate(rate_per_s)
            for counter_id, plan in list(sim.plans.items()):
                if plan.due <= now:
                    self._counter_step(sim, counter_id, plan, now)

    def run(self) -> None:
        close_old_connections()
        try:
            self.setup()
        except Exception:
            log.exception("demo traffic could not start")
            return
        log.info("demo traffic running in %d halls", len(self.halls))
        while not self.stop.wait(0.5):
            try:
                self.tick()
            except Exception:
                log.exception("demo traffic tick failed")
            finally:
                close_old_connections()


def demo_traffic_start(*, speed: float = 1.0) -> DemoTraffic | None:
    """Start the simulation thread when the demo recorded traffic as on."""
    from hallops.web.models import DemoState

    state = DemoState.objects.first()
    if state is None or not state.traffic:
        return None
    traffic = DemoTraffic(speed=speed)
    threading.Thread(target=traffic.run, name="demo-traffic", daemon=True).start()
    return traffic
