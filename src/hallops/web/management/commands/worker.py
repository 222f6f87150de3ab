from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run background jobs (Huey: SQLite queue by default, Redis when REDIS_URL is set)."

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("run_huey")
