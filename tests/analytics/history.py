"""Test helpers: history files written from core records, and small hand-made records."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from hallops.core.history_csv import COLUMNS
from hallops.core.kpi import Outcome, TransactionRecord
from tests.factories import shanghai


def csv_row(r: TransactionRecord) -> dict[str, str]:
    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, Outcome):
            return value.value
        return str(value)

    return {c: text(getattr(r, c)) for c in COLUMNS}


def csv_text(records: Iterable[TransactionRecord]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in records:
        writer.writerow(csv_row(r))
    return out.getvalue()


def write_csv(path: Path, records: Iterable[TransactionRecord]) -> Path:
    path.write_text(csv_text(records), encoding="utf-8")
    return path


def rec(ticket: str, issued: dt.datetime, outcome: str = "done", **kw: Any) -> TransactionRecord:
    """A record with sensible defaults: a done row called 2 minutes after issue, served in 2 minutes."""
    called = kw.pop("called_at", issued + dt.timedelta(minutes=2) if outcome in ("done", "no_show") else None)
    ended = kw.pop(
        "ended_at",
        (called + dt.timedelta(minutes=2)) if called is not None else issued + dt.timedelta(minutes=5),
    )
    defaults: dict[str, Any] = {
        "service": "sim_replacement",
        "channel": "kiosk",
        "priority": "normal",
        "limit_minutes": 3.0 if outcome == "done" else None,
        "counter": "1" if called is not None else "",
        "agent": "agent1" if called is not None else "",
    }
    defaults.update(kw)
    return TransactionRecord(
        ticket=ticket, issued_at=issued, called_at=called, ended_at=ended, outcome=Outcome(outcome), **defaults
    )


T0 = shanghai(2026, 11, 2, 9, 0)
