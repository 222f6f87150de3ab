"""``hallops import-history FILE.csv --hall CODE``: load a history file (docs/kpis.md) into a hall.

All rows or none: any bad row (the core's checks, an unknown business type, a row contradicting a stored row
of its ticket) exits with status 1, prints ``line N: column: message`` on stderr for each (N the physical
line, the header is line 1) and loads nothing. Rows already stored are skipped.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallops.analytics.models import Source
from hallops.analytics.services import RecordsRejected, records_load
from hallops.core.history_csv import HistoryError, decode_history, parse_history
from hallops.organisation.models import Hall

#: at most this many bad rows are listed on stderr (then how many more there are)
MAX_ERRORS_SHOWN = 100


class Command(BaseCommand):
    help = "Load a history file (one CSV row per transaction, docs/kpis.md) into a hall; all rows or none."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE.csv")
        parser.add_argument("--hall", required=True, metavar="CODE", help="the hall's code")

    def _fail(self, lines: list[str]) -> None:
        shown = lines[:MAX_ERRORS_SHOWN]
        for line in shown:
            self.stderr.write(line)
        if len(lines) > len(shown):
            self.stderr.write(f"... and {len(lines) - len(shown)} more bad rows")
        sys.exit(1)

    def handle(self, *args: Any, **options: Any) -> None:
        hall = Hall.objects.filter(code=options["hall"]).first()
        if hall is None:
            raise CommandError(f"--hall: unknown hall {options['hall']!r}")
        try:
            with open(options["file"], "rb") as handle:
                data = handle.read()
        except OSError as error:
            raise CommandError(f"cannot read {options['file']}: {error.strerror}") from None
        try:
            history = parse_history(decode_history(data), tz=hall.tz)
        except HistoryError as error:
            self._fail([str(e) for e in error.errors])
            return
        try:
            result = records_load(hall=hall, records=history.records, source=Source.IMPORT, lines=history.lines)
        except RecordsRejected as error:
            self._fail([str(p) for p in error.problems])
            return
        self.stdout.write(f"{hall.code}: {result.added} rows added, {result.skipped} already stored (skipped)")
