"""Arrivals per business type and half hour: a forecast from a hall's history, and its back-test.

The model, per business type s, day d (the hall's local date) and half hour t::

    arrivals(s, d, t) = level_s(d) × day_factor_s[class(d)] × profile_s[group(d)][t] × uplift_s(d)

- **Day class** (from the working calendar, :class:`hallops.core.calendar.WorkingCalendar`): an ordinary
  working day or weekend day is its weekday (Monday … Sunday); a public holiday is ``holiday``; a make-up
  working day (调休, a Saturday or Sunday worked instead of a bridge day) is a working day: its factor is
  the mean of the Monday–Friday factors and its profile the pooled working-day profile.
- **Day factors and block levels** are estimated together by alternating ratio estimates over 7-day blocks
  counted back from the last day of the history: a block's level m_b is the block's arrivals divided by the
  sum of its days' factors; a class's factor is its days' arrivals over the sum of their blocks' levels,
  each block weighted by w_b = 0.5^(age_b / half_life_weeks). The Monday–Sunday factors are normalised
  to mean 1. A class absent from the history falls back: a missing weekday to the mean of its kind (working
  or weekend days), ``holiday`` to Sunday's factor.
- **Trend**: the Theil–Sen slope (the median of the pairwise slopes, robust to a few odd weeks) of
  ln m_b against the block's centre day, used when at least ``min_trend_blocks`` blocks have arrivals, and
  capped at ±``max_weekly_growth`` per week. **Level** at the last day τ: the weighted mean over blocks
  of m_b·exp(g·(τ − centre_b)); for a later day j, level(j) = level(τ)·exp(g·(j − τ)).
- **Profile**: the share of a day's arrivals in each half hour, per weekday (and pooled for make-up
  working days and holidays), each day weighted like its block, and shrunk towards the pooled profile of
  its kind (working days or weekends) by ``profile_prior_days`` average days: (S_g[t] + k·N̄·P_pool[t]) /
  (N_g + k·N̄).
- **Campaign days** are known overrides: they are left out of every estimate above. Their uplift per
  business type is the ratio of their arrivals to the model's expectation for them (the block's level × the
  day's factor), summed over the campaign days in the history; 1 when the history has none. A campaign
  day in the forecast is multiplied by it (or by the uplift the caller passes).

The back-test trains on weeks 1..k of a history (week 1 starting on its first day) and predicts week k+1,
for every k from ``min_train_weeks`` to the last full week, and reports the WAPE, Σ|actual − forecast| /
Σ actual over every (day, half hour, business type) of the predicted weeks, against the naive forecast
"the same half hour one week earlier".

Pure: no clock, no global state; the same history gives the same forecast. Errors are
:class:`ForecastError` (a ``ValueError``) naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from typing import Protocol

from hallops.core.calendar import DayKind
from hallops.core.kpi import (
    TransactionRecord,
    local_time,
    row_order,  # the KPI's "first transaction" of a ticket
    ticket_id,
)

SLOT_MINUTES = 30
SLOTS_PER_DAY = 24 * 60 // SLOT_MINUTES
#: day classes other than the weekdays 0 (Monday) … 6 (Sunday)
HOLIDAY = "holiday"
MAKEUP = "makeup_workday"
_WORKDAYS = (0, 1, 2, 3, 4)
_WEEKEND = (5, 6)
_CONVERGED = 1e-13
_MAX_ROUNDS = 200

DayClass = int | str
Profile = tuple[float, ...]


class ForecastError(ValueError):
    """Bad input; ``field`` names the argument at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class DayKinds(Protocol):
    """What the forecast needs of a calendar (``WorkingCalendar`` has it)."""

    def day_kind(self, day: date) -> DayKind: ...


def slot_of(minutes: int) -> int:
    """The half hour (0 … 47) that starts at or before ``minutes`` past midnight."""
    return minutes // SLOT_MINUTES


