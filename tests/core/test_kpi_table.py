"""The columnar KPI path (``RecordTable``, ``compute_kpis_table``, the fast history reader) against the
row-by-row definition (``reference_kpis``, ``record_errors``, ``parse_history``), float for float."""

from __future__ import annotations

import io
import json
import re
from contextlib import redirect_stdout
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from hallops import kpi_cli
from hallops.core.history_csv import (
    COLUMNS,
    HistoryError,
    decode_history,
    parse_history,
    parse_timestamps,
    read_history_table,
)
from hallops.core.kpi import (
    SMALL_HISTORY,
    GroupBy,
    KpiReport,
    Outcome,
    RecordTable,
    TransactionRecord,
    compute_kpis,
    compute_kpis_table,
    record_errors,
    reference_kpis,
    report_as_dict,
)
from tests.core.test_kpi_properties import ZONES, histories

BERLIN = ZoneInfo("Europe/Berlin")
COMPLEX = frozenset({"new"})
groupings = st.none() | st.sampled_from(list(GroupBy))
zones = st.sampled_from(ZONES)


def same(a: KpiReport, b: KpiReport) -> bool:
    """Equal figures, groups in the same order, and the same JSON text (so 180 and 180.0 differ)."""
    text = json.dumps(report_as_dict(a)) == json.dumps(report_as_dict(b))
    return a == b and list(a.groups) == list(b.groups) and text


def table_of(history: list[TransactionRecord], tz: tzinfo | None) -> RecordTable:
    table = RecordTable.from_records(history, tz=tz)
    assert table is not None
    assert not table.problems()
    return table


@settings(deadline=None, max_examples=300)
@given(histories(), groupings, zones)
def test_table_figures_equal_the_reference_float_for_float(
    history: list[TransactionRecord], by: GroupBy | None, tz: tzinfo | None
) -> None:
    """On random consistent histories (transfers, recalls, missing phases, several offsets around midnight and a
    DST change), every figure of compute_kpis_table equals reference_kpis', to the last bit."""
    expected = reference_kpis(history, by=by, tz=tz, complex_services=COMPLEX)
    assert same(compute_kpis_table(table_of(history, tz), by=by, complex_services=COMPLEX), expected)


@settings(deadline=None, max_examples=150)
@given(histories(), groupings, zones, st.sampled_from([BERLIN, ZoneInfo("Asia/Shanghai"), UTC]))
def test_datetimes_in_one_zone_keep_pythons_wall_clock_arithmetic(
    history: list[TransactionRecord], by: GroupBy | None, tz: tzinfo | None, zone: tzinfo
) -> None:
    """When every timestamp carries one tzinfo object (a hall's zone), Python compares and subtracts them by
    wall-clock time, also across Berlin's DST change; the table gives exactly the reference's figures."""
    moved = [_in_zone(r, zone) for r in history]
    assume(record_errors(moved, tz=tz) == [])
    expected = reference_kpis(moved, by=by, tz=tz)
    assert same(compute_kpis_table(table_of(moved, tz), by=by), expected)


@settings(deadline=None, max_examples=100)
@given(histories(), groupings, zones)
def test_mixed_zones_fall_back_to_the_reference(
    history: list[TransactionRecord], by: GroupBy | None, tz: tzinfo | None
) -> None:
    """Records mixing Berlin and fixed-offset datetimes fit no single time scale: from_records says so, and
    compute_kpis (past the small-history size) still gives the reference's figures."""
    mixed = [_in_zone(r, BERLIN) if i % 2 else r for i, r in enumerate(history)]
    assume(len({r.issued_at.tzinfo for r in mixed}) > 1 and record_errors(mixed, tz=tz) == [])
    assert RecordTable.from_records(mixed, tz=tz) is None
    many = _repeat(mixed, SMALL_HISTORY)
    assert same(compute_kpis(many, by=by, tz=tz), reference_kpis(many, by=by, tz=tz))


def test_integer_limits_keep_their_type_in_the_over_limit_list() -> None:
    """A record whose limit_minutes is an int reports limit_seconds as the int the reference computes."""
    at = datetime(2024, 3, 10, 9, tzinfo=timezone(timedelta(hours=8)))
    r = TransactionRecord(
        ticket="A1",
        service="sim",
        channel="kiosk",
        priority="normal",
        issued_at=at,
        called_at=at,
        ended_at=at + timedelta(minutes=4),
        outcome=Outcome.DONE,
        limit_minutes=3,
    )
    report = compute_kpis_table(table_of([r], None))
    assert same(report, reference_kpis([r]))
    assert report.total.over_limit[0].limit_seconds == 180 and type(report.total.over_limit[0].limit_seconds) is int


