"""``hallops plan --hall CODE [--date YYYY-MM-DD] [--json]``: a day's staffing plan from the hall's records.

Forecast, requirement per half hour (counters, pre-acceptance clerks, kiosk assistants: Erlang first, then
corrected by simulating the four zones), the roster of the hall's staff and its gaps; stored as the day's
plan (the planning page shows it). docs/planning.md. Bad input: one line on stderr, exit status 1.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from hallops.organisation.models import Hall
from hallops.planning.management.commands._oneline import OneLineCommand
from hallops.planning.models import Plan, PlanSource
from hallops.planning.services import MAX_REPLICATIONS, PlanSettings, plan_for_day


def plan_json(plan: Plan) -> dict[str, Any]:
    return {
        "id": plan.pk,
        "made_at": plan.created_at.isoformat(),
        "source": plan.source,
        "method": plan.method,
        "forecast_arrivals": plan.forecast_arrivals,
        "counter_hours": plan.counter_hours,
        "staff_hours": plan.staff_hours,
        "uncovered_half_hours": plan.uncovered,
        **plan.data,
    }


def plan_table(plan: Plan) -> str:
    d = plan.data
    req = d["requirement"]
    hours = d["hours"]
    out = [
        f"{d['hall']} {d['day']}: {plan.forecast_arrivals:.0f} arrivals forecast, "
        f"{d['window']['start']}-{d['window']['end']} ({plan.get_method_display()})",
        f"targets: {d['targets']['service_level']:.0%} called within {d['targets']['wait_minutes']} min, "
        f"at most {d['targets']['max_abandonment']:.0%} abandoning",
        f"required: {hours['counters']:g} counter-hours (Erlang alone: {hours['erlang_counters']:g}), "
        f"{hours['clerks']:g} clerk-hours, {hours['assistants']:g} assistant-hours",
        "",
    ]
    arrivals = d["forecast"]["by_slot"]
    rows = [["time", "arrivals", "counters", "erlang", "clerks", "assistants"]]
    for j, label in enumerate(req["slots"]):
        rows.append(
            [
                label,
                f"{arrivals[j]:.1f}",
                str(req["counters"][j]),
                str(req["erlang_counters"][j]),
                str(req["clerks"][j]),
                str(req["assistants"][j]),
            ]
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        out.append(
            "  " + "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    out.append("")
    roster = d["roster"]
    if roster is None:
        out.append("no roster: nothing is required")
    else:
        out.append(
            f"roster ({roster['status']}): {len(roster['shifts'])} shifts, {roster['staff_hours']:g} staff-hours, "
            f"{roster['uncovered_half_hours']} head-half-hours uncovered"
        )
        for s in roster["shifts"]:
            brk = f" break {s['break'][0]}-{s['break'][1]}" if s["break"] else ""
            work = ", ".join(f"{w['start']}-{w['end']} {w['role']}" for w in s["work"])
            out.append(f"  {s['staff']}: {s['start']}-{s['end']}{brk}: {work}")
    if d["gaps"]:
        out.append("gaps:")
        out.extend(f"  {g['start']}-{g['end']} {g['role']}: {g['missing']} missing" for g in d["gaps"])
    elif roster is not None:
        out.append("every half hour is covered")
    for note in d["notes"]:
        out.append(f"note: {note}")
    out.append(f"stored as plan {plan.pk}")
    return "\n".join(out)


class Command(OneLineCommand):
    help = "A day's staffing plan for a hall: forecast, requirement per half hour, roster, gaps (docs/planning.md)."
    prog = "hallops plan"
    options_of = {"hall": "--hall", "date": "--date", "replications": "--replications"}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hall", required=True, metavar="CODE", help="the hall's code")
        parser.add_argument("--date", metavar="YYYY-MM-DD", help="the day to plan (default: tomorrow, hall-local)")
        parser.add_argument(
            "--erlang-only", action="store_true", help="Erlang's first guess, without the simulation's correction"
        )
        parser.add_argument("--replications", type=int, default=PlanSettings().replications, metavar="R")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        hall = Hall.objects.filter(code=options["hall"]).first()
        if hall is None:
            raise self.fail("hall", f"unknown hall {options['hall']!r}")
        if options["date"] is None:
            day = timezone.now().astimezone(hall.tz).date() + dt.timedelta(days=1)
        else:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise self.fail("date", f"must be a date YYYY-MM-DD, got {options['date']!r}") from None
        if not 1 <= options["replications"] <= MAX_REPLICATIONS:
            raise self.fail("replications", f"must be from 1 to {MAX_REPLICATIONS}, got {options['replications']}")
        settings = PlanSettings(simulate=not options["erlang_only"], replications=options["replications"])
        plan = plan_for_day(hall=hall, day=day, source=PlanSource.COMMAND, settings=settings)
        if options["json"]:
            self.stdout.write(json.dumps(plan_json(plan), ensure_ascii=False))
        else:
            self.stdout.write(plan_table(plan))
