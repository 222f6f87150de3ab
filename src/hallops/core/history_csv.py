"""The history file: one CSV row per transaction (docs/kpis.md, "The history file").

Read by ``hallops kpi`` (and later by ``hallops import-history``). Every bad row is reported with its
physical line number: the header is line 1 and a quoted field spanning several lines counts each of them, so
that N is the line an editor shows. A row's number is the line it starts on.

``parse_history`` reads any file row by row into records. ``read_history_table`` reads the usual files (plain
lines, no quotes) as columns with numpy, several times faster, and leaves every other file, and every file with a
bad row, to ``parse_history``, so that the records and the messages are always parse_history's.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from hallops.core.kpi import (
    OUTCOME_CODES,
    Labels,
    Outcome,
    RecordTable,
    TransactionRecord,
    civil_days,
    local_clock,
    record_errors,
)

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
TIMESTAMPS = ("issued_at", "called_at", "arrived_at", "communication_at", "operation_at", "ended_at")
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
    times = {column: _timestamp(column, row[column]) for column in TIMESTAMPS}
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


# ---------------------------------------------------------------------------------------------------------------
# The fast reader: the whole file as columns (numpy), for `hallops kpi`. It takes a file only when it can read it
# exactly as parse_history would and every row passes parse_history's checks; anything else (quoted fields,
# blank lines, a bad row) is left to parse_history, which gives the records or the messages.

#: the reader's blocks of whole lines; small enough for their temporary arrays to reuse the same memory
_BLOCK_BYTES = 1 << 22
#: a longer field sends the file to parse_history
_MAX_FIELD = 256
_COMMA, _NEWLINE, _CR = 44, 10, 13
_CODED = ("ticket", "service", "channel", "priority", "counter", "agent", "outcome", "rating", "pre_order")
_NUMBERS = ("quoted_wait_seconds", "limit_minutes")
#: kept for OverLimit and hour keys: the text of these cells is parsed again by datetime.fromisoformat
_KEPT = ("issued_at", "called_at")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_US = 1_000_000
#: masks that keep the first 0..8 bytes of a little-endian 64-bit word
_KEEP_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], np.uint64)
#: the longest form read by numpy is 32 characters
_STAMP_WIDTH = 32

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Bytes = npt.NDArray[np.uint8]
Words = npt.NDArray[np.uint64]


@dataclass(frozen=True, slots=True)
class _FileSource:
    """Rows of the file for the figures that show original values (``kpi.RowSource``)."""

    data: bytes
    #: column -> (start, length) of each row's cell in ``data``
    cells: dict[str, tuple[Ints, Ints]]
    limit: npt.NDArray[np.float64]

    def datetimes(self, rows: Sequence[int], column: str) -> list[datetime]:
        if not len(rows):
            return []
        starts, lengths = self.cells[column]
        chosen = lengths[rows]
        width = max(int(chosen.max()), 1)
        cells = _gather(np.frombuffer(self.data, np.uint8), starts[rows], width)
        cells *= np.arange(width) < chosen[:, None]  # no NUL in the file: the padding is not part of the texts
        texts = cells.view(f"S{width}").ravel().tolist()
        return list(map(datetime.fromisoformat, map(bytes.decode, texts)))

    def limit_seconds(self, rows: Sequence[int]) -> list[float]:
        seconds: list[float] = (self.limit[rows] * 60).tolist()
        return seconds


def read_history_table(data: bytes, *, tz: tzinfo | None = None) -> RecordTable | None:
    """The history file ``data`` (bytes as read) as a :class:`~hallops.core.kpi.RecordTable` whose records
    :func:`parse_history` would return and accept (``problems()`` is False), or None when this reader does not
    take the file: then parse_history gives the records, or the messages of the bad rows.

    It takes files of plain lines, each with one field per column (no quotes, no blank lines, LF or CRLF line
    ends, UTF-8), in blocks of lines with numpy. Timestamps of the forms ``YYYY-MM-DDTHH:MM[:SS[.fff|.ffffff]]``
    with ``Z`` or ``±HH:MM`` are read by numpy, any other form by ``datetime.fromisoformat`` as parse_history
    reads them all. ``tz`` is the zone of the ticket identity's date, as for parse_history.
    """
    try:
        reader = _Reader(data)
        return reader.table(tz) if reader.read() else None
    except (UnicodeDecodeError, ValueError, OverflowError):
        return None


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.start = 3 if data.startswith(codecs.BOM_UTF8) else 0
        self.crlf = False
        self.end = len(data)
        self.columns: list[str] = []
        self.parts: dict[str, list[Ints]] = {}
        self.texts = {name: _Texts() for name in _CODED + _NUMBERS}
        self.offsets: list[Ints] = []
        self.cells: dict[str, tuple[list[Ints], list[Ints]]] = {name: ([], []) for name in _KEPT}

    def read(self) -> bool:
        """Reads every block; False as soon as the file is not one this reader takes."""
        data = self.data
        if b'"' in data or b"\x00" in data:
            return False
        carriage_returns = data.count(b"\r") if b"\r" in data else 0
        if carriage_returns:
            if carriage_returns != data.count(b"\r\n"):
                return False
            self.crlf = True
        if not data.isascii():
            data[self.start :].decode("utf-8")  # parse_history names the line of bad UTF-8
        header_end = data.find(b"\n", self.start)
        if header_end < 0:
            return False
        header = data[self.start : header_end].decode().removesuffix("\r").split(",")
        if _header_errors(header) is not None:
            return False
        self.columns = header
        self.parts = {name: [] for name in COLUMNS}
        buffer = np.frombuffer(data, np.uint8)
        position = header_end + 1
        end = len(data)  # without the last line's end and blank lines after it (csv skips those)
        while end > position and data[end - 1] in b"\r\n":
            end -= 1
        if position >= end:
            return False  # no rows: parse_history is as quick
        self.end = end
        while position < end:
            stop = min(position + _BLOCK_BYTES, end)
            if stop < end:
                cut = data.rfind(b"\n", position, stop)
                if cut < 0:
                    cut = data.find(b"\n", stop, end)
                stop = end if cut < 0 else cut + 1
            if not self.block(buffer, position, stop):
                return False
            position = stop
        return True

    def block(self, buffer: Bytes, base: int, stop: int) -> bool:
        """Reads the lines in ``buffer[base:stop]``."""
        width = len(self.columns)
        block = buffer[base:stop]
        separators = np.flatnonzero((block == _COMMA) | (block == _NEWLINE))
        open_end = stop == self.end and block[-1] != _NEWLINE
        if open_end:
            separators = np.append(separators, len(block))
        if len(separators) == 0 or len(separators) % width:
            return False
        grid = separators.reshape(-1, width)
        line_ends = grid[:-1, -1] if open_end else grid[:, -1]
        if not (block[line_ends] == _NEWLINE).all() or not (block[grid[:, :-1]] == _COMMA).all():
            return False
        starts = np.empty_like(grid)
        starts[0, 0] = 0
        starts[1:, 0] = grid[:-1, -1] + 1
        starts[:, 1:] = grid[:, :-1] + 1
        lengths = grid - starts
        if self.crlf:
            last_lengths = lengths[:, -1]
            last_lengths -= (last_lengths > 0) & (block[np.maximum(grid[:, -1] - 1, 0)] == _CR)
        if int(lengths.max()) > _MAX_FIELD:
            return False
        starts += base
        for index, name in enumerate(self.columns):
            column_starts, column_lengths = starts[:, index], lengths[:, index]
            if name in _KEPT:
                kept_starts, kept_lengths = self.cells[name]
                kept_starts.append(column_starts)
                kept_lengths.append(column_lengths)
            if name in TIMESTAMPS:
                if not self.timestamps(name, buffer, column_starts, column_lengths):
                    return False
            else:
                self.parts[name].append(self.codes(name, buffer, column_starts, column_lengths))
        return True

    def codes(self, name: str, buffer: Bytes, starts: Ints, lengths: Ints) -> Ints:
        """The column's cells as ids of their distinct texts (numbered in the order first seen)."""
        words = max(-(-int(lengths.max()) // 8), 1)
        cells = _gather(buffer, starts, words * 8)
        keys = cells.view("<u8")  # each cell's bytes as words, zero beyond its length
        for k in range(words):
            keys[:, k] &= _KEEP_BYTES[np.clip(lengths - 8 * k, 0, 8)]
        texts = self.texts[name]
        ids = texts.find(keys)
        missing = np.flatnonzero(ids < 0)
        if len(missing):
            new = keys[missing]
            if words == 1:
                _, first, inverse = np.unique(new[:, 0], return_index=True, return_inverse=True)
            else:
                order = np.lexsort(new.T[::-1])
                ordered = new[order]
                fresh = np.concatenate(([True], (ordered[1:] != ordered[:-1]).any(axis=1)))
                inverse = np.empty(len(missing), np.int64)
                inverse[order] = np.cumsum(fresh) - 1
                first = order[fresh]
            # the new texts (no NUL in the file, so the zero padding is not part of them)
            found = list(map(texts.add, cells[missing[first]].view(f"S{words * 8}").ravel().tolist()))
            ids[missing] = np.array(found, np.int64)[inverse]
        return ids

    def timestamps(self, name: str, buffer: Bytes, starts: Ints, lengths: Ints) -> bool:
        utc, offset, parsed = parse_timestamps(buffer, starts, lengths)
        present = lengths > 0
        if name == "issued_at":
            if not present.all():
                return False
            self.offsets.append(offset)
        for row in np.flatnonzero(present & ~parsed).tolist():  # other ISO forms, one by one
            start = int(starts[row])
            try:
                at = datetime.fromisoformat(self.data[start : start + int(lengths[row])].decode())
            except ValueError:
                return False
            at_offset = at.utcoffset()
            if at_offset is None:
                return False
            utc[row] = (at - _EPOCH) // _ONE_US
            offset[row] = at_offset // _ONE_US
        utc[~present] = RecordTable.NONE
        self.parts[name].append(utc)
        return True

    def table(self, tz: tzinfo | None) -> RecordTable | None:
        """The rows read as a table, or None when a cell's value is not one parse_history accepts (or a row is not
        consistent)."""
        joined = {name: np.concatenate(self.parts.pop(name)) for name in list(self.parts)}  # freed as joined
        texts = {name: [text.decode() for text in self.texts[name].texts] for name in self.texts}
        for name in _REQUIRED_TEXT:
            if "" in texts[name]:
                return None
        outcome_codes = {o.value: OUTCOME_CODES[o] for o in Outcome}
        if not set(texts["outcome"]) <= set(outcome_codes):
            return None
        if not set(texts["rating"]) <= {"", "1", "2", "3"} or not set(texts["pre_order"]) <= {"true", "false"}:
            return None
        numbers: dict[str, npt.NDArray[np.float64]] = {}
        for name in _NUMBERS:
            values = []
            for text in texts[name]:
                if text == "":
                    values.append(math.nan)
                elif _DECIMAL.match(text):
                    values.append(float(text))
                else:
                    return None
            numbers[name] = np.array(values, np.float64)[joined[name]]
        if (numbers["limit_minutes"] <= 0).any():
            return None

        def mapped(name: str, values: list[object], dtype: type[np.generic]) -> npt.NDArray[Any]:
            return np.array(values, dtype)[joined[name]]

        issued_offset = np.concatenate(self.offsets)
        local, offset = local_clock(joined["issued_at"], issued_offset, tz)
        cells = {
            name: (np.concatenate(starts), np.concatenate(lengths)) for name, (starts, lengths) in self.cells.items()
        }
        table = RecordTable(
            tz=tz,
            ticket=_labels(joined["ticket"], texts["ticket"]),
            service=_labels(joined["service"], texts["service"]),
            channel=_labels(joined["channel"], texts["channel"]),
            priority=_labels(joined["priority"], texts["priority"]),
            counter=_labels(joined["counter"], texts["counter"]),
            agent=_labels(joined["agent"], texts["agent"]),
            outcome=mapped("outcome", [outcome_codes[text] for text in texts["outcome"]], np.int64),
            issued=joined["issued_at"],
            called=joined["called_at"],
            arrived=joined["arrived_at"],
            communication=joined["communication_at"],
            operation=joined["operation_at"],
            ended=joined["ended_at"],
            issued_local=local,
            issued_offset=offset,
            rating=mapped("rating", [int(text or 0) for text in texts["rating"]], np.int64),
            quoted=numbers["quoted_wait_seconds"],
            pre_order=mapped("pre_order", [text == "true" for text in texts["pre_order"]], np.bool_),
            limit=numbers["limit_minutes"],
            source=_FileSource(self.data, cells, numbers["limit_minutes"]),
        )
        return None if table.problems() else table


class _Texts:
    """The distinct texts of one column, numbered in the order first seen, with a vector lookup while they are
    few (a column of codes: business types, channels, outcomes, agents...)."""

    #: beyond this many distinct texts, every block is factorized anew (the ticket column)
    FEW = 64

    def __init__(self) -> None:
        self.texts: list[bytes] = []
        self.index: dict[bytes, int] = {}
        self.lookups: dict[int, tuple[Words, Ints, Words] | None] = {}

    def add(self, text: bytes) -> int:
        number = self.index.get(text)
        if number is None:
            number = self.index[text] = len(self.texts)
            self.texts.append(text)
            self.lookups.clear()
        return number

    def find(self, keys: Words) -> Ints:
        """The id of each row of keys (words of the zero-padded text), or -1 where the text is new (or when there
        are too many texts, or their first words are not distinct)."""
        ids = np.full(len(keys), -1, np.int64)
        if not self.texts or len(self.texts) > self.FEW:
            return ids
        words = keys.shape[1]
        if words not in self.lookups:
            self.lookups[words] = self._lookup(words)
        lookup = self.lookups[words]
        if lookup is None:
            return ids
        firsts, numbers, known = lookup
        at = np.minimum(np.searchsorted(firsts, keys[:, 0]), len(firsts) - 1)
        hit = firsts[at] == keys[:, 0]
        found = numbers[at]
        if words > 1:
            hit &= (keys[:, 1:] == known[found]).all(axis=1)
        return np.where(hit, found, ids)

    def _lookup(self, words: int) -> tuple[Words, Ints, Words] | None:
        """(first words sorted, their ids, every id's later words) of the texts that fit in ``words`` words."""
        width = words * 8
        padded = np.zeros((len(self.texts), width), np.uint8)
        fits = np.zeros(len(self.texts), np.bool_)
        for number, text in enumerate(self.texts):
            if len(text) <= width:
                padded[number, : len(text)] = np.frombuffer(text, np.uint8)
                fits[number] = True
        known = padded.view("<u8")
        numbers = np.flatnonzero(fits)
        firsts = known[numbers, 0]
        if len(numbers) == 0 or len(np.unique(firsts)) < len(firsts):
            return None
        order = np.argsort(firsts)
        return firsts[order], numbers[order], known[:, 1:]


def _labels(ids: Ints, texts: list[str]) -> Labels:
    """Ids of texts (in the order first seen) as Labels (codes of the sorted texts)."""
    order = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(texts), np.int64)
    rank[order] = np.arange(len(texts))
    return Labels(rank[ids], tuple(texts[i] for i in order))


def parse_timestamps(buffer: Bytes, starts: Ints, lengths: Ints) -> tuple[Ints, Ints, Bools]:
    """(UTC microseconds, UTC offset in microseconds, parsed) of the cells ``buffer[start:start + length]`` in the
    forms ``YYYY-MM-DDTHH:MM[:SS[.fff|.ffffff]]`` + ``Z`` or ``±HH:MM`` (years 2-9998), with the values
    ``datetime.fromisoformat`` gives them. ``parsed`` is False for every other cell (another form, an invalid
    date or time, an empty cell); their values are meaningless.

    Each cell's first 32 bytes are read as four little-endian 64-bit words and taken apart eight characters at a
    time (digits are checked and combined in all bytes of a word at once)."""
    w0, w1, w2, w3 = np.ascontiguousarray(_gather(buffer, starts, _STAMP_WIDTH).view("<u8").T)  # bytes 0-7, 8-15, ...
    # YYYY-MM-DDTHH:MM
    ok = _are(w0, _DATE_DIGITS, b"0") & _are(w0, _DATE_DASHES, b"-") & _are(w1, _TIME_DIGITS, b"0")
    ok &= _are(w1, _T_AT_2, b"T") & _are(w1, _COLON_AT_5, b":")
    year = _pair(w0, 0) * 100 + _pair(w0, 2)
    month, day, hour, minute = _pair(w0, 5), _pair(w1, 0), _pair(w1, 3), _pair(w1, 6)
    # [:SS[.fff|.ffffff]]
    seconds = _are(w2, _COLON_AT_0, b":") & _are(w2, _SECOND_DIGITS, b"0")
    second = np.where(seconds, _pair(w2, 1), 0)
    dot = seconds & _are(w2, _DOT_AT_3, b".")
    fraction = (w2 >> np.uint64(32)) | (w3 << np.uint64(32))  # bytes 20-27
    three = dot & _are(fraction, _FIRST_THREE, b"0")
    six = three & _are(fraction, _FIRST_SIX, b"0")
    three &= ~six & ~_are(fraction, _FOURTH, b"0")
    ok &= ~dot | six | three
    micro = np.where(three | six, (_pair(fraction, 0) * 10 + _byte(fraction, 2)) * 1000, 0)
    micro += np.where(six, _byte(fraction, 3) * 100 + _pair(fraction, 4), 0)
    # Z or ±HH:MM, starting at byte 16, 19, 23 or 26
    zone_at = np.where(seconds, np.where(six, 26, np.where(three, 23, 19)), 16)
    shift = ((zone_at % 8) * 8).astype(np.uint64)
    low = np.where(zone_at < 24, w2, w3) >> shift
    high = np.where((zone_at < 24) & (shift > 0), w3 << (np.uint64(64) - shift), np.uint64(0))
    zone = low | high
    sign = zone & np.uint64(0xFF)
    zulu = (sign == ord("Z")) & (lengths == zone_at + 1)
    signed = ((sign == ord("+")) | (sign == ord("-"))) & _are(zone, _COLON_AT_3, b":")
    signed &= _are(zone, _OFFSET_DIGITS, b"0") & (lengths == zone_at + 6)
    offset_hours, offset_minutes = _pair(zone, 1), _pair(zone, 4)
    ok &= zulu | signed
    ok &= (year >= 2) & (year <= 9998) & (month >= 1) & (month <= 12)
    first_days = _first_days()  # of each month since 1970-01-01
    at = np.where(ok, year * 12 + month - 1, 0)
    month_start = first_days[at]
    ok &= (day >= 1) & (day <= first_days[at + 1] - month_start)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    ok &= ~signed | ((offset_hours <= 23) & (offset_minutes <= 59))
    offset = np.where(signed, (offset_hours * 60 + offset_minutes) * 60 * _US, 0)
    offset = np.where(signed & (sign == ord("-")), -offset, offset)
    wall = (((month_start + day - 1) * 24 + hour) * 60 + minute) * 60 + second
    return wall * _US + micro - offset, offset, ok


def _mask(*places: int) -> np.uint64:
    """A word with 0xFF in the bytes at ``places``."""
    return np.uint64(sum(0xFF << (8 * place) for place in places))


_LOW_NIBBLES = np.uint64(0x0F0F0F0F0F0F0F0F)
_HIGH_NIBBLES = np.uint64(0xF0F0F0F0F0F0F0F0)
_DATE_DIGITS, _DATE_DASHES = _mask(0, 1, 2, 3, 5, 6), _mask(4, 7)
_TIME_DIGITS, _T_AT_2, _COLON_AT_5 = _mask(0, 1, 3, 4, 6, 7), _mask(2), _mask(5)
_COLON_AT_0, _SECOND_DIGITS, _DOT_AT_3 = _mask(0), _mask(1, 2), _mask(3)
_FIRST_THREE, _FIRST_SIX, _FOURTH = _mask(0, 1, 2), _mask(0, 1, 2, 3, 4, 5), _mask(3)
_COLON_AT_3, _OFFSET_DIGITS = _mask(3), _mask(1, 2, 4, 5)


def _are(words: Words, mask: np.uint64, char: bytes) -> Bools:
    """Whether the bytes of ``mask`` are all ``char``, or all digits when ``char`` is b"0"."""
    repeated = np.uint64(int.from_bytes(char * 8, "little"))
    if char != b"0":
        result: Bools = (words & mask) == (repeated & mask)
        return result
    # a digit is 0x30-0x39: high nibble 3, and the low nibble plus 6 stays below 16
    high = (words & (mask & _HIGH_NIBBLES)) == (repeated & mask & _HIGH_NIBBLES)
    six = np.uint64(0x0606060606060606) & mask
    carry = np.uint64(0x1010101010101010) & mask
    low = (((words & mask & _LOW_NIBBLES) + six) & carry) == 0
    digits: Bools = high & low
    return digits


def _byte(words: Words, place: int) -> Ints:
    """The digit at byte ``place`` of each word."""
    digit: Ints = ((words >> np.uint64(8 * place)) & np.uint64(0x0F)).view(np.int64)
    return digit


def _pair(words: Words, place: int) -> Ints:
    """The two-digit number at bytes ``place`` and ``place + 1`` of each word."""
    return _byte(words, place) * 10 + _byte(words, place + 1)


def _gather(buffer: Bytes, starts: Ints, width: int) -> Bytes:
    """The ``width`` bytes from each of ``starts`` (beyond the end: copies of the last byte), one row each."""
    inside = starts <= len(buffer) - width
    if inside.all():
        rows: Bytes = sliding_window_view(buffer, width)[starts]
        return rows
    # only cells in the file's last bytes
    return np.take(buffer, starts[:, None] + np.arange(width), mode="clip")


@functools.cache
def _first_days() -> Ints:
    """Days from 1970-01-01 to the first day of each month of the years 0-9999, at index year * 12 + month - 1
    (and the January after the last)."""
    months = np.arange(10000 * 12 + 1)
    return civil_days(months // 12, months % 12 + 1, np.ones(len(months), np.int64))