def _in_zone(r: TransactionRecord, zone: tzinfo) -> TransactionRecord:
    moved = {
        name: at.astimezone(zone)
        for name in ("issued_at", "called_at", "arrived_at", "communication_at", "operation_at", "ended_at")
        if (at := getattr(r, name)) is not None
    }
    return replace(r, **moved)


def _repeat(history: list[TransactionRecord], at_least: int) -> list[TransactionRecord]:
    """Copies of the history on later days (tickets renamed), until there are ``at_least`` records."""
    out: list[TransactionRecord] = []
    copy = 0
    while len(out) < at_least:
        out += [replace(r, ticket=f"{r.ticket}-{copy}") for r in history] or [
            TransactionRecord(
                ticket=f"X{copy}",
                service="sim",
                channel="kiosk",
                priority="normal",
                issued_at=datetime(2024, 1, 1, tzinfo=UTC),
                outcome=Outcome.CANCELLED,
            )
        ]
        copy += 1
    return out


# --- the checks: RecordTable.problems() is False exactly when record_errors finds nothing ---------------------

MUTATIONS = st.sampled_from(
    [
        "no_call",
        "no_end",
        "outcome",
        "rating",
        "early_arrival",
        "early_end",
        "quote",
        "limit",
        "issued",
        "channel",
        "priority",
        "empty_text",
        "duplicate",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> list[TransactionRecord]:
    """A consistent history with one random change that may or may not make it inconsistent."""
    history = draw(histories())
    assume(history)
    i = draw(st.integers(0, len(history) - 1))
    r = history[i]
    kind = draw(MUTATIONS)
    second = timedelta(seconds=1)
    if kind == "no_call":
        r = replace(r, called_at=None)
    elif kind == "no_end":
        r = replace(r, ended_at=None)
    elif kind == "outcome":
        r = replace(r, outcome=draw(st.sampled_from(list(Outcome))))
    elif kind == "rating":
        r = replace(r, rating=draw(st.sampled_from([None, 0, 1, 2, 3, 4])))
    elif kind == "early_arrival":
        r = replace(r, arrived_at=(r.called_at or r.issued_at) - draw(st.sampled_from([second, -second])))
    elif kind == "early_end":
        r = replace(r, ended_at=r.issued_at - draw(st.sampled_from([second, timedelta(0)])))
    elif kind == "quote":
        r = replace(r, quoted_wait_seconds=draw(st.sampled_from([None, -1.0, float("inf"), 5.0, 0.0])))
    elif kind == "limit":
        r = replace(r, limit_minutes=draw(st.sampled_from([None, 0.0, -1.0, float("inf"), 3.0])))
    elif kind == "issued":
        r = replace(r, issued_at=r.issued_at + timedelta(microseconds=1))
    elif kind in ("channel", "priority"):
        r = replace(r, **{kind: "other"})
    elif kind == "empty_text":
        r = replace(r, **{draw(st.sampled_from(["ticket", "service", "channel", "priority"])): ""})
    else:
        return [*history, draw(st.sampled_from(history))]
    return [*history[:i], r, *history[i + 1 :]]


@settings(deadline=None, max_examples=400)
@given(mutated(), zones)
def test_column_checks_agree_with_record_errors(history: list[TransactionRecord], tz: tzinfo | None) -> None:
    """problems() is False exactly when record_errors is empty; compute_kpis raises record_errors' first error
    or gives the reference's figures."""
    errors = record_errors(history, tz=tz)
    table = RecordTable.from_records(history, tz=tz)
    assert table is not None
    assert table.problems() == bool(errors)
    many = history if errors else _repeat(history, SMALL_HISTORY)
    try:
        report = compute_kpis(many, tz=tz)
    except Exception as error:
        assert errors and str(error) == str(errors[0])
    else:
        assert not errors and same(report, reference_kpis(many, tz=tz))


def test_a_naive_datetime_is_left_to_record_errors() -> None:
    """A naive timestamp: no table (from_records None), and compute_kpis raises record_errors' message."""
    r = TransactionRecord(
        ticket="A1",
        service="sim",
        channel="kiosk",
        priority="normal",
        issued_at=datetime(2024, 1, 1, tzinfo=UTC),
        called_at=datetime(2024, 1, 1, 1),  # noqa: DTZ001 - the bad value under test
        outcome=Outcome.NO_SHOW,
    )
    assert RecordTable.from_records([r]) is None
    try:
        compute_kpis([r] * SMALL_HISTORY)
    except Exception as error:
        assert str(error) == "record 0: called_at: no UTC offset"
    else:
        raise AssertionError("no error")


# --- the fast reader's timestamps against datetime.fromisoformat -----------------------------------------------

#: the forms parse_timestamps reads itself (offsets in the usual ranges; fromisoformat also takes e.g. +00:60)
SUPPORTED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{3}|\.\d{6})?)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)\Z")


