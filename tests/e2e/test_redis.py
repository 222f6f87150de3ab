"""Two server processes, one Redis: an event committed in one process reaches screens connected to the other.

This runs real processes: its own `redis-server` (Debian package) on a free port, two `hallops serve` processes
on one file SQLite database with REDIS_URL set, a WebSocket client on the second process, the API on the first.
It also checks the other promise of the live layer: with Redis gone, writes still succeed (the push is lost,
screens see the gap when they reconnect and reload from the database).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.e2e.conftest import api_call, free_port

BIN = Path(sys.executable).parent
HALLOPS = str(BIN / "hallops")
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.2)


class Cluster:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.redis_port = free_port()
        self.env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
        self.env.update(
            {
                "HALLOPS_DATA_DIR": str(tmp),
                "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "HALLOPS_AUTH_CACHE_SECONDS": "0",
            }
        )
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        self.redis: subprocess.Popen[bytes] | None = None

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [REDIS, "--port", str(self.redis_port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.redis_port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait(timeout=10)
            self.redis = None

    def start_servers(self, n: int) -> None:
        for args in (["migrate", "--noinput"], ["demo", "--no-traffic"]):
            subprocess.run([HALLOPS, *args], env=self.env, check=True, capture_output=True, timeout=180)
        for i in range(n):
            port = free_port()
            log = self.tmp / f"server{i}.log"
            proc = subprocess.Popen(
                [HALLOPS, "serve", "--port", str(port), "--no-traffic"],
                env=self.env,
                stdout=log.open("w"),
                stderr=subprocess.STDOUT,
            )
            self.procs.append(proc)
            url = f"http://127.0.0.1:{port}"
            _wait_http(url + "/healthz", proc, log)
            self.urls.append(url)

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stop_redis()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path)
    c.start_redis()
    try:
        c.start_servers(2)
        yield c
    finally:
        c.stop()


def _run(make: Any) -> Any:
    """Run ``make()``'s coroutine on a loop of its own thread: the browser tests' Playwright keeps an event loop
    running in the main thread for the whole session, where ``asyncio.run`` refuses to start."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


async def _listen(url: str, path: str, wanted: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = []
    async with websockets.connect(url.replace("http", "ws") + path, origin=url) as ws:
        end = time.monotonic() + timeout
        while len(messages) < wanted and time.monotonic() < end:
            raw = await asyncio.wait_for(ws.recv(), timeout=max(0.1, end - time.monotonic()))
            messages.append(json.loads(raw))
    return messages


def test_an_event_committed_in_one_process_reaches_a_screen_on_the_other(cluster: Cluster) -> None:
    """The customer's stream is opened on server B; a call-next through server A reaches it within a second."""
    a, b = cluster.urls
    kiosk = api_call(a, "POST", "/auth/token", body={"username": "kiosk1", "password": "demo"})[1]["token"]
    agent = api_call(a, "POST", "/auth/token", body={"username": "agent1", "password": "demo"})[1]["token"]
    status, ticket = api_call(
        a, "POST", "/halls/ty01/tickets", kiosk, {"service": "sim_replacement", "channel": "kiosk"}
    )
    assert status == 201, ticket
    token = ticket["url"].rstrip("/").rsplit("/", 1)[1]
    counters = api_call(a, "GET", "/halls/ty01/counters", agent)[1]["items"]
    counter_id = next(c["id"] for c in counters if c["number"] == 1)

    async def scenario() -> tuple[list[dict[str, Any]], float]:
        listener = asyncio.create_task(_listen(b, f"/ws/hall/ty01/?ticket={token}", wanted=3))
        await asyncio.sleep(0.5)  # connected and subscribed on B
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        assert (await loop.run_in_executor(None, api_call, a, "POST", f"/counters/{counter_id}/open", agent))[0] == 200
        called = await loop.run_in_executor(None, api_call, a, "POST", f"/counters/{counter_id}/call-next", agent)
        assert called[0] == 200, called
        messages = await listener
        return messages, time.monotonic() - started

    messages, elapsed = _run(scenario)
    kinds = [m["kind"] for m in messages]
    assert kinds[0] == "hello"
    assert "counter.opened" in kinds and "ticket.called" in kinds, kinds
    called = next(m for m in messages if m["kind"] == "ticket.called")
    assert called["ticket"] == ticket["number"] and called["counter"] == 1
    seqs = [m["seq"] for m in messages]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # hello, then the next numbers, no gap
    assert elapsed < 5


def test_writes_succeed_while_redis_is_down_and_screens_see_the_gap(cluster: Cluster) -> None:
    """Redis stopped: issuing still answers 201 (the push is lost, not the ticket); a screen connecting after Redis
    is back gets a hello whose number is ahead of what it last saw, so it reloads from the database."""
    a, b = cluster.urls
    kiosk = api_call(a, "POST", "/auth/token", body={"username": "kiosk1", "password": "demo"})[1]["token"]
    first = api_call(a, "POST", "/halls/ty01/tickets", kiosk, {"service": "value_added", "channel": "kiosk"})[1]
    token = first["url"].rstrip("/").rsplit("/", 1)[1]
    before = _run(lambda: _listen(b, f"/ws/hall/ty01/?ticket={token}", wanted=1))[0]["seq"]
    cluster.stop_redis()
    started = time.monotonic()
    status, second = api_call(a, "POST", "/halls/ty01/tickets", kiosk, {"service": "value_added", "channel": "kiosk"})
    assert status == 201, second
    assert time.monotonic() - started < 5  # the write did not wait on the missing Redis
    assert int(second["number"][1:]) == int(first["number"][1:]) + 1
    cluster.start_redis()
    deadline = time.monotonic() + 20
    while True:  # channels_redis reconnects on the next use
        try:
            hello = _run(lambda: _listen(b, f"/ws/hall/ty01/?ticket={token}", wanted=1, timeout=3))[0]
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert hello["kind"] == "hello" and hello["seq"] == before + 1


@pytest.mark.parametrize("queue", ["redis", "sqlite"])
def test_a_job_enqueued_by_one_process_runs_in_the_worker(tmp_path: Path, queue: str) -> None:
    """`hallops worker` runs jobs another process enqueued: through Redis when REDIS_URL is set, else through the
    SQLite queue file in the data folder (the default). The enqueuer blocks on the job's result."""
    c = Cluster(tmp_path)
    if queue == "redis":
        c.start_redis()
    else:
        c.env.pop("REDIS_URL")
    worker = None
    try:
        for args in (["migrate", "--noinput"], ["demo", "--no-traffic"]):
            subprocess.run([HALLOPS, *args], env=c.env, check=True, capture_output=True, timeout=180)
        log = tmp_path / "worker.log"
        worker = subprocess.Popen([HALLOPS, "worker"], env=c.env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        code = (
            "from hallops.hall.tasks import close_hall_day; from hallops.organisation.models import Hall; "
            "r = close_hall_day(Hall.objects.get(code='ty01').pk, '2026-01-01'); "
            "print('job-result', r.get(blocking=True, timeout=30))"
        )
        out = subprocess.run([HALLOPS, "shell", "-c", code], env=c.env, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr[-2000:] + log.read_text()[-2000:]
        line = next(ln for ln in out.stdout.splitlines() if ln.startswith("job-result"))
        assert line.split()[1] == "0"  # nothing was open on that day
        assert "Executing hallops.hall.tasks.close_hall_day:" in log.read_text()  # the worker process ran it
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=10)
        c.stop()
