"""A worker killed with SIGKILL mid-write (scenario 3): acknowledged tickets survive, numbering stays gapless.

A child process (the project's own Python, on the test database) issues tickets from 20 threads over three
business types, and prints ``ack <number>`` after each commit. A hook inside the ticket's transaction
(after its last write, before COMMIT) prints ``hold <number>`` and stops once enough tickets are
acknowledged. The test then kills the child while that transaction is open and the other threads are
blocked inside theirs (behind the ticket-sequence or hall-event row, or SQLite's write lock).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from hallops.hall import services
from hallops.hall.models import HallEvent, Ticket, TicketSequence
from hallops.organisation.models import Hall
from tests.factories import Setup, shanghai

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite" and not connection.settings_dict["TEST"].get("NAME"),
        reason="the crash test needs a file SQLite database (set HALLOPS_TEST_SQLITE) or PostgreSQL",
    ),
]

ROOT = Path(__file__).resolve().parents[2]
AT = shanghai(2026, 3, 2, 10, 0)
HOLD_AFTER = 12  # acknowledged tickets before the hook starts holding transactions open
THREADS = 20  # issuing threads in the child, spread over the business types: up to 20 issues in flight
SERVICES = {"new_subscriber": "A", "sim_replacement": "B", "value_added": "C"}

CHILD = textwrap.dedent(
    """
    import datetime as dt, os, sys, threading, time
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from hallops.hall import hotpath, services
    from hallops.organisation.access import actor_for_user
    from hallops.organisation.models import Hall

    at = dt.datetime.fromisoformat(os.environ["CRASH_AT"])
    hold_after = int(os.environ["CRASH_HOLD_AFTER"])
    out = threading.Lock()
    acked = 0

    def say(line):
        with out:
            sys.stdout.write(line + "\\n")
            sys.stdout.flush()

    def maybe_hold(number):
        if acked >= hold_after:
            say("hold " + number)
            time.sleep(120)  # still inside the ticket's transaction: the number is taken, nothing committed

    # The hook follows the ticket's last write: the audit row (ORM path, SQLite) or the one statement that
    # inserts the ticket, its event and its audit row (hallops.hall.hotpath, PostgreSQL).
    real_audit, real_issue_write = services.audit_record, hotpath.issue_write

    def audit_then_maybe_hold(**kw):
        row = real_audit(**kw)
        if kw.get("action") == "ticket.issue":
            maybe_hold(kw["detail"]["number"])
        return row

    def issue_write_then_maybe_hold(**kw):
        written = real_issue_write(**kw)
        maybe_hold(kw["ticket"].number)
        return written

    services.audit_record = audit_then_maybe_hold
    hotpath.issue_write = issue_write_then_maybe_hold
    hall = Hall.objects.get(code=os.environ["CRASH_HALL"])
    actor = actor_for_user(get_user_model().objects.get(username="kiosk"), session_ref="crash")

    def issue_forever(code):
        global acked
        try:
            while True:
                result = services.ticket_issue(actor=actor, hall=hall, service_code=code, channel="kiosk", at=at)
                with out:
                    acked += 1
                say("ack " + result.ticket.number)
        except BaseException as exc:
            say("error " + repr(exc))
            os._exit(1)

    codes = os.environ["CRASH_SERVICES"].split(",")
    for i in range(int(os.environ["CRASH_THREADS"])):
        threading.Thread(target=issue_forever, args=(codes[i % len(codes)],), daemon=True).start()
    say("started")
    time.sleep(120)
    """
)


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    host = db["HOST"] or "localhost"
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    if host.startswith("/"):
        return f"postgres://{auth}@/{db['NAME']}?host={quote(host, safe='')}"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{auth}@{host}{port}/{db['NAME']}"


def run_child_and_kill(setup: Setup) -> tuple[list[str], list[str]]:
    """Start the child, kill it once a transaction is held open; return the acknowledged and held numbers."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "HALLOPS_DB_POOL": str(THREADS + 2),
        "CRASH_THREADS": str(THREADS),
        "CRASH_AT": AT.isoformat(),
        "CRASH_HOLD_AFTER": str(HOLD_AFTER),
        "CRASH_HALL": setup.hall.code,
        "CRASH_SERVICES": ",".join(SERVICES),
    }
    lines: queue.Queue[str | None] = queue.Queue()
    with tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )

        def read() -> None:
            assert child.stdout is not None
            for line in child.stdout:
                lines.put(line.strip())
            lines.put(None)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        seen: list[str] = []
        deadline = time.monotonic() + 30
        try:
            while True:
                try:
                    line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if line is None:
                    break
                seen.append(line)
                if line.startswith("error "):
                    break
                if line.startswith("hold "):
                    time.sleep(0.5)  # let the other threads reach their own held transaction (PostgreSQL)
                    break
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
            reader.join(timeout=10)
        while not lines.empty():
            if (line := lines.get_nowait()) is not None:
                seen.append(line)
        err.seek(0)
        stderr = err.read()[-3000:]
    acked = [line.split()[1] for line in seen if line.startswith("ack ")]
    held = [line.split()[1] for line in seen if line.startswith("hold ")]
    assert held and not [line for line in seen if line.startswith("error ")], f"{seen[-5:]}\n{stderr}"
    assert child.returncode == -signal.SIGKILL
    return acked, held


def test_sigkill_mid_issue_keeps_acknowledged_tickets_and_gapless_numbers(setup: Setup) -> None:
    """After SIGKILL: every acknowledged ticket exists, each prefix is 1..N, its sequence says N, no held row."""
    acked, held = run_child_and_kill(setup)
    assert len(acked) >= HOLD_AFTER and held
    day = AT.date()
    stored = set(Ticket.objects.filter(hall=setup.hall, day=day).values_list("number", flat=True))
    assert set(acked) <= stored, sorted(set(acked) - stored)
    assert not set(held) & stored, sorted(set(held) & stored)
    seqs: dict[str, list[int]] = defaultdict(list)
    for prefix, seq in Ticket.objects.filter(hall=setup.hall, day=day).values_list("prefix", "seq"):
        seqs[prefix].append(seq)
    for code, prefix in SERVICES.items():
        n = len(seqs[prefix])
        assert sorted(seqs[prefix]) == list(range(1, n + 1)), prefix
        row = TicketSequence.objects.filter(hall=setup.hall, prefix=prefix, day=day).first()
        assert (row.last if row else 0) == n, f"orphan increment for {prefix}"
        after = services.ticket_issue(
            actor=setup.actor("kiosk"), hall=setup.hall, service_code=code, channel="kiosk", at=AT
        )
        assert after.ticket.seq == n + 1, prefix
    events = list(HallEvent.objects.filter(hall=setup.hall).order_by("seq").values_list("seq", flat=True))
    assert events == list(range(1, len(events) + 1))
    assert Hall.objects.get(pk=setup.hall.pk).event_seq == len(events)
    assert HallEvent.objects.filter(hall=setup.hall, kind="ticket.issued").count() == len(stored) + len(SERVICES)