@st.composite
def iso_texts(draw: st.DrawFn) -> str:
    """Timestamps near and beyond the supported forms: odd field values, separators, fractions and offsets."""
    year = draw(st.sampled_from([0, 1, 2, 1900, 1970, 2000, 2024, 2100, 9998, 9999]) | st.integers(0, 9999))
    text = f"{year:04d}-{draw(st.integers(0, 13)):02d}-{draw(st.integers(0, 32)):02d}"
    text += draw(st.sampled_from(["T", "T", "T", " ", "t", "_"]))
    text += f"{draw(st.integers(0, 25)):02d}:{draw(st.integers(0, 61)):02d}"
    if draw(st.booleans()):
        text += f":{draw(st.integers(0, 61)):02d}"
        if draw(st.booleans()):
            text += "." + "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=1, max_size=7)))
    zone = draw(st.sampled_from(["Z", "z", "", "+", "-", "+", "-", "+0800", "+08"]))
    if zone in ("+", "-"):
        zone += f"{draw(st.integers(0, 25)):02d}:{draw(st.integers(0, 61)):02d}"
    return text + zone


@settings(max_examples=1000)
@given(st.lists(iso_texts() | st.text(alphabet="0123456789-T:+Z. ", max_size=34), min_size=1, max_size=20))
@example(["2024-02-29T23:59:59.999999-23:59", "2023-02-29T00:00Z", "2024-03-10T09:00+08:00", "0001-01-01T00:00Z"])
def test_parse_timestamps_reads_what_fromisoformat_reads(texts: list[str]) -> None:
    """Every cell the vector parser takes gives fromisoformat's instant and offset; it takes every cell of the
    supported forms in years 2-9998 that fromisoformat accepts with an offset, and nothing fromisoformat refuses."""
    data = ",".join(texts).encode() + b"\n"  # as in a file: every cell is followed by a separator
    starts = np.cumsum([0] + [len(t) + 1 for t in texts[:-1]]).astype(np.int64)
    lengths = np.array([len(t) for t in texts], np.int64)
    utc, offset, parsed = parse_timestamps(np.frombuffer(data, np.uint8), starts, lengths)
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for i, text in enumerate(texts):
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            assert not parsed[i], text
            continue
        if at.utcoffset() is None:
            assert not parsed[i], text
            continue
        if SUPPORTED.match(text) and 2 <= at.year <= 9998:
            assert parsed[i], text
        if parsed[i]:
            assert utc[i] == (at - epoch) // timedelta(microseconds=1), text
            assert offset[i] == at.utcoffset() // timedelta(microseconds=1), text


# --- the fast reader against parse_history -----------------------------------------------------------------------

BAD_CELLS = ["", "x", "2024-13-01T00:00+08:00", "2024-03-10T09:00", "-1", "1e3", "TRUE", "4", "0", "done "]


def _stamp(at: datetime | None, form: str) -> str:
    if at is None:
        return ""
    if form == "utc":
        return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if form == "space":
        return at.isoformat(sep=" ")
    if form == "millis":
        return at.isoformat(timespec="milliseconds")
    if form == "minutes" and at.second == 0 and at.microsecond == 0:
        return at.isoformat(timespec="minutes")
    return at.isoformat()


