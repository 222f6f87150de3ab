"""The synthetic history generator (hallops.core.synth) used by the forecast's back-test."""

from __future__ import annotations

import math
import random
from datetime import date

import pytest

from hallops.core.calendar import DayKind, WorkingCalendar
from hallops.core.forecast import ForecastError, arrivals_from_records
from hallops.core.history_csv import parse_history
from hallops.core.synth import SynthSettings, generate, poisson, to_history_csv

CN = WorkingCalendar()
SETTINGS = SynthSettings(start=date(2024, 9, 2), weeks=8)  # Mid-Autumn, National Day and their 调休


def test_same_seed_same_history_other_seed_other_history() -> None:
    """The history is a function of the seed and the settings."""
    a = generate(SETTINGS, CN, seed=7)
    assert generate(SETTINGS, CN, seed=7) == a
    assert generate(SETTINGS, CN, seed=8).history != a.history


def test_counts_are_whole_and_zero_outside_opening_hours() -> None:
    """Counts are non-negative whole numbers; none before 09:00 or from 18:00 on working days, none before
    10:00 or from 17:00 on weekends."""
    synth = generate(SETTINGS, CN, seed=1)
    h = synth.history
    for i in range(h.days):
        kind = CN.day_kind(h.date_of(i))
        opens, closes = (18, 36) if kind in (DayKind.WORKDAY, DayKind.MAKEUP_WORKDAY) else (20, 34)
        for rows in h.counts.values():
            for t, value in enumerate(rows[i]):
                assert value >= 0 and value == int(value)
                if not opens <= t < closes and kind is not DayKind.MAKEUP_WORKDAY:
                    assert value == 0
    assert h.days == 56 and sum(sum(map(sum, rows)) for rows in h.counts.values()) > 10_000


def test_campaign_days_are_ordinary_days_after_the_first_two_weeks() -> None:
    """Campaigns fall on ordinary working or weekend days, never in the first two weeks; their dates are
    returned, their uplifts kept apart."""
    synth = generate(SETTINGS, CN, seed=2)
    assert len(synth.campaign_days) == SETTINGS.campaigns
    for day in synth.campaign_days:
        assert (day - SETTINGS.start).days >= 14
        assert CN.day_kind(day) in (DayKind.WORKDAY, DayKind.WEEKEND)
        assert 1.4 <= synth.campaign_uplifts[day] <= 2.2


def test_counts_follow_their_means() -> None:
    """Over the whole history, the counts add up to their means within 3 %: the noise has mean 1."""
    synth = generate(SynthSettings(start=date(2024, 3, 4), weeks=12), CN, seed=3)
    counts = sum(sum(map(sum, rows)) for rows in synth.history.counts.values())
    means = sum(sum(map(sum, rows)) for rows in synth.means.values())
    assert counts == pytest.approx(means, rel=0.03)


@pytest.mark.parametrize("mean", [0.3, 4.5, 75.0])
def test_poisson_mean_and_variance(mean: float) -> None:
    """The Poisson sampler (split into pieces above 30) has mean and variance ``mean``: 20,000 draws agree
    within 4 standard errors."""
    rng = random.Random(11)
    n = 20_000
    draws = [poisson(rng, mean) for _ in range(n)]
    average = sum(draws) / n
    variance = sum((d - average) ** 2 for d in draws) / (n - 1)
    assert abs(average - mean) < 4 * math.sqrt(mean / n)
    assert variance == pytest.approx(mean, rel=0.06)


def test_history_file_round_trip() -> None:
    """``to_history_csv`` writes a valid history file whose arrivals are the synthetic counts."""
    synth = generate(SynthSettings(start=date(2024, 9, 30), weeks=1), CN, seed=4)
    parsed = parse_history(to_history_csv(synth.history, seed=4))
    assert arrivals_from_records(parsed.records) == synth.history


def test_bad_settings() -> None:
    """No weeks is refused, naming the field."""
    with pytest.raises(ForecastError, match="weeks"):
        SynthSettings(start=date(2024, 1, 1), weeks=0)