def slot_label(slot: int) -> str:
    """``"09:30"`` for slot 19."""
    minutes = slot * SLOT_MINUTES
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# --- the history -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArrivalHistory:
    """Arrivals per business type, per day from ``start`` and per half hour of the local day.

    ``counts[service][i][t]`` is the number of arrivals of ``service`` on day ``start + i`` in half hour t.
    Every business type has the same ``days`` rows of 48 non-negative finite numbers.
    """

    start: date
    days: int
    counts: Mapping[str, tuple[tuple[float, ...], ...]]

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ForecastError("history", "has no days")
        for service, rows in self.counts.items():
            if not service:
                raise ForecastError("history", "a business type code is empty")
            if len(rows) != self.days:
                raise ForecastError("history", f"{service}: {len(rows)} days, expected {self.days}")
            for row in rows:
                if len(row) != SLOTS_PER_DAY:
                    raise ForecastError("history", f"{service}: a day has {len(row)} half hours, expected 48")
                for value in row:
                    if not (math.isfinite(value) and value >= 0):
                        raise ForecastError("history", f"{service}: counts must be finite and >= 0, got {value!r}")

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted(self.counts))

    @property
    def end(self) -> date:
        """The last day."""
        return self.start + timedelta(days=self.days - 1)

    def date_of(self, index: int) -> date:
        return self.start + timedelta(days=index)

    def window(self, first: date, last: date) -> ArrivalHistory:
        """The days ``first`` … ``last`` (both inside the history)."""
        if not (self.start <= first <= last <= self.end):
            raise ForecastError("window", f"{first} … {last} is not inside {self.start} … {self.end}")
        i = (first - self.start).days
        j = (last - self.start).days + 1
        return ArrivalHistory(first, j - i, {s: rows[i:j] for s, rows in self.counts.items()})


def arrival_history(
    cells: Mapping[tuple[date, int, str], float], *, start: date | None = None, end: date | None = None
) -> ArrivalHistory:
    """A history from counts per (date, half hour, business type); cells not given are 0.

    ``start``/``end`` default to the first and last dates of the cells (a day without arrivals in between
    counts as a day with none).
    """
    if not cells and (start is None or end is None):
        raise ForecastError("history", "has no arrivals")
    dates = [d for d, _, _ in cells]
    first = min(dates) if start is None else start
    last = max(dates) if end is None else end
    if last < first:
        raise ForecastError("history", f"ends ({last}) before it starts ({first})")
    days = (last - first).days + 1
    grid: dict[str, list[list[float]]] = {}
    for (day, slot, service), count in cells.items():
        if not (first <= day <= last):
            raise ForecastError("history", f"{day} is outside {first} … {last}")
        if not 0 <= slot < SLOTS_PER_DAY:
            raise ForecastError("history", f"half hour {slot} is not in 0 … 47")
        rows = grid.get(service)
        if rows is None:
            rows = grid[service] = [[0.0] * SLOTS_PER_DAY for _ in range(days)]
        rows[(day - first).days][slot] += float(count)
    return ArrivalHistory(first, days, {s: tuple(tuple(r) for r in rows) for s, rows in sorted(grid.items())})


def arrivals_from_records(records: Iterable[TransactionRecord], *, tz: tzinfo | None = None) -> ArrivalHistory:
    """Arrivals counted as ``hallops kpi`` counts them: each ticket once (its rows share (ticket, local
    date)), under the business type of its first transaction, in the local half hour it was issued.
    ``tz``: the hall's zone (each timestamp's own offset when None)."""
    first: dict[tuple[str, date], TransactionRecord] = {}
    for r in records:
        key = ticket_id(r, tz)
        seen = first.get(key)
        if seen is None or row_order(r) < row_order(seen):
            first[key] = r
    cells: dict[tuple[date, int, str], float] = {}
    for r in first.values():
        at = local_time(r.issued_at, tz)
        cell = (at.date(), slot_of(at.hour * 60 + at.minute), r.service)
        cells[cell] = cells.get(cell, 0.0) + 1.0
    return arrival_history(cells)


# --- the model -------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ForecastSettings:
    #: a block (week) this many weeks older weighs half as much
    half_life_weeks: float = 4.0
    #: fewer blocks with arrivals than this: no trend
    min_trend_blocks: int = 4
    #: the trend is capped at ± this growth per week (0.05 = 5 %)
    max_weekly_growth: float = 0.05
    #: shrink each weekday's profile towards its kind's pooled profile by this many average days
    profile_prior_days: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.half_life_weeks) and self.half_life_weeks > 0):
            raise ForecastError("half_life_weeks", f"must be > 0, got {self.half_life_weeks!r}")
        if self.min_trend_blocks < 2:
            raise ForecastError("min_trend_blocks", f"must be >= 2, got {self.min_trend_blocks!r}")
        if not (math.isfinite(self.max_weekly_growth) and self.max_weekly_growth >= 0):
            raise ForecastError("max_weekly_growth", f"must be >= 0, got {self.max_weekly_growth!r}")
        if not (math.isfinite(self.profile_prior_days) and self.profile_prior_days >= 0):
            raise ForecastError("profile_prior_days", f"must be >= 0, got {self.profile_prior_days!r}")