@st.composite
def history_files(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A history written as a file in one of many shapes; sometimes one cell is spoilt. Returns (bytes, whether
    the fast reader should take it: no quotes and nothing spoilt)."""
    history = draw(histories())
    form = draw(st.sampled_from(["plain", "utc", "space", "millis", "minutes"]))
    columns = draw(st.permutations(COLUMNS))
    quoted = draw(st.booleans()) and draw(st.booleans())
    rows = []
    for r in history:
        cells = {
            "ticket": r.ticket,
            "service": r.service,
            "channel": r.channel,
            "priority": r.priority,
            "outcome": r.outcome.value,
            "counter": r.counter,
            "agent": r.agent,
            "rating": "" if r.rating is None else str(r.rating),
            "quoted_wait_seconds": "" if r.quoted_wait_seconds is None else f"{r.quoted_wait_seconds:g}",
            "pre_order": "true" if r.pre_order else "false",
            "limit_minutes": "" if r.limit_minutes is None else str(r.limit_minutes),
        }
        for name in ("issued_at", "called_at", "arrived_at", "communication_at", "operation_at", "ended_at"):
            cells[name] = _stamp(getattr(r, name), form)
        rows.append([cells[c] for c in columns])
    spoilt = bool(rows) and draw(st.booleans()) and draw(st.booleans())
    if spoilt:
        row = draw(st.sampled_from(rows))
        row[draw(st.integers(0, len(columns) - 1))] = draw(st.sampled_from(BAD_CELLS))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    lines = [",".join(f'"{c}"' if quoted else c for c in row) for row in [list(columns), *rows]]
    text = end.join(lines) + end * draw(st.integers(0, 2))  # the last line's end, and a blank line after it
    bom = b"\xef\xbb\xbf" if draw(st.booleans()) else b""
    return bom + text.encode(), not quoted and not spoilt


@settings(deadline=None, max_examples=400)
@given(history_files(), groupings, zones)
def test_fast_reader_gives_parse_historys_figures_or_leaves_the_file_to_it(
    file: tuple[bytes, bool], by: GroupBy | None, tz: tzinfo | None
) -> None:
    """read_history_table takes a file only when parse_history accepts it, and then gives the same figures; it
    takes every plain (unquoted) good file with rows."""
    data, plain = file
    table = read_history_table(data, tz=tz)
    try:
        history = parse_history(decode_history(data), tz=tz)
    except HistoryError:
        assert table is None
        return
    if plain and history.records:
        assert table is not None
    if table is not None:
        expected = compute_kpis(history.records, by=by, tz=tz, checked=True)
        assert same(compute_kpis_table(table, by=by), expected)


def test_cli_prints_the_same_json_through_either_reader(tmp_path: Path) -> None:
    """The same history as a plain file (the fast reader) and with every field quoted (parse_history): the
    command prints byte-identical output for every grouping."""
    at = datetime(2024, 3, 10, 9, tzinfo=timezone(timedelta(hours=8)))
    rows = [
        ["A1", "sim", "kiosk", "normal", at, at + timedelta(minutes=4), None, None, None, at + timedelta(minutes=9)],
        ["A2", "new", "greeter", "vip", at, at + timedelta(minutes=7), at + timedelta(minutes=8), None, None, None],
    ]
    lines = [",".join(COLUMNS)]
    for ticket, service, channel, priority, *stamps in rows:
        done = stamps[-1] is not None
        cells = [ticket, service, channel, priority, *[_stamp(s, "plain") for s in stamps]]
        cells += ["done" if done else "not_served", "1", "a1", "3" if done else "", "60", "false", "3" if done else ""]
        lines.append(",".join(cells))
    plain = tmp_path / "plain.csv"
    plain.write_text("\n".join(lines) + "\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text("\n".join(",".join(f'"{c}"' for c in line.split(",")) for line in lines) + "\n")
    assert read_history_table(plain.read_bytes()) is not None
    assert read_history_table(quoted.read_bytes()) is None
    for by in [None, *GroupBy]:
        outputs = []
        for path in (plain, quoted):
            out = io.StringIO()
            with redirect_stdout(out):
                status = kpi_cli.main([str(path), "--json", *(["--by", by.value] if by else [])])
            assert status == 0
            outputs.append(out.getvalue())
        assert outputs[0] == outputs[1]


names = st.text(min_size=1, max_size=6)  # quotes, backslashes, control characters, any Unicode


@settings(deadline=None, max_examples=200)
@given(histories(), groupings, zones, st.data())
def test_command_json_is_json_dumps_of_the_report(
    history: list[TransactionRecord], by: GroupBy | None, tz: tzinfo | None, data: st.DataObject
) -> None:
    """The command's JSON writer gives exactly json.dumps(report_as_dict(report), ensure_ascii=False), also for
    names that need escaping and for limits given as whole numbers."""
    renamed: dict[tuple[str, str], str] = {}

    def name(kind: str, value: str) -> str:
        if (kind, value) not in renamed:
            renamed[kind, value] = data.draw(names) + value
        return renamed[kind, value]

    history = [
        replace(
            r,
            ticket=name("ticket", r.ticket),
            service=name("service", r.service),
            counter=name("counter", r.counter),
            agent=name("agent", r.agent),
            limit_minutes=int(r.limit_minutes) if r.limit_minutes == 3.0 else r.limit_minutes,
        )
        for r in history
    ]
    report = reference_kpis(history, by=by, tz=tz)
    assert kpi_cli.report_json(report) == json.dumps(report_as_dict(report), ensure_ascii=False)
