"""Eight weeks of history for each demo hall, ending yesterday (hall-local), loaded like any import.

A seeded generator that a hall manager would recognise:

- **Arrivals**: a day level by day kind from the working calendar (``core.calendar.WorkingCalendar``, China:
  public holidays quieter, weekends busier, make-up working days (调休) like a busy weekday), a weekday
  factor, a few campaign days (about 1.6×), a time-of-day profile with a morning and an afternoon peak and a
  lunch dip (flatter and later at weekends), and Poisson noise per hour.
- **Queue**: first come, first served over the counters staffed that hour (staffing follows the expected
  load at about 90 % occupancy, sometimes one agent short), each counter serving its business types, the
  agent idle longest first; so waits grow at the peaks and on campaign days. Agents rotate over the
  counters from day to day.
- **Visits**: business types in realistic shares (forced self-service ones diverted), channels and
  priorities; phase times drawn around each business type's limit (about one in ten over it; shorter
  with a pre-order); walk, communication and operation marked (sometimes not); no-shows (some recalled and
  served), customers who give up waiting (cancelled), multi-service visits (two transactions of one
  ticket), tickets still waiting at closing (not served); ratings, more often dissatisfied after a long
  wait or an overrun; the wait quoted at issue, with an error.

Each day's rows depend only on the seed, the hall and the date (``random.Random`` per day, no global
state), so reloading the demo gives the same history for the same days.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.utils import timezone

from hallops.analytics.models import Source
from hallops.analytics.services import LoadResult, records_clear, records_load
from hallops.catalog.models import BusinessType, Complexity
from hallops.core.calendar import DayKind, WorkingCalendar
from hallops.core.kpi import Outcome, TransactionRecord
from hallops.core.roles import Role
from hallops.organisation.models import Counter, CounterZone, Hall, StaffRole

SEED = 20240601
WEEKS = 8


@dataclass(frozen=True, slots=True)
class DemoService:
    code: str
    prefix: str
    limit_minutes: float
    complex: bool
    share: float  # of arrivals
    diverted: bool = False  # forced to self-service: every ticket is diverted
    pre_acceptance: bool = False


@dataclass(frozen=True, slots=True)
class DemoCounter:
    number: int
    services: frozenset[str]
    agent: str


@dataclass(frozen=True, slots=True)
class DemoHall:
    code: str
    tz: ZoneInfo
    opens: dt.time
    closes: dt.time
    #: mean tickets on an ordinary weekday
    daily_arrivals: float
    services: tuple[DemoService, ...]
    #: in the order they are opened as the load grows
    counters: tuple[DemoCounter, ...]


#: shares of the business types at a telecom hall's counters (seeds 000/003; payment and bill queries are
#: forced to self-service in the demo, so they arrive and are diverted)
SERVICE_SHARES = {
    "new_subscriber": 0.10,
    "sim_replacement": 0.16,
    "value_added": 0.10,
    "plan_change": 0.14,
    "payment": 0.08,
    "bill_query": 0.05,
    "broadband": 0.07,
    "bundle": 0.06,
    "handset": 0.05,
    "complaint": 0.04,
    "inquiry": 0.12,
    "ownership_transfer": 0.03,
}
CHANNELS = (("kiosk", 0.46), ("greeter", 0.34), ("remote", 0.08), ("appointment", 0.07), ("api", 0.05))
DAY_LEVEL = {
    DayKind.WORKDAY: 1.0,
    DayKind.WEEKEND: 1.2,
    DayKind.HOLIDAY: 0.65,
    DayKind.MAKEUP_WORKDAY: 1.15,
}
WEEKDAY_FACTOR = (1.12, 0.98, 0.95, 0.97, 1.06, 1.0, 0.92)
CAMPAIGN_FACTOR = 1.6
CAMPAIGN_WEEKS = 0.35
#: relative arrivals per opening hour (09:00 … 17:00): a morning peak, a lunch dip, an afternoon peak
WORKDAY_PROFILE = (0.75, 1.25, 1.3, 0.95, 0.7, 0.95, 1.2, 1.1, 0.8)
WEEKEND_PROFILE = (0.55, 0.95, 1.2, 1.2, 1.0, 1.15, 1.2, 1.0, 0.75)
NO_SHOW = 0.04
RECALLED = 0.4
MULTI_SERVICE = 0.04
PATIENCE_MEAN_MINUTES = 40.0
RATED = 0.55
#: staffing aims at this occupancy of the open counters, and is one agent short this often
OCCUPANCY = 0.9
SHORT_STAFFED = 0.3


def is_campaign_day(day: dt.date, seed: int = SEED) -> bool:
    """About one campaign day in three weeks (a product launch, a month-end promotion): drawn per ISO week,
    so that a date's answer never depends on the period asked for."""
    year, week, weekday = day.isocalendar()
    rng = random.Random(f"{seed}:campaign:{year}-{week}")
    return rng.random() < CAMPAIGN_WEEKS and rng.randrange(1, 8) == weekday


