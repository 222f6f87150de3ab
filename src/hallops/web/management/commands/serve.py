from __future__ import annotations

import os
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Run the ASGI server (HTTP + WebSockets, static files included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HALLOPS_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=1)
        parser.add_argument(
            "--limit-concurrency",
            type=int,
            default=64,
            help="requests in flight per worker before 503 (protects the database pool)",
        )
        parser.add_argument("--no-traffic", action="store_true", help="do not run demo traffic even if it is on")
        parser.add_argument("--traffic-speed", type=float, default=1.0, help="demo clock speed-up (1: real time)")

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        call_command("collectstatic", interactive=False, verbosity=0)
        if not options["no_traffic"]:
            from hallops.hall.demo_traffic import demo_traffic_start

            if demo_traffic_start(speed=options["traffic_speed"]) is not None:
                self.stdout.write("Demo traffic: simulated customers and agents are on")
        self.stdout.write(f"HallOps on http://{options['host']}:{options['port']}/ ({options['workers']} worker(s))")
        uvicorn.run(
            "hallops.asgi:application",
            host=options["host"],
            port=options["port"],
            workers=options["workers"] if options["workers"] > 1 else None,
            limit_concurrency=options["limit_concurrency"],
            log_level="warning",
            lifespan="off",
        )
