"""``hallops rules_evaluate [--hall CODE]``: run one evaluation step now and print what it decided."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallops.organisation.models import Hall
from hallops.rules.services import hall_evaluate, halls_evaluate


class Command(BaseCommand):
    help = "Decide the hall's busy/idle mode and apply its rules now (every configured hall without --hall)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--hall", help="the hall's code (default: every hall with a mode configuration)")

    def handle(self, *args: Any, **options: Any) -> None:
        code = options.get("hall")
        if not code:
            changed = halls_evaluate()
            self.stdout.write(f"{changed} hall(s) changed")
            return
        hall = Hall.objects.filter(code=code).first()
        if hall is None:
            raise CommandError(f"--hall: no hall {code!r}")
        result = hall_evaluate(hall=hall)
        eff = result.effects
        self.stdout.write(
            f"{hall.code}: mode={result.mode.value if result.mode else 'unmanaged'} "
            f"changed={'yes' if result.changed else 'no'} "
            f"started={result.started} ended={result.ended} notified={result.notified}"
        )
        if eff.managed:
            parts = [
                f"pre-acceptance={','.join(sorted(eff.preacceptance)) or '-'}",
                f"self-service={','.join(sorted(eff.self_service)) or '-'}",
                f"no-upselling={'yes' if eff.upselling_blocked else 'no'}",
                f"open-counters={eff.open_counters.more if eff.open_counters else '-'}",
                f"progress={'yes' if eff.progress_zh else 'no'}",
                f"near-turn={eff.near_turn_places or '-'}",
            ]
            self.stdout.write("  " + " ".join(parts))
