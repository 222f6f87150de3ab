"""`hallops demo` leaves each demo hall with a plan for tomorrow (the issue's "done when")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from hallops.organisation.demo import HALLS, demo_load
from hallops.organisation.models import Hall
from hallops.planning.models import Plan, PlanSource

pytestmark = pytest.mark.django_db


def test_the_demo_halls_have_a_plan_for_tomorrow() -> None:
    demo_load(traffic=False)
    for code, *_ in HALLS:
        hall = Hall.objects.get(code=code)
        tomorrow = timezone.now().astimezone(hall.tz).date() + dt.timedelta(days=1)
        plan = Plan.objects.get(hall=hall)
        assert (plan.day, plan.source) == (tomorrow, PlanSource.DEMO)
        assert plan.forecast_arrivals > 0 and plan.counter_hours > 0
        assert plan.data["roster"]["shifts"], code  # the hall's staff are rostered
