from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from hallops.organisation.demo import DEMO_PASSWORD, demo_load


class Command(BaseCommand):
    help = "Load or reset the demo province (halls, counters, staff, catalog) and switch demo traffic on or off."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-traffic", action="store_true", help="do not simulate customers and agents")

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_load(traffic=not options["no_traffic"])
        self.stdout.write(f"Demo data loaded. Password for every login: {DEMO_PASSWORD}")
        for hall, names in logins.items():
            self.stdout.write(f"  {hall}: {', '.join(names)}")
        self.stdout.write("Simulated traffic: " + ("off" if options["no_traffic"] else "on"))
