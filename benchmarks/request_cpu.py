"""CPU per API request type: the lifecycle's six requests, one at a time, without the noise of a load test.

A quick way to see what a change to the request path costs on a shared machine. Each lifecycle (issue, call
next, arrive, start communication, start operation, complete) runs at one of the counters that
``benchmarks/lifecycle.py`` sets up. It reports, per request type, the CPU milliseconds of the process that
handles the request, the ratio to ``GET /api/v1/health`` measured in the same run, the statements of each
type (in-process only), and PostgreSQL's own CPU per request (its processes, from /proc)::

    scripts/with-postgres.sh .venv/bin/python benchmarks/request_cpu.py [--lifecycles 400] [--http]

- default: in-process through Django's test client (``time.process_time``); ``--profile KIND`` runs that
  request type under cProfile, ``--sql`` prints its statements, ``--orm`` takes the ORM path on PostgreSQL
  (as SQLite does);
- ``--http``: over HTTP to ``hallops serve --workers 1`` on the same database; the server's CPU comes from the
  kernel's per-thread counters (nanoseconds), so it includes uvicorn and the ASGI hand-off.

Without ``scripts/with-postgres.sh`` (no DATABASE_URL) it runs on a file SQLite database. Never run in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

KINDS = ("issue", "call-next", "arrive", "start-communication", "start-operation", "complete")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lifecycles", type=int, default=400)
    parser.add_argument("--halls", type=int, default=4, help="benchmark halls of 4 counters (plus ty01, ty02)")
    parser.add_argument("--profile", default="", help="a request type to run under cProfile (top functions)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON as well")
    parser.add_argument("--sql", action="store_true", help="print the statements of each request type")
    parser.add_argument("--orm", action="store_true", help="PostgreSQL through the ORM path (as on SQLite)")
    parser.add_argument(
        "--http", action="store_true", help="one request at a time over HTTP to `hallops serve --workers 1`"
    )
    args = parser.parse_args()
    if args.orm and args.http:
        parser.error("--orm changes this process only: it cannot be combined with --http")

    data_dir = Path(tempfile.mkdtemp(prefix="hallops-cpu."))
    os.environ["HALLOPS_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "hallops.settings.dev"
    hallops = str(Path(sys.executable).parent / "hallops")
    try:
        for cmd in (["migrate", "--noinput", "-v", "0"], ["demo", "--no-traffic"]):
            subprocess.run([hallops, *cmd], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        return run(args)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    import django
    import lifecycle  # the load benchmark's setup step: halls, open counters, tokens

    django.setup()
    if args.orm:
        from hallops.hall import hotpath

        hotpath.enabled = lambda: False
    setup = lifecycle.cmd_setup(args.halls)
    counters = list(setup["counters"])
    meter = lifecycle.CpuMeter(os.getpid(), setup["postmaster"]) if setup["postmaster"] else None

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(raise_request_exception=True, HTTP_HOST="127.0.0.1")
    _serve_events_like_the_server()
    server = _HttpServer() if args.http else None
    clock = server.cpu if server is not None else time.process_time

    def post(path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body) if body is not None else ""  # as the load benchmark sends them
        if server is not None:
            return server.request("POST", path, token, data.encode())
        extra = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        return client.post(path, data=data, content_type="application/json", **extra)

    def get_health() -> Any:
        return server.request("GET", "/api/v1/health") if server is not None else client.get("/api/v1/health")

    def steps(c: dict[str, Any], i: int) -> list[tuple[str, str, str, dict[str, Any] | None]]:
        service = c["services"][i % len(c["services"])]
        base = f"/api/v1/counters/{c['id']}"
        return [
            ("issue", f"/api/v1/halls/{c['hall']}/tickets", c["kiosk_token"], {"service": service, "channel": "kiosk"}),
            ("call-next", f"{base}/call-next", c["token"], None),
            *[(k, f"{base}/{k}", c["token"], None) for k in KINDS[2:]],
        ]

    # Warm up every code path and the auth cache (two lifecycles per counter: the first at a counter takes the
    # read-then-write path, see hallops.hall.hotpath); count the statements of each request type at the end.
    queries: dict[str, int] = {}
    for i, c in enumerate(counters + counters):
        for kind, path, token, body in steps(c, i):
            with CaptureQueriesContext(connection) as q:
                reply = post(path, token, body)
            assert reply.status_code in (200, 201), (kind, reply.status_code, reply.content[:300])
            if server is not None:
                continue
            if i == 2 * len(counters) - 1:
                queries[kind] = len(q.captured_queries)
                if args.sql:
                    print(f"--- {kind}: {len(q.captured_queries)} statements")
                    for stmt in q.captured_queries:
                        print(f"    {stmt['sql'][:400]}")
    reset_queries()

    cpu: dict[str, list[float]] = {k: [] for k in KINDS}
    health: list[float] = []
    profiler = cProfile.Profile(time.process_time) if args.profile else None
    pg0 = meter.sample()[1] if meter else 0.0
    for i in range(args.lifecycles):
        c = counters[i % len(counters)]
        for kind, path, token, body in steps(c, i):
            if profiler is not None and kind == args.profile:
                profiler.enable()
            t0 = clock()
            reply = post(path, token, body)
            t1 = clock()
            if profiler is not None and kind == args.profile:
                profiler.disable()
            if reply.status_code not in (200, 201):
                raise SystemExit(f"{kind}: {reply.status_code} {reply.content[:300]!r}")
            cpu[kind].append((t1 - t0) * 1000)
        for _ in range(3):
            t0 = clock()
            get_health()
            health.append((clock() - t0) * 1000)

    pg_ms = (meter.sample()[1] - pg0) * 1000 / (args.lifecycles * len(KINDS)) if meter else float("nan")
    h = statistics.fmean(health)
    vendor = connection.vendor
    if server is not None:
        server.stop()
    where = "over HTTP, server process (1 worker)" if server is not None else "in-process test client"
    print(f"{vendor}: {args.lifecycles} lifecycles, {len(counters)} counters, {where}; CPU ms per request")
    print(f"{'request':<22}{'mean':>8}{'median':>8}{'/health':>9}{'queries':>9}")
    figures: dict[str, Any] = {"vendor": vendor, "health_ms": h, "kinds": {}}
    for kind in KINDS:
        mean, med = statistics.fmean(cpu[kind]), statistics.median(cpu[kind])
        figures["kinds"][kind] = {"mean_ms": mean, "median_ms": med, "queries": queries.get(kind)}
        print(f"{kind:<22}{mean:8.2f}{med:8.2f}{mean / h:9.1f}{queries.get(kind, 0):9d}")
    overall = statistics.fmean([statistics.fmean(cpu[k]) for k in KINDS])
    figures["mean_ms"] = overall
    print(f"{'lifecycle request':<22}{overall:8.2f}{'':8}{overall / h:9.1f}")
    print(f"{'GET /health':<22}{h:8.3f}")
    if meter is not None:
        print(f"PostgreSQL CPU per lifecycle request (its own processes): {pg_ms:.2f} ms")
    figures["postgres_ms"] = pg_ms
    if args.json:
        print(json.dumps(figures))
    if profiler is not None:
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)
    return 0


class _HttpServer:
    """``hallops serve --workers 1`` on the same database; its CPU from the scheduler's per-thread counters."""

    class Reply:
        def __init__(self, status: int, content: bytes) -> None:
            self.status_code, self.content = status, content

    def __init__(self) -> None:
        import http.client
        import socket

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        hallops = str(Path(sys.executable).parent / "hallops")
        self.proc = subprocess.Popen(
            [hallops, "serve", "--port", str(port), "--workers", "1", "--no-traffic"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1.0)
        self.conn = http.client.HTTPConnection("127.0.0.1", port)

    def request(self, method: str, path: str, token: str = "", body: bytes | None = None) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if method == "POST":
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=headers)
        reply = self.conn.getresponse()
        return self.Reply(reply.status, reply.read())

    def cpu(self) -> float:
        """CPU seconds of every thread of the server process (nanosecond counters, not clock ticks)."""
        total = 0
        for task in Path(f"/proc/{self.proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                total += int((task / "schedstat").read_text().split()[0])
        return total / 1e9

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGINT)
        self.proc.wait(15)


def _serve_events_like_the_server() -> None:
    """Live events go to an event loop in another thread, as in ``hallops serve`` (not a thread per send)."""
    import asyncio
    import threading

    from hallops.realtime.events import set_server_loop

    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    set_server_loop(loop)


if __name__ == "__main__":
    raise SystemExit(main())
