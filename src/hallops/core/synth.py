"""Synthetic arrival histories, for back-testing the forecaster honestly.

A seeded generator of arrivals per business type, day and half hour for a hall that a manager would
recognise: busy mornings and afternoons, quieter weekends with shorter hours, public holidays and make-up
working days (调休) from the working calendar, campaign days, growth, and noise. It is deliberately **not**
the forecaster's model (:mod:`hallops.core.forecast`), and the forecaster is never given its parameters:

- the level follows a random walk in log space (daily steps) on top of a trend, with one step change
  (a competitor's hall closing, a road works…) at a random day; the forecaster assumes a smooth level;
- every day has its own multiplicative shock (gamma, mean 1), shared by its half hours and business types,
  and every half hour negative-binomial noise (a Poisson count whose mean is itself gamma-distributed);
- the time-of-day shape is a mixture of peaks whose centres wander a little from day to day;
- a public holiday multiplies the day by a factor drawn per holiday period (not per day class), and moves
  its peak later; the working day after a holiday period has a catch-up surge; neither is in the forecaster;
- a make-up working day behaves like the weekday whose timetable it follows (drawn), slightly quieter;
- campaign days lift some business types more than others (drawn per campaign), with a different shape.

Only the dates of the campaigns are handed to the forecaster (a hall knows when it runs a campaign); how
much they lift, and everything else above, it has to estimate from the history.

Randomness: one ``random.Random(seed)``; no global state. Poisson variates by inversion (sequential search),
in pieces of mean at most 30 for large means. Everything is a function of the seed and the settings.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from hallops.core.calendar import DayKind
from hallops.core.forecast import SLOT_MINUTES, SLOTS_PER_DAY, ArrivalHistory, DayKinds, ForecastError
from hallops.core.history_csv import COLUMNS


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthService:
    code: str
    #: mean arrivals of an ordinary Monday at the start
    daily_mean: float
    #: Monday … Sunday, relative to Monday
    weekday_factors: tuple[float, float, float, float, float, float, float]
    #: (centre hour, width in hours, weight) of the peaks of the day's shape
    peaks: tuple[tuple[float, float, float], ...] = ((10.5, 1.2, 1.0), (15.0, 1.5, 0.8))
    #: how strongly a campaign lifts this business type (the uplift's exponent, 0: not at all)
    campaign_sensitivity: float = 1.0


DEFAULT_SERVICES = (
    SynthService(code="new_subscriber", daily_mean=150, weekday_factors=(1.0, 0.9, 0.9, 0.95, 1.1, 1.3, 1.2)),
    SynthService(
        code="sim_replacement",
        daily_mean=200,
        weekday_factors=(1.0, 0.95, 0.9, 0.9, 1.0, 0.8, 0.7),
        peaks=((9.8, 1.0, 1.0), (14.5, 1.8, 0.7)),
        campaign_sensitivity=0.3,
    ),
    SynthService(
        code="plan_change",
        daily_mean=100,
        weekday_factors=(1.0, 1.0, 1.0, 1.0, 0.9, 0.6, 0.5),
        peaks=((11.0, 1.5, 1.0), (16.0, 1.0, 0.9)),
        campaign_sensitivity=1.5,
    ),
    SynthService(
        code="broadband",
        daily_mean=40,
        weekday_factors=(1.0, 1.0, 1.1, 1.0, 1.0, 1.4, 1.3),
        peaks=((10.0, 2.0, 1.0), (15.5, 2.0, 1.0)),
        campaign_sensitivity=1.2,
    ),
    SynthService(
        code="complaint",
        daily_mean=15,
        weekday_factors=(1.3, 1.0, 1.0, 1.0, 1.0, 0.7, 0.6),
        peaks=((10.0, 1.5, 1.0), (15.0, 1.5, 1.0)),
        campaign_sensitivity=0.0,
    ),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SynthSettings:
    start: date
    weeks: int
    services: tuple[SynthService, ...] = DEFAULT_SERVICES
    #: opening hours (from, to) on working days and on weekends and holidays
    open_workday: tuple[float, float] = (9.0, 18.0)
    open_weekend: tuple[float, float] = (10.0, 17.0)
    #: growth of the level per week (0.01 = 1 %)
    weekly_growth: float = 0.01
    #: standard deviation of the daily step of the level's log random walk
    level_walk_sd: float = 0.01
    #: the level's one step change: factor drawn uniformly from this range, at a random day
    level_step: tuple[float, float] = (0.85, 1.15)
    #: gamma shape of a day's shock (coefficient of variation 1/√shape)
    day_shock_shape: float = 60.0
    #: negative-binomial size of a half hour's count (variance μ + μ²/size); None: Poisson
    dispersion: float | None = 25.0
    #: standard deviation, in hours, of the daily wander of the peaks' centres
    peak_wander_hours: float = 0.25
    #: a holiday period's factor on its days, drawn uniformly from this range
    holiday_factor: tuple[float, float] = (0.6, 1.4)
    #: hours by which the peaks move later on a holiday
    holiday_peak_delay_hours: float = 1.0
    #: factor on the first working day after a holiday period
    post_holiday_factor: float = 1.25
    #: factor on a make-up working day, over the weekday it follows
    makeup_factor: float = 0.92
    #: number of campaign days (ordinary working or weekend days, never the first two weeks)
    campaigns: int = 4
    #: a campaign's uplift, drawn uniformly from this range (raised to each service's sensitivity)
    campaign_uplift: tuple[float, float] = (1.4, 2.2)
    #: hours by which a campaign day's peaks move earlier (the promotion opens in the morning)
    campaign_peak_advance_hours: float = 0.5

    def __post_init__(self) -> None:
        if self.weeks < 1:
            raise ForecastError("weeks", f"must be >= 1, got {self.weeks!r}")
        if not self.services:
            raise ForecastError("services", "give at least one")
        if self.campaigns < 0:
            raise ForecastError("campaigns", f"must be >= 0, got {self.campaigns!r}")


@dataclass(frozen=True, slots=True)
class SynthHistory:
    history: ArrivalHistory
    #: what a hall would know in advance
    campaign_days: tuple[date, ...]
    #: the mean of every count given the day's level and calendar, before the day's shock and the half hour's
    #: noise (same shape as ``history.counts``): a forecast that knew the generator could do no better
    means: Mapping[str, tuple[tuple[float, ...], ...]] = field(repr=False)
    #: the hidden truth, for the record: campaign day -> uplift before each service's sensitivity
    campaign_uplifts: Mapping[date, float] = field(repr=False)


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson variate (inversion by sequential search; means above 30 are split into pieces)."""
    if mean <= 0:
        return 0
    pieces = math.ceil(mean / 30.0)
    part = mean / pieces
    start = math.exp(-part)
    count = 0
    for _ in range(pieces):
        u = rng.random()
        k = 0
        p = start
        cumulative = p
        while u > cumulative and k < 1000:
            k += 1
            p *= part / k
            cumulative += p
        count += k
    return count