def _pick(rng: random.Random, weighted: Sequence[tuple[str, float]]) -> str:
    x = rng.random() * sum(w for _, w in weighted)
    for value, w in weighted:
        x -= w
        if x < 0:
            return value
    return weighted[-1][0]


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 30:  # normal approximation, plenty for arrivals per hour
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(slots=True)
class _Ticket:
    number: str
    issued: dt.datetime
    service: DemoService
    channel: str
    priority: str


def generate_day(hall: DemoHall, day: dt.date, kind: DayKind, *, campaign: bool, seed: int) -> list[TransactionRecord]:
    """One day's records of ``hall``."""
    rng = random.Random(f"{seed}:{hall.code}:{day.isoformat()}")
    weekend = kind in (DayKind.WEEKEND, DayKind.HOLIDAY)
    profile = WEEKEND_PROFILE if weekend else WORKDAY_PROFILE
    level = hall.daily_arrivals * DAY_LEVEL[kind] * WEEKDAY_FACTOR[day.weekday()]
    level *= (CAMPAIGN_FACTOR if campaign else 1.0) * math.exp(rng.gauss(0, 0.08))
    opens = dt.datetime.combine(day, hall.opens, tzinfo=hall.tz)
    closes = dt.datetime.combine(day, hall.closes, tzinfo=hall.tz)
    hours = max(1, int((closes - opens).total_seconds() // 3600))
    weights = [profile[min(h, len(profile) - 1)] for h in range(hours)]
    scale = level / sum(weights)
    shares = [(s.code, s.share) for s in hall.services]
    by_code = {s.code: s for s in hall.services}
    seqs: dict[str, int] = {}
    tickets: list[_Ticket] = []
    per_hour: list[float] = []
    for h, weight in enumerate(weights):
        mean = weight * scale
        per_hour.append(mean)
        for _ in range(_poisson(rng, mean)):
            at = opens + dt.timedelta(hours=h, seconds=rng.randrange(3600))
            service = by_code[_pick(rng, shares)]
            channel = _pick(rng, CHANNELS)
            priority = (
                "appointment"
                if channel == "appointment"
                else _pick(rng, (("normal", 0.86), ("elderly", 0.09), ("vip", 0.05)))
            )
            tickets.append(_Ticket("", at, service, channel, priority))
    tickets.sort(key=lambda t: t.issued)
    for t in tickets:
        prefix = t.service.prefix
        seqs[prefix] = seqs.get(prefix, 0) + 1
        t.number = f"{prefix}{seqs[prefix]:03d}"
    counter_services = [x for x in hall.services if not x.diverted]
    weight = sum(x.share for x in counter_services) or 1.0
    # the mean handling time: service (lognormal around 0.6 of the limit: mean 0.66), walk and hand-over
    mean_handling = 60 * sum(x.limit_minutes * 0.66 * x.share for x in counter_services) / weight + 60
    staffed = []
    for mean in per_hour:
        need = round(mean * mean_handling / 3600 / OCCUPANCY)
        if rng.random() < SHORT_STAFFED:
            need -= 1  # someone is off sick, or on a break that ran long
        staffed.append(max(2, min(len(hall.counters), need)))
    free_at = [opens] * len(hall.counters)
    out: list[TransactionRecord] = []
    for t in tickets:
        out += _visit(rng, hall, t, opens, closes, staffed, free_at)
    return out


def _row(t: _Ticket, service: DemoService, outcome: Outcome, **kw: object) -> TransactionRecord:
    return TransactionRecord(
        ticket=t.number,
        service=service.code,
        channel=t.channel,
        priority=t.priority,
        issued_at=t.issued,
        outcome=outcome,
        **kw,  # type: ignore[arg-type]
    )


def _open_from(counter_index: int, at: dt.datetime, opens: dt.datetime, staffed: list[int]) -> dt.datetime | None:
    """The first moment from ``at`` at which the counter is staffed, or None (not again today)."""
    hour = max(0, int((at - opens).total_seconds() // 3600))
    while hour < len(staffed):
        if counter_index < staffed[hour]:
            return max(at, opens + dt.timedelta(hours=hour))
        hour += 1
    return None


def _visit(
    rng: random.Random,
    hall: DemoHall,
    t: _Ticket,
    opens: dt.datetime,
    closes: dt.datetime,
    staffed: list[int],
    free_at: list[dt.datetime],
) -> list[TransactionRecord]:
    s = t.service
    if s.diverted:
        return [_row(t, s, Outcome.DIVERTED, ended_at=t.issued)]
    best: tuple[dt.datetime, int] | None = None
    for i, counter in enumerate(hall.counters):
        if s.code not in counter.services:
            continue
        start = _open_from(i, max(t.issued, free_at[i]), opens, staffed)
        # the earliest start; among counters free at once, the one idle longest (balances the agents)
        if start is not None and (best is None or (start, free_at[i]) < (best[0], free_at[best[1]])):
            best = (start, i)
    patience = dt.timedelta(minutes=rng.expovariate(1 / PATIENCE_MEAN_MINUTES))
    if best is None or best[0] > closes + dt.timedelta(minutes=20):
        if t.issued + patience < closes:
            return [_row(t, s, Outcome.CANCELLED, ended_at=t.issued + patience)]
        return [_row(t, s, Outcome.NOT_SERVED, ended_at=closes + dt.timedelta(minutes=30))]
    start, index = best
    if start - t.issued > patience and rng.random() < 0.7:
        return [_row(t, s, Outcome.CANCELLED, ended_at=t.issued + patience)]
    wait = (start - t.issued).total_seconds()
    quoted = float(max(0, round(wait * math.exp(rng.gauss(0, 0.35)) / 10) * 10))
    counter = hall.counters[index]
    # agents rotate over the counters from day to day
    agent = hall.counters[(index + t.issued.toordinal()) % len(hall.counters)].agent
    common: dict[str, object] = {"quoted_wait_seconds": quoted, "counter": str(counter.number), "agent": agent}
    rows: list[TransactionRecord] = []
    called = start
    if rng.random() < NO_SHOW:
        missed_end = called + dt.timedelta(seconds=rng.randint(45, 120))
        rows.append(
            _row(t, s, Outcome.NO_SHOW, called_at=called, ended_at=missed_end, limit_minutes=s.limit_minutes, **common)
        )
        free_at[index] = missed_end
        if rng.random() >= RECALLED:
            end = closes + dt.timedelta(minutes=30)
            rows.append(_row(t, s, Outcome.NOT_SERVED, ended_at=end, quoted_wait_seconds=quoted))
            return rows
        called = missed_end + dt.timedelta(minutes=rng.randint(3, 15))
    services = [s]
    if rng.random() < MULTI_SERVICE:
        others = [o for o in hall.services if not o.diverted and o.code != s.code and o.code in counter.services]
        if others:
            services.append(rng.choice(others))
    for service in services:
        called, row = _transaction(rng, t, service, called, common, wait)
        rows.append(row)
    free_at[index] = called
    return rows


def _transaction(
    rng: random.Random, t: _Ticket, s: DemoService, called: dt.datetime, common: dict[str, object], wait: float
) -> tuple[dt.datetime, TransactionRecord]:
    """One done transaction called at ``called``; returns when the counter is free again, and the row."""
    pre_order = s.pre_acceptance and rng.random() < (0.55 if s.complex else 0.25)
    median = s.limit_minutes * 60 * (0.6 if not pre_order else 0.45)
    service_seconds = max(20.0, median * math.exp(rng.gauss(0, 0.45)))
    walk = rng.uniform(10, 70)
    arrived = called + dt.timedelta(seconds=round(walk))
    marks = rng.random()
    communication = arrived + dt.timedelta(seconds=rng.randint(3, 20)) if marks > 0.08 else None
    start_service = arrived
    done = start_service + dt.timedelta(seconds=round(service_seconds))
    operation = None
    if marks > 0.15:
        after = (communication or arrived) + dt.timedelta(seconds=round(service_seconds * rng.uniform(0.25, 0.5)))
        operation = min(after, done)
    over = service_seconds > s.limit_minutes * 60
    unhappy = 0.03 + (0.12 if wait > 600 else 0.0) + (0.08 if over else 0.0)
    rating = None
    if rng.random() < RATED:
        x = rng.random()
        rating = 1 if x < unhappy else 3 if x < unhappy + 0.68 else 2
    row = _row(
        t,
        s,
        Outcome.DONE,
        called_at=called,
        arrived_at=arrived,
        communication_at=communication,
        operation_at=operation,
        ended_at=done,
        rating=rating,
        pre_order=pre_order,
        limit_minutes=s.limit_minutes,
        **common,
    )
    return done + dt.timedelta(seconds=rng.randint(5, 40)), row


def generate_history(
    hall: DemoHall, *, end: dt.date, days: int = WEEKS * 7, seed: int = SEED, calendar: WorkingCalendar | None = None
) -> list[TransactionRecord]:
    """``days`` days of ``hall``'s records, the last one ``end``."""
    calendar = calendar or WorkingCalendar(country="CN")
    out: list[TransactionRecord] = []
    for offset in range(days - 1, -1, -1):
        day = end - dt.timedelta(days=offset)
        out += generate_day(hall, day, calendar.day_kind(day), campaign=is_campaign_day(day, seed), seed=seed)
    return out


# ---------------------------------------------------------------------------------------------- the demo halls


def demo_hall(hall: Hall) -> DemoHall:
    """The generator's view of a hall of the database: its zone, hours, business types, counters and agents.

    Counters are opened in number order, the complex-business and VIP counters last. The hall's agents staff
    the first counters; the others are staffed by colleagues who are not in the system (external ids such as
    ``ty01-s05``), as in a history imported from the queue system the hall used before.
    """
    services = []
    for b in BusinessType.objects.filter(active=True).order_by("sort_order", "code"):
        share = SERVICE_SHARES.get(b.code, 0.02)
        services.append(
            DemoService(
                code=b.code,
                prefix=b.prefix,
                limit_minutes=float(b.limit_minutes),
                complex=b.complexity == Complexity.COMPLEX,
                share=share,
                diverted=b.forced_self_service,
                pre_acceptance=b.pre_acceptance,
            )
        )
    agents = sorted(
        StaffRole.objects.filter(hall=hall, role=Role.AGENT).values_list("user__username", flat=True),
        key=lambda name: (len(name), name),
    )
    counters = list(Counter.objects.filter(hall=hall).prefetch_related("services").order_by("number"))
    counters.sort(key=lambda c: (c.zone != CounterZone.COUNTER, c.number))
    demo_counters = tuple(
        DemoCounter(
            number=c.number,
            services=frozenset(s.code for s in c.services.all()),
            agent=agents[i] if i < len(agents) else f"{hall.code}-s{c.number:02d}",
        )
        for i, c in enumerate(counters)
    )
    size = len(demo_counters)
    return DemoHall(
        code=hall.code,
        tz=hall.tz,
        opens=hall.opens_at,
        closes=hall.closes_at,
        daily_arrivals=DAILY_ARRIVALS_PER_COUNTER * size,
        services=tuple(services),
        counters=demo_counters,
    )


#: an ordinary weekday's tickets per counter of the hall (ty01: 8 counters, about 240 tickets)
DAILY_ARRIVALS_PER_COUNTER = 30


def demo_history_load(
    *, halls: Sequence[Hall], end: dt.date | None = None, days: int = WEEKS * 7, seed: int = SEED
) -> dict[str, LoadResult]:
    """Replace the halls' analytics rows with generated history (``days`` days ending ``end``, by default
    yesterday in each hall's zone), loaded through ``records_load`` (source ``demo``)."""
    calendar = WorkingCalendar(country="CN")
    records_clear(halls=halls)
    out = {}
    for hall in halls:
        last = end or timezone.now().astimezone(hall.tz).date() - dt.timedelta(days=1)
        records = generate_history(demo_hall(hall), end=last, days=days, seed=seed, calendar=calendar)
        out[hall.code] = records_load(hall=hall, records=records, source=Source.DEMO)
    return out
