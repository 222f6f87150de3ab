"""``hallops scan_alerts [--hall CODE]``: run the alert detectors once now (the worker runs them every minute)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from hallops.alerts.detect import hall_scan
from hallops.organisation.models import Hall


class Command(BaseCommand):
    help = "Raise, update and clear the over-limit, long-wait and idle-counter alerts now."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hall", help="one hall's code (default: every hall)")

    def handle(self, *args: Any, **options: Any) -> None:
        halls = Hall.objects.order_by("code")
        if options["hall"]:
            halls = halls.filter(code=options["hall"])
            if not halls.exists():
                raise CommandError(f"no hall {options['hall']!r}")
        now = timezone.now()
        for hall in halls:
            result = hall_scan(hall, now)
            self.stdout.write(f"{hall.code}: {len(result.raised)} raised or updated, {len(result.cleared)} cleared")
