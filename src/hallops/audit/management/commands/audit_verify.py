"""``hallops audit_verify [--seal]``: recompute the audit log's hash chain; exit 1 at the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hallops.audit.chain import audit_seal, audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chain (optionally seal the settled rows first)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seal", action="store_true", help="seal the settled new rows before verifying")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            self.stdout.write(f"sealed {audit_seal()} rows")
        result = audit_verify()
        if not result.ok:
            raise CommandError(str(result))
        self.stdout.write(str(result))
