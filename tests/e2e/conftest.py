"""End-to-end fixtures: a real `hallops serve` (HTTP + WebSockets) on a file SQLite database, driven by
Debian's Chromium through Playwright (never `playwright install`).

pytest-django's live server has no WebSockets, so the server is a subprocess: a fresh data folder, `migrate`,
`hallops demo --no-traffic`, `hallops serve` on a free port. Tests act through pages (and, where a test needs
a precondition quickly, through the HTTP API or the `hallops` CLI) — never by touching the database directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
BIN = Path(sys.executable).parent
HALLOPS = str(BIN / "hallops")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def api_call(base: str, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
    """One JSON request to ``base``/api/v1``path``; returns (status, decoded body or None)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + "/api/v1" + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    data_dir: Path

    def hallops(self, *args: str) -> str:
        """Run a `hallops` command against the server's database; return its output."""
        out = subprocess.run([HALLOPS, *args], env=self.env, capture_output=True, text=True, timeout=60, check=True)
        return out.stdout

    def api(self, method: str, path: str, token: str | None = None, body: Any = None) -> tuple[int, Any]:
        return api_call(self.url, method, path, token, body)

    def token(self, username: str, password: str = "demo") -> str:
        status, body = self.api("POST", "/auth/token", body={"username": username, "password": password})
        assert status == 200, body
        return str(body["token"])

    def pairing_code(self, kind: str, *, hall: str = "ty01", counter: int | None = None) -> str:
        args = ["pair_device", hall, kind] + (["--counter", str(counter)] if counter is not None else [])
        return self.hallops(*args).split("pairing code ")[1].split()[0]


@contextlib.contextmanager
def start_server(data: Path) -> Iterator[LiveServer]:
    """A fresh demo database in ``data`` (no simulated traffic) and `hallops serve` on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"HALLOPS_DATA_DIR": str(data), "HALLOPS_PUBLIC_URL": url, "HALLOPS_AUTH_CACHE_SECONDS": "0"})
    for args in (["migrate", "--noinput"], ["demo", "--no-traffic"]):
        subprocess.run([HALLOPS, *args], env=env, check=True, capture_output=True, timeout=180)
    log = (data / "server.log").open("w")
    proc = subprocess.Popen(
        [HALLOPS, "serve", "--port", str(port), "--no-traffic"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((data / "server.log").read_text()) from None
            time.sleep(0.2)
    try:
        yield LiveServer(url=url, env=env, data_dir=data)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the session; a module that needs a hall to itself overrides this fixture with its own
    ``start_server`` (module scope)."""
    with start_server(tmp_path_factory.mktemp("e2e-data")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """``new_context(login="agent1", lang="zh-hans")`` → a fresh browser context (own cookies), logged in if asked."""
    contexts: list[Any] = []

    def make(login: str | None = None, *, lang: str | None = None, viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            viewport=viewport or {"width": 1280, "height": 800},
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        if lang:
            context.add_cookies([{"name": "django_language", "value": lang, "url": live_server.url}])
        if login:
            page = context.new_page()
            page.goto("/login/")
            page.fill("#id_username", login)
            page.fill("#id_password", "demo")
            page.click("main button[type=submit]")
            page.wait_for_url(lambda u: "/login/" not in u)
            page.close()
        return context

    yield make
    for context in contexts:
        context.close()


def pair(context: Any, code: str) -> Any:
    """Pair a browser context as a device with a one-time code; return the page on the device's screen."""
    page = context.new_page()
    page.goto("/pair/")
    page.fill("#id_code", code)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda u: "/pair/" not in u)
    return page


def screenshot(page: Any, name: str) -> None:
    """Save a screenshot of a screen under docs/screenshots/ (the README shows them)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
