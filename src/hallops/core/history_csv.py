"""The history file: one CSV row per transaction (docs/kpis.md, "The history file").

Read by ``hallops kpi`` (and later by ``hallops import-history``). Every bad row is reported with its
physical line number: the header is line 1 and a quoted field spanning several lines counts each of them, so
that N is the line an editor shows. A row's number is the line it starts on.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from hallops.core.kpi import Outcome, TransactionRecord, record_errors

COLUMNS = (
    "ticket",
    "service",
    "channel",
    "priority",
    "issued_at",
    "called_at",
    "arrived_at",
    "communication_at",
    "operation_at",
    "ended_at",
    "outcome",
    "counter",
    "agent",
    "rating",
    "quoted_wait_seconds",
    "pre_order",
    "limit_minutes",
)
_REQUIRED_TEXT = ("ticket", "service", "channel", "priority")
_TIMESTAMPS = ("issued_at", "called_at", "arrived_at", "communication_at", "operation_at", "ended_at")
_DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?\Z")
_OUTCOMES = "|".join(o.value for o in Outcome)


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class HistoryError(Exception):
    """The file has bad rows; ``errors`` are sorted by line, at most one per row."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = tuple(errors)


@dataclass(frozen=True, slots=True)
class History:
    records: tuple[TransactionRecord, ...]
    #: the physical line each record starts on
    lines: tuple[int, ...]


class _FieldError(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")


def _timestamp(column: str, text: str) -> datetime | None:
    if text == "":
        if column == "issued_at":
            raise _FieldError(column, "empty")
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _FieldError(column, f"not an ISO 8601 timestamp: {text!r}") from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise _FieldError(column, f"no UTC offset in {text!r}")
    return value


def _decimal(column: str, text: str, description: str) -> float | None:
    if text == "":
        return None
    if not _DECIMAL.match(text):
        raise _FieldError(column, f"must be {description} or empty, got {text!r}")
    return float(text)


def _record(row: dict[str, str]) -> TransactionRecord:
    for column in _REQUIRED_TEXT:
        if row[column] == "":
            raise _FieldError(column, "empty")
    times = {column: _timestamp(column, row[column]) for column in _TIMESTAMPS}
    try:
        outcome = Outcome(row["outcome"])
    except ValueError:
        raise _FieldError("outcome", f"must be {_OUTCOMES}, got {row['outcome']!r}") from None
    rating_text = row["rating"]
    if rating_text not in ("", "1", "2", "3"):
        raise _FieldError("rating", f"must be 1, 2, 3 or empty, got {rating_text!r}")
    pre_order = row["pre_order"]
    if pre_order not in ("true", "false"):
        raise _FieldError("pre_order", f"must be true or false, got {pre_order!r}")
    limit = _decimal("limit_minutes", row["limit_minutes"], "a number of minutes")
    if limit is not None and limit <= 0:
        raise _FieldError("limit_minutes", f"must be > 0, got {row['limit_minutes']!r}")
    issued_at = times.pop("issued_at")
    assert issued_at is not None
    return TransactionRecord(
        ticket=row["ticket"],
        service=row["service"],
        channel=row["channel"],
        priority=row["priority"],
        issued_at=issued_at,
        outcome=outcome,
        counter=row["counter"],
        agent=row["agent"],
        rating=int(rating_text) if rating_text else None,
        quoted_wait_seconds=_decimal("quoted_wait_seconds", row["quoted_wait_seconds"], "a number of seconds"),
        pre_order=pre_order == "true",
        limit_minutes=limit,
        **times,
    )


def _header_errors(header: list[str]) -> str | None:
    seen: set[str] = set()
    for name in header:
        if name in seen:
            return f"duplicate column {name!r}"
        if name not in COLUMNS:
            return f"unknown column {name!r} (expected: {', '.join(COLUMNS)})"
        seen.add(name)
    missing = [c for c in COLUMNS if c not in seen]
    if missing:
        return f"missing column(s) {', '.join(missing)}"
    return None


def parse_history(text: str, *, tz: tzinfo | None = None) -> History:
    """The records of a history file's text, or :class:`HistoryError` listing every bad row.

    Columns may come in any order; blank lines are skipped. Beyond each field's format, rows are checked by
    :func:`hallops.core.kpi.record_errors` (phase order, outcome rules, the rows of one ticket agreeing);
    ``tz`` is the zone of the local date that identifies a ticket (each timestamp's own offset when None).
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[LineError] = []
    records: list[TransactionRecord] = []
    lines: list[int] = []
    header: list[str] | None = None
    start = 1
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(LineError(start, f"bad CSV: {error}"))
            break
        if header is None:
            header = row
            problem = _header_errors(header)
            if problem is not None:
                raise HistoryError([LineError(start, problem)])
            continue
        if not row:
            continue
        if len(row) != len(header):
            errors.append(LineError(start, f"expected {len(header)} fields, got {len(row)}"))
            continue
        try:
            records.append(_record(dict(zip(header, row, strict=True))))
        except _FieldError as error:
            errors.append(LineError(start, str(error)))
            continue
        lines.append(start)
    if header is None:
        raise HistoryError([LineError(1, f"empty file: expected a header ({', '.join(COLUMNS)})")])
    for bad in record_errors(records, tz=tz):
        other = "" if bad.other is None else f" (line {lines[bad.other]})"
        errors.append(LineError(lines[bad.index], f"{bad.column}: {bad.message}{other}"))
    if errors:
        raise HistoryError(sorted(errors, key=lambda e: e.line))
    return History(records=tuple(records), lines=tuple(lines))


def decode_history(data: bytes) -> str:
    """UTF-8 text (a leading byte-order mark is dropped), or :class:`HistoryError` naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise HistoryError([LineError(line, "not UTF-8 text")]) from None