@dataclass(frozen=True, slots=True)
class ServiceModel:
    """The fitted figures of one business type."""

    #: arrivals per day of a day with factor 1, at the last day of the history
    level: float
    #: growth per day (ln scale): level(j) = level·exp(trend·(j − last))
    trend: float
    #: 0 … 6 (Monday … Sunday), "holiday", "makeup_workday"
    day_factors: Mapping[DayClass, float]
    #: the same keys: 48 shares summing to 1 (or all 0 without arrivals)
    profiles: Mapping[DayClass, Profile]
    #: multiplier on campaign days
    uplift: float


def _day_class(kind: DayKind, day: date) -> DayClass:
    if kind is DayKind.HOLIDAY:
        return HOLIDAY
    if kind is DayKind.MAKEUP_WORKDAY:
        return MAKEUP
    return day.weekday()


def _median(values: list[float]) -> float:
    values.sort()
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2.0


def _theil_sen(points: Sequence[tuple[float, float]]) -> float:
    slopes = [(y2 - y1) / (x2 - x1) for i, (x1, y1) in enumerate(points) for x2, y2 in points[i + 1 :] if x2 != x1]
    return _median(slopes) if slopes else 0.0


class _Fit:
    """The estimation of one business type (see the module docstring)."""

    def __init__(
        self,
        rows: Sequence[Sequence[float]],
        classes: Sequence[DayClass],
        campaign: Sequence[bool],
        settings: ForecastSettings,
    ) -> None:
        n = len(rows)
        self.n = n
        self.rows = rows
        self.classes = classes
        self.campaign = campaign
        self.totals = [math.fsum(row) for row in rows]
        self.block = [(n - 1 - i) // 7 for i in range(n)]
        blocks = self.block[0] + 1
        self.weight = [0.5 ** (b / settings.half_life_weeks) for b in range(blocks)]
        self.usable = [not c for c in campaign]
        self._day_factors()
        self._level_and_trend(settings)
        self._profiles(settings)
        self._uplift()

    def factor(self, cls: DayClass) -> float:
        if cls == MAKEUP:
            return math.fsum(self.factors[d] for d in _WORKDAYS) / len(_WORKDAYS)
        return self.factors[cls]

    def _block_levels(self, factors: Mapping[DayClass, float]) -> list[float | None]:
        blocks = len(self.weight)
        arrivals = [[] for _ in range(blocks)]  # type: list[list[float]]
        expected = [[] for _ in range(blocks)]  # type: list[list[float]]
        for i in range(self.n):
            if self.usable[i]:
                cls = self.classes[i]
                f = math.fsum(factors[d] for d in _WORKDAYS) / 5 if cls == MAKEUP else factors[cls]
                arrivals[self.block[i]].append(self.totals[i])
                expected[self.block[i]].append(f)
        levels: list[float | None] = []
        for b in range(blocks):
            denominator = math.fsum(expected[b])
            levels.append(math.fsum(arrivals[b]) / denominator if denominator > 0 else None)
        return levels

    def _day_factors(self) -> None:
        present = {c for c, u in zip(self.classes, self.usable, strict=True) if u and c != MAKEUP}
        factors: dict[DayClass, float] = {c: 1.0 for c in (*range(7), HOLIDAY)}
        levels = self._block_levels(factors)
        for _ in range(_MAX_ROUNDS):
            num: dict[DayClass, list[float]] = {c: [] for c in present}
            den: dict[DayClass, list[float]] = {c: [] for c in present}
            for i in range(self.n):
                cls = self.classes[i]
                level = levels[self.block[i]]
                if self.usable[i] and cls != MAKEUP and level is not None:
                    w = self.weight[self.block[i]]
                    num[cls].append(w * self.totals[i])
                    den[cls].append(w * level)
            new: dict[DayClass, float] = {}
            for cls in present:
                d = math.fsum(den[cls])
                new[cls] = math.fsum(num[cls]) / d if d > 0 else 1.0
            new = _fill_missing(new)
            mean = math.fsum(new[d] for d in range(7)) / 7
            if mean <= 0:  # no arrivals at all
                factors = {c: 1.0 for c in factors}
                break
            new = {c: f / mean for c, f in new.items()}
            change = max(abs(new[c] - factors[c]) for c in new)
            factors = new
            levels = self._block_levels(factors)
            if change < _CONVERGED:
                break
        self.factors: dict[DayClass, float] = factors
        self.levels = levels

    def _level_and_trend(self, settings: ForecastSettings) -> None:
        centres: list[float] = []
        for b in range(len(self.weight)):
            days = [i for i in range(self.n) if self.block[i] == b and self.usable[i]]
            centres.append(math.fsum(days) / len(days) if days else math.nan)
        points = [
            (centres[b], math.log(level))
            for b, level in reversed(list(enumerate(self.levels)))
            if level is not None and level > 0
        ]
        trend = 0.0
        if len(points) >= settings.min_trend_blocks:
            cap = math.log1p(settings.max_weekly_growth) / 7
            trend = max(-cap, min(cap, _theil_sen(points)))
        last = self.n - 1
        num: list[float] = []
        den: list[float] = []
        for b, level in enumerate(self.levels):
            if level is not None:
                num.append(self.weight[b] * level * math.exp(trend * (last - centres[b])))
                den.append(self.weight[b])
        total = math.fsum(den)
        self.level = math.fsum(num) / total if total > 0 else 0.0
        self.trend = trend

    def _profiles(self, settings: ForecastSettings) -> None:
        sums: dict[DayClass, list[list[float]]] = {}
        totals: dict[DayClass, list[float]] = {}
        day_weights: dict[DayClass, list[float]] = {}
        for i in range(self.n):
            if not self.usable[i]:
                continue
            w = self.weight[self.block[i]]
            cls = self.classes[i]
            groups: tuple[DayClass, ...] = (cls,)
            if cls == MAKEUP or cls in _WORKDAYS:
                groups = (cls, "pool_work")
            elif cls in _WEEKEND:
                groups = (cls, "pool_weekend")
            for g in groups:
                sums.setdefault(g, []).append([w * v for v in self.rows[i]])
                totals.setdefault(g, []).append(w * self.totals[i])
                day_weights.setdefault(g, []).append(w)

        def raw(g: DayClass) -> tuple[list[float], float, float] | None:
            if g not in sums:
                return None
            n_g = math.fsum(totals[g])
            if n_g <= 0:
                return None
            columns = [math.fsum(c) for c in zip(*sums[g], strict=True)]
            return columns, n_g, math.fsum(day_weights[g])

        pools: dict[str, tuple[list[float], float, float] | None] = {
            "pool_work": raw("pool_work"),
            "pool_weekend": raw("pool_weekend"),
        }
        everything = [g for g in ("pool_work", "pool_weekend") if pools[g] is not None]

        def pooled(kind: str) -> tuple[Profile, float] | None:
            """The pooled profile of a kind (the other kind when it has none) and its mean day's arrivals."""
            candidates = [kind] + [g for g in everything if g != kind]
            for g in candidates:
                found = pools.get(g)
                if found is not None:
                    columns, n_g, days = found
                    return tuple(c / n_g for c in columns), n_g / days
            return None

        def shrunk(g: DayClass, kind: str) -> Profile:
            prior = pooled(kind)
            own = raw(g)
            if prior is None:
                return (0.0,) * SLOTS_PER_DAY
            pool_profile, mean_day = prior
            if own is None:
                return pool_profile
            columns, n_g, _ = own
            k = settings.profile_prior_days * mean_day
            return tuple((c + k * p) / (n_g + k) for c, p in zip(columns, pool_profile, strict=True))

        profiles: dict[DayClass, Profile] = {}
        for d in _WORKDAYS:
            profiles[d] = shrunk(d, "pool_work")
        for d in _WEEKEND:
            profiles[d] = shrunk(d, "pool_weekend")
        work = pooled("pool_work")
        profiles[MAKEUP] = work[0] if work is not None else (0.0,) * SLOTS_PER_DAY
        holiday = raw(HOLIDAY)
        if holiday is None:
            profiles[HOLIDAY] = profiles[6]
        else:
            columns, n_h, _ = holiday
            k = settings.profile_prior_days * n_h / math.fsum(day_weights[HOLIDAY])
            profiles[HOLIDAY] = tuple((c + k * p) / (n_h + k) for c, p in zip(columns, profiles[6], strict=True))
        self.profiles = profiles

    def expected_total(self, i: int) -> float:
        """The model's arrivals for day i of the history (its own block's level when known)."""
        level = self.levels[self.block[i]]
        if level is None:
            level = self.level * math.exp(self.trend * (i - (self.n - 1)))
        return level * self.factor(self.classes[i])

    def _uplift(self) -> None:
        actual = [self.totals[i] for i in range(self.n) if self.campaign[i]]
        expected = [self.expected_total(i) for i in range(self.n) if self.campaign[i]]
        denominator = math.fsum(expected)
        self.uplift = math.fsum(actual) / denominator if denominator > 0 else 1.0

    def model(self) -> ServiceModel:
        factors = dict(self.factors)
        factors[MAKEUP] = self.factor(MAKEUP)
        return ServiceModel(
            level=self.level, trend=self.trend, day_factors=factors, profiles=self.profiles, uplift=self.uplift
        )


def _fill_missing(factors: dict[DayClass, float]) -> dict[DayClass, float]:
    """Weekdays absent from the history take the mean of their kind (else of all); holiday takes Sunday's."""
    filled = dict(factors)
    for kind, other in ((_WORKDAYS, _WEEKEND), (_WEEKEND, _WORKDAYS)):
        known = [factors[d] for d in kind if d in factors] or [factors[d] for d in other if d in factors] or [1.0]
        for d in kind:
            if d not in filled:
                filled[d] = math.fsum(known) / len(known)
    if HOLIDAY not in filled:
        filled[HOLIDAY] = filled[6]
    return filled


@dataclass(frozen=True, slots=True)
class DayForecast:
    day: date
    kind: DayKind
    campaign: bool
    #: service -> 48 expected arrivals
    arrivals: Mapping[str, Profile]

    def total(self) -> float:
        return math.fsum(math.fsum(v) for v in self.arrivals.values())


@dataclass(frozen=True, slots=True)
class ForecastModel:
    """A fitted forecast: ``predict`` a day after (or inside) the history."""

    history_start: date
    history_end: date
    services: Mapping[str, ServiceModel]
    calendar: DayKinds = field(repr=False)
    campaign_days: frozenset[date]

    def predict(self, day: date) -> DayForecast:
        kind = self.calendar.day_kind(day)
        cls = _day_class(kind, day)
        campaign = day in self.campaign_days
        ahead = (day - self.history_end).days
        arrivals: dict[str, Profile] = {}
        for service, m in self.services.items():
            total = m.level * math.exp(m.trend * ahead) * m.day_factors[cls]
            if campaign:
                total *= m.uplift
            arrivals[service] = tuple(total * p for p in m.profiles[cls])
        return DayForecast(day=day, kind=kind, campaign=campaign, arrivals=arrivals)

    def predict_range(self, first: date, last: date) -> list[DayForecast]:
        if last < first:
            raise ForecastError("end", f"{last} is before {first}")
        return [self.predict(first + timedelta(days=i)) for i in range((last - first).days + 1)]


def fit(
    history: ArrivalHistory,
    calendar: DayKinds,
    *,
    campaign_days: Collection[date] = (),
    uplift: Mapping[str, float] | float | None = None,
    settings: ForecastSettings | None = None,
) -> ForecastModel:
    """Fit the model to ``history``.

    ``campaign_days``: every known campaign day, past and future. Those inside the history are left out of
    the estimates and give the uplift (per business type); those after it are multiplied by it. ``uplift``
    overrides the estimate (one number for every business type, or one per business type; others keep the
    estimate).
    """
    settings = settings or ForecastSettings()
    days = [history.date_of(i) for i in range(history.days)]
    classes = [_day_class(calendar.day_kind(d), d) for d in days]
    campaigns = frozenset(campaign_days)
    flags = [d in campaigns for d in days]
    overrides: Mapping[str, float] = {}
    if isinstance(uplift, int | float):
        overrides = dict.fromkeys(history.counts, float(uplift))
    elif uplift is not None:
        overrides = uplift
    for service, value in overrides.items():
        if not (math.isfinite(value) and value >= 0):
            raise ForecastError("uplift", f"{service}: must be a finite number >= 0, got {value!r}")
    services: dict[str, ServiceModel] = {}
    for service in history.services:
        model = _Fit(history.counts[service], classes, flags, settings).model()
        if service in overrides:
            model = ServiceModel(
                level=model.level,
                trend=model.trend,
                day_factors=model.day_factors,
                profiles=model.profiles,
                uplift=float(overrides[service]),
            )
        services[service] = model
    return ForecastModel(
        history_start=history.start,
        history_end=history.end,
        services=services,
        calendar=calendar,
        campaign_days=campaigns,
    )


# --- the back-test ---------------------------------------------------------------------------------------


def wape(actual: Iterable[float], forecast: Iterable[float]) -> float | None:
    """Σ|actual − forecast| / Σ actual; None when nothing arrived."""
    errors: list[float] = []
    totals: list[float] = []
    for a, f in zip(actual, forecast, strict=True):
        errors.append(abs(a - f))
        totals.append(a)
    denominator = math.fsum(totals)
    return math.fsum(errors) / denominator if denominator > 0 else None


@dataclass(frozen=True, slots=True)
class Fold:
    #: trained on weeks 1 … train_weeks, predicted the next week
    train_weeks: int
    test_start: date
    test_end: date
    actual: float
    #: Σ|error| of the forecast and of the naive forecast
    abs_error: float
    naive_abs_error: float

    @property
    def wape(self) -> float | None:
        return self.abs_error / self.actual if self.actual > 0 else None

    @property
    def naive_wape(self) -> float | None:
        return self.naive_abs_error / self.actual if self.actual > 0 else None


@dataclass(frozen=True, slots=True)
class Backtest:
    folds: tuple[Fold, ...]
    #: over every fold: (Σ actual, Σ|error|, Σ|naive error|) per business type
    by_service: Mapping[str, tuple[float, float, float]]

    @property
    def actual(self) -> float:
        return math.fsum(f.actual for f in self.folds)

    @property
    def wape(self) -> float | None:
        """Over every predicted week together."""
        total = self.actual
        return math.fsum(f.abs_error for f in self.folds) / total if total > 0 else None

    @property
    def naive_wape(self) -> float | None:
        total = self.actual
        return math.fsum(f.naive_abs_error for f in self.folds) / total if total > 0 else None


def backtest(
    history: ArrivalHistory,
    calendar: DayKinds,
    *,
    campaign_days: Collection[date] = (),
    min_train_weeks: int = 4,
    settings: ForecastSettings | None = None,
) -> Backtest:
    """Train on weeks 1..k, predict week k+1, for k = ``min_train_weeks`` … (full weeks − 1).

    The uplift of a campaign day in a predicted week is estimated from the campaign days of the training
    weeks only (1 when they have none). The naive forecast of a half hour is the same half hour 7 days before.
    """
    if min_train_weeks < 1:
        raise ForecastError("min_train_weeks", f"must be >= 1, got {min_train_weeks!r}")
    weeks = history.days // 7
    if weeks < min_train_weeks + 1:
        raise ForecastError(
            "history",
            f"has {weeks} full week(s); the back-test needs at least {min_train_weeks + 1} "
            f"({min_train_weeks} to train, 1 to predict)",
        )
    folds: list[Fold] = []
    per_service: dict[str, list[list[float]]] = {s: [[], [], []] for s in history.services}
    for k in range(min_train_weeks, weeks):
        train = history.window(history.start, history.date_of(7 * k - 1))
        model = fit(train, calendar, campaign_days=campaign_days, settings=settings)
        actual: list[float] = []
        errors: list[float] = []
        naive_errors: list[float] = []
        for i in range(7 * k, 7 * k + 7):
            predicted = model.predict(history.date_of(i))
            for service in history.services:
                rows = history.counts[service]
                for t in range(SLOTS_PER_DAY):
                    a = rows[i][t]
                    e = abs(a - predicted.arrivals[service][t])
                    ne = abs(a - rows[i - 7][t])
                    actual.append(a)
                    errors.append(e)
                    naive_errors.append(ne)
                    sums = per_service[service]
                    sums[0].append(a)
                    sums[1].append(e)
                    sums[2].append(ne)
        folds.append(
            Fold(
                train_weeks=k,
                test_start=history.date_of(7 * k),
                test_end=history.date_of(7 * k + 6),
                actual=math.fsum(actual),
                abs_error=math.fsum(errors),
                naive_abs_error=math.fsum(naive_errors),
            )
        )
    by_service = {s: (math.fsum(a), math.fsum(e), math.fsum(ne)) for s, (a, e, ne) in per_service.items()}
    return Backtest(folds=tuple(folds), by_service=by_service)