def _shape(peaks: tuple[tuple[float, float, float], ...], shift: float, hours: tuple[float, float]) -> list[float]:
    """The day's shape over the half hours (sums to 1 over the open hours)."""
    opens, closes = hours
    values = []
    for t in range(SLOTS_PER_DAY):
        mid = (t * SLOT_MINUTES + SLOT_MINUTES / 2) / 60.0
        if not (opens <= mid < closes):
            values.append(0.0)
            continue
        values.append(math.fsum(w * math.exp(-0.5 * ((mid - c - shift) / width) ** 2) for c, width, w in peaks) + 0.05)
    total = math.fsum(values)
    return [v / total for v in values]


def generate(settings: SynthSettings, calendar: DayKinds, *, seed: int) -> SynthHistory:
    """A history of ``settings.weeks`` weeks from ``settings.start``, the same for the same seed."""
    rng = random.Random(seed)
    days = 7 * settings.weeks
    dates = [settings.start + timedelta(days=i) for i in range(days)]
    kinds = [calendar.day_kind(d) for d in dates]
    # holiday periods: runs of holiday days (weekend days between them included); one factor per period
    holiday_factor = [1.0] * days
    after_holiday = [False] * days
    i = 0
    while i < days:
        if kinds[i] is DayKind.HOLIDAY:
            j = i
            while j + 1 < days and kinds[j + 1] in (DayKind.HOLIDAY, DayKind.WEEKEND):
                j += 1
            factor = rng.uniform(*settings.holiday_factor)
            for k in range(i, j + 1):
                holiday_factor[k] = factor
            if j + 1 < days:
                after_holiday[j + 1] = True
            i = j + 1
        else:
            i += 1
    makeup_weekday = [rng.randrange(5) if kinds[i] is DayKind.MAKEUP_WORKDAY else -1 for i in range(days)]
    eligible = [i for i in range(14, days) if kinds[i] in (DayKind.WORKDAY, DayKind.WEEKEND) and not after_holiday[i]]
    chosen = sorted(rng.sample(eligible, min(settings.campaigns, len(eligible))))
    uplifts = {i: rng.uniform(*settings.campaign_uplift) for i in chosen}
    step_day = rng.randrange(days)
    step = rng.uniform(*settings.level_step)
    daily_growth = math.log1p(settings.weekly_growth) / 7
    log_level = 0.0
    means: dict[str, list[list[float]]] = {s.code: [] for s in settings.services}
    counts: dict[str, list[tuple[float, ...]]] = {s.code: [] for s in settings.services}
    for i in range(days):
        log_level += daily_growth + rng.gauss(0.0, settings.level_walk_sd)
        level = math.exp(log_level) * (step if i >= step_day else 1.0)
        shock = rng.gammavariate(settings.day_shock_shape, 1.0 / settings.day_shock_shape)
        wander = rng.gauss(0.0, settings.peak_wander_hours)
        kind = kinds[i]
        weekday = dates[i].weekday()
        shift = wander
        day_factor = 1.0
        if kind is DayKind.MAKEUP_WORKDAY:
            weekday = makeup_weekday[i]
            day_factor = settings.makeup_factor
        if kind is DayKind.HOLIDAY:
            weekday = 6
            day_factor = holiday_factor[i]
            shift += settings.holiday_peak_delay_hours
        if after_holiday[i]:
            day_factor *= settings.post_holiday_factor
        campaign = uplifts.get(i)
        if campaign is not None:
            shift -= settings.campaign_peak_advance_hours
        hours = settings.open_weekend if weekday >= 5 else settings.open_workday
        for service in settings.services:
            mean_day = service.daily_mean * service.weekday_factors[weekday] * level * day_factor
            if campaign is not None:
                mean_day *= campaign**service.campaign_sensitivity
            slot_means = [mean_day * share for share in _shape(service.peaks, shift, hours)]
            row = []
            for mu in slot_means:
                drawn = mu * shock
                if settings.dispersion is not None and drawn > 0:
                    drawn *= rng.gammavariate(settings.dispersion, 1.0 / settings.dispersion)
                row.append(float(poisson(rng, drawn)))
            means[service.code].append(slot_means)
            counts[service.code].append(tuple(row))
    history = ArrivalHistory(settings.start, days, {code: tuple(rows) for code, rows in sorted(counts.items())})
    return SynthHistory(
        history=history,
        campaign_days=tuple(dates[i] for i in chosen),
        means={code: tuple(tuple(r) for r in rows) for code, rows in sorted(means.items())},
        campaign_uplifts={dates[i]: u for i, u in uplifts.items()},
    )


