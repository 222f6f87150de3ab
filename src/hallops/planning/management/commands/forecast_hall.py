"""``hallops forecast --hall CODE``: arrivals per business type and half hour from the hall's visit records.

``hallops forecast`` with ``--hall`` comes here (``hallops.cli``); with ``--history FILE.csv`` it stays the
Django-free core command. The same output: a table, or with ``--json`` the same JSON object
(docs/planning.md). Bad input: one line on stderr, exit status 1.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from hallops.forecast_cli import forecast_dict, forecast_table  # the core command's output, unchanged
from hallops.organisation.models import Hall
from hallops.planning.management.commands._oneline import OneLineCommand
from hallops.planning.services import HISTORY_WEEKS, forecast_for_hall


def _day(option: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{option}: must be a date YYYY-MM-DD, got {text!r}") from None


class Command(OneLineCommand):
    help = "Arrivals per business type and half hour from a hall's visit records (docs/planning.md)."
    prog = "hallops forecast"
    options_of = {"hall": "--hall", "date": "--from", "end": "--to", "weeks": "--weeks", "uplift": "--uplift"}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hall", required=True, metavar="CODE", help="the hall's code")
        parser.add_argument("--from", dest="first", metavar="DATE", help="first day (default: today, hall-local)")
        parser.add_argument("--to", dest="last", metavar="DATE", help="last day (default: 6 days after --from)")
        parser.add_argument("--weeks", type=int, default=HISTORY_WEEKS, metavar="N", help="fit on the last N weeks")
        parser.add_argument("--campaign", nargs="+", action="extend", default=[], metavar="DATE")
        parser.add_argument("--uplift", type=float, metavar="X", help="campaign uplift for every business type")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args: Any, **options: Any) -> None:
        hall = Hall.objects.filter(code=options["hall"]).first()
        if hall is None:
            raise self.fail("hall", f"unknown hall {options['hall']!r}")
        try:
            first = _day("--from", options["first"]) or timezone.now().astimezone(hall.tz).date()
            last = _day("--to", options["last"]) or first + dt.timedelta(days=6)
            campaigns = [d for d in (_day("--campaign", c) for c in options["campaign"]) if d is not None]
        except ValueError as exc:
            raise self.fail(None, str(exc)) from None
        if options["weeks"] < 1:
            raise self.fail("weeks", f"must be >= 1, got {options['weeks']}")
        if options["uplift"] is not None and not options["uplift"] >= 0:
            raise self.fail("uplift", f"must be >= 0, got {options['uplift']}")
        fc = forecast_for_hall(
            hall, first, last, weeks=options["weeks"], campaign_days=campaigns, uplift=options["uplift"]
        )
        if options["json"]:
            out = {"hall": hall.code, **forecast_dict(fc.model, fc.history, fc.days)}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
        else:
            self.stdout.write(f"{hall.code} {hall.name}")
            self.stdout.write(forecast_table(fc.model, fc.history, fc.days))