def to_history_csv(history: ArrivalHistory, *, seed: int, utc_offset_hours: int = 8) -> str:
    """A history file (docs/kpis.md) with one row per arrival of ``history``, for trying ``hallops forecast``.

    Only ``issued_at`` (a seeded minute inside its half hour) and ``service`` carry information; the other
    columns are filler that passes the file's checks: every ticket is served, called 2 minutes after it is
    issued and done 4 minutes later, at an 8-minute limit.
    """
    rng = random.Random(seed)
    zone = timezone(timedelta(hours=utc_offset_hours))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(history.days):
        day = history.date_of(i)
        number = 0
        for t in range(SLOTS_PER_DAY):
            arrivals: list[tuple[int, str]] = []
            for service in history.services:
                count = history.counts[service][i][t]
                arrivals.extend((rng.randrange(SLOT_MINUTES * 60), service) for _ in range(round(count)))
            for offset, service in sorted(arrivals):
                number += 1
                issued = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(
                    minutes=t * SLOT_MINUTES, seconds=offset
                )
                called = issued + timedelta(minutes=2)
                row = {
                    "ticket": f"T{number:04d}",
                    "service": service,
                    "channel": "kiosk",
                    "priority": "normal",
                    "issued_at": issued.isoformat(),
                    "called_at": called.isoformat(),
                    "arrived_at": "",
                    "communication_at": "",
                    "operation_at": "",
                    "ended_at": (called + timedelta(minutes=4)).isoformat(),
                    "outcome": "done",
                    "counter": "",
                    "agent": "",
                    "rating": "",
                    "quoted_wait_seconds": "",
                    "pre_order": "false",
                    "limit_minutes": "8",
                }
                writer.writerow([row[c] for c in COLUMNS])
    return out.getvalue()
