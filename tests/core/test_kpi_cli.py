"""``hallops kpi`` through the installed command: JSON contract, table, bad rows, no Django."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HALLOPS = str(Path(sys.executable).parent / "hallops")
HEADER = (
    "ticket,service,channel,priority,issued_at,called_at,arrived_at,communication_at,operation_at,ended_at,"
    "outcome,counter,agent,rating,quoted_wait_seconds,pre_order,limit_minutes"
)
#: A001 wait 240, handling 270, service 210 > 180; A002 (a transfer) wait 1080, handling 360 and 120,
#: service 360 <= 480 and 120; A003 no-show after 900 s; A004 diverted.
SMALL = "\n".join(
    [
        HEADER,
        "A001,sim,kiosk,normal,2024-03-10T09:00:00+08:00,2024-03-10T09:04:00+08:00,2024-03-10T09:05:00+08:00,,,"
        "2024-03-10T09:08:30+08:00,done,1,a1,3,300,false,3",
        "A002,new,greeter,vip,2024-03-10T09:02:00+08:00,2024-03-10T09:20:00+08:00,,,,2024-03-10T09:26:00+08:00,"
        "done,2,a2,1,,true,8",
        "A002,sim,greeter,vip,2024-03-10T09:02:00+08:00,2024-03-10T09:30:00+08:00,,,,2024-03-10T09:32:00+08:00,"
        "done,1,a1,,,false,3",
        "A003,sim,kiosk,normal,2024-03-10T10:15:00+08:00,2024-03-10T10:30:00+08:00,,,,,no_show,1,a1,,,false,",
        "A004,bill,kiosk,normal,2024-03-10T10:20:00+08:00,,,,,,diverted,,,,,false,",
        "",
    ]
)
REQUIRED = {
    "arrivals", "served", "no_show_rate", "cancel_rate", "diversion_share", "wait_mean_seconds", "wait_p90_seconds",
    "wait_within_10min_share", "handling_mean_seconds", "service_mean_seconds", "over_limit_share",
    "satisfaction_share",
}  # fmt: skip
GOOD_ROW = (
    "A001,sim,kiosk,normal,2024-03-10T09:00:00+08:00,2024-03-10T09:04:00+08:00,,,,"
    "2024-03-10T09:06:00+08:00,done,1,a1,,,false,3"
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HALLOPS, "kpi", *args], capture_output=True, text=True, timeout=60, check=False)


def write(tmp_path: Path, text: str, name: str = "history.csv") -> str:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return str(path)


def test_json_total_has_the_contract_keys_and_hand_values(tmp_path: Path) -> None:
    """--json without --by: {"total": {...}} only, with the required keys and the hand-computed values."""
    result = run(write(tmp_path, SMALL), "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert list(data) == ["total"]
    total = data["total"]
    assert set(total) >= REQUIRED
    assert (total["arrivals"], total["called"], total["served"], total["served_tickets"]) == (4, 3, 3, 2)
    assert total["no_show_rate"] == 1 / 3 and total["cancel_rate"] == 0.0 and total["diversion_share"] == 0.25
    assert total["wait_mean_seconds"] == 740.0 and total["wait_median_seconds"] == 900.0
    assert total["wait_p90_seconds"] == 1044.0  # h = 1.8: 900 + 0.8 * (1080 - 900)
    assert total["wait_within_10min_share"] == 1 / 3
    assert total["handling_mean_seconds"] == 250.0 and total["service_mean_seconds"] == 230.0
    assert total["over_limit_share"] == 1 / 3 and total["satisfaction_share"] == 0.5
    assert total["over_limit"] == [
        {
            "ticket": "A001",
            "issued_at": "2024-03-10T09:00:00+08:00",
            "service": "sim",
            "counter": "1",
            "agent": "a1",
            "called_at": "2024-03-10T09:04:00+08:00",
            "service_seconds": 210.0,
            "limit_seconds": 180.0,
        }
    ]
    assert "pre_order_complex_coverage" not in total  # the file cannot say which business is complex


def test_json_groups_by_hour_and_by_agent(tmp_path: Path) -> None:
    """--by adds "groups": hours keyed by their local start with offset; agents with "" for never called."""
    path = write(tmp_path, SMALL)
    hours = json.loads(run(path, "--by", "hour", "--json").stdout)
    assert list(hours) == ["total", "groups"]
    assert list(hours["groups"]) == ["2024-03-10T09:00+08:00", "2024-03-10T10:00+08:00"]
    nine, ten = hours["groups"].values()
    assert (nine["arrivals"], nine["served"], ten["arrivals"], ten["served"]) == (2, 3, 2, 0)
    assert ten["handling_mean_seconds"] is None and ten["no_show_rate"] == 1.0
    assert set(nine) >= REQUIRED and set(ten) >= REQUIRED
    agents = json.loads(run(path, "--by", "agent", "--json").stdout)["groups"]
    assert {key: (g["arrivals"], g["served"]) for key, g in agents.items()} == {"": (1, 0), "a1": (2, 2), "a2": (1, 1)}


def test_by_hour_with_tz_across_the_berlin_dst_change(tmp_path: Path) -> None:
    """UTC rows around 2024-10-27 grouped with --tz Europe/Berlin: 02:00+02:00 and then 02:00+01:00 again."""
    rows = [
        f"B00{i},sim,kiosk,normal,{issued},,,,,,diverted,,,,,false,"
        for i, issued in enumerate(["2024-10-27T00:30:00Z", "2024-10-27T01:30:00Z", "2024-10-27T01:40:00Z"])
    ]
    path = write(tmp_path, "\n".join([HEADER, *rows]))
    groups = json.loads(run(path, "--by", "hour", "--tz", "Europe/Berlin", "--json").stdout)["groups"]
    assert {key: g["arrivals"] for key, g in groups.items()} == {
        "2024-10-27T02:00+02:00": 1,
        "2024-10-27T02:00+01:00": 2,
    }
    own = json.loads(run(path, "--by", "hour", "--json").stdout)["groups"]
    assert list(own) == ["2024-10-27T00:00+00:00", "2024-10-27T01:00+00:00"]
    shanghai = json.loads(run(path, "--by", "day", "--tz", "Asia/Shanghai", "--json").stdout)["groups"]
    assert list(shanghai) == ["2024-10-27"]


def test_table_without_json(tmp_path: Path) -> None:
    """Without --json: a readable table (times m:ss, shares in %), the over-limit list, one line per group."""
    result = run(write(tmp_path, SMALL), "--by", "service")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split() == ["arrivals", "4"] for line in lines)
    assert any(line.split() == ["wait_p90", "17:24"] for line in lines)
    assert any(line.split() == ["no_show_rate", "33.3%"] for line in lines)
    assert "over-limit transactions: 1" in lines
    header = next(i for i, line in enumerate(lines) if line.startswith("service "))
    assert [line.split()[0] for line in lines[header + 1 :]] == ["bill", "new", "sim"]


def _bad(tmp_path: Path, *rows: str) -> subprocess.CompletedProcess[str]:
    result = run(write(tmp_path, "\n".join([HEADER, *rows]) + "\n"), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    return result


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (GOOD_ROW.replace("2024-03-10T09:00:00+08:00", "2024-03-10T09:00:00"),
         "issued_at: no UTC offset in '2024-03-10T09:00:00'"),
        (GOOD_ROW.replace("2024-03-10T09:04:00+08:00", "yesterday"),
         "called_at: not an ISO 8601 timestamp: 'yesterday'"),
        (GOOD_ROW.replace("2024-03-10T09:04:00+08:00", "2024-03-10T08:59:00+08:00"),
         "called_at: 2024-03-10T08:59:00+08:00 is before issued_at 2024-03-10T09:00:00+08:00"),
        (GOOD_ROW.replace("2024-03-10T09:06:00+08:00", "2024-03-10T09:03:00+08:00"),
         "ended_at: 2024-03-10T09:03:00+08:00 is before called_at 2024-03-10T09:04:00+08:00"),
        (GOOD_ROW.replace(",done,", ",served,"),
         "outcome: must be done|no_show|cancelled|diverted|not_served, got 'served'"),
        (GOOD_ROW.replace(",a1,,", ",a1,5,"), "rating: must be 1, 2, 3 or empty, got '5'"),
        (GOOD_ROW.replace(",false,", ",yes,"), "pre_order: must be true or false, got 'yes'"),
        (GOOD_ROW.replace(",false,", ",False,"), "pre_order: must be true or false, got 'False'"),
        (GOOD_ROW.replace(",a1,,", ",a1,,-5"), "quoted_wait_seconds: must be a number of seconds or empty, got '-5'"),
        (GOOD_ROW.removesuffix(",3") + ",", "limit_minutes: empty on a done row (the over-limit share needs every "
         "done row's limit)"),
        (GOOD_ROW.replace(",1,a1,", ",1,a1,,"), "expected 17 fields, got 18"),
        (GOOD_ROW.replace("A001,sim", ",sim"), "ticket: empty"),
        ("A001,sim,kiosk,normal,2024-03-10T09:00:00+08:00,,2024-03-10T09:05:00+08:00,,,,cancelled,,,,,false,",
         "arrived_at: set but called_at is empty"),
    ],
)  # fmt: skip
def test_each_kind_of_bad_row_is_reported_with_its_line(tmp_path: Path, row: str, message: str) -> None:
    """A bad row after a good one: exit 1, empty stdout, and exactly 'line 3: <column>: <why>' on stderr."""
    result = _bad(tmp_path, GOOD_ROW.replace("A001", "A000"), row)
    assert result.stderr == f"line 3: {message}\n"


def test_conflicting_rows_of_one_ticket_name_both_lines(tmp_path: Path) -> None:
    """Two rows of ticket A001 with different channels: the later row is bad and names the earlier line."""
    result = _bad(tmp_path, GOOD_ROW, GOOD_ROW.replace("A001,sim,kiosk", "A001,sim,greeter"))
    assert result.stderr == "line 3: channel: differs from another row of ticket A001 (line 2)\n"


def test_line_numbers_count_the_physical_lines_of_quoted_fields(tmp_path: Path) -> None:
    """A quoted agent name spanning three lines (lines 2-4) pushes the bad row to physical line 5, and every
    bad row is listed in order."""
    multi = GOOD_ROW.replace(",a1,", ',"Li\nMing\n(trainee)",')
    bad_rating = GOOD_ROW.replace("A001", "A002").replace(",a1,,", ",a1,0,")
    bad_offset = GOOD_ROW.replace("A001", "A003").replace("09:06:00+08:00", "09:06:00")
    result = _bad(tmp_path, multi, bad_rating, bad_offset)
    assert result.stderr == (
        "line 5: rating: must be 1, 2, 3 or empty, got '0'\nline 6: ended_at: no UTC offset in '2024-03-10T09:06:00'\n"
    )


def test_crlf_line_endings_and_a_quoted_crlf_field_count_like_lf(tmp_path: Path) -> None:
    """Windows line endings: a quoted field with CRLF inside still counts two lines; the bad row is line 4."""
    multi = GOOD_ROW.replace(",a1,", ',"Li\r\nMing",')
    bad = GOOD_ROW.replace("A001", "A002").replace(",done,", ",gone,")
    text = "\r\n".join([HEADER, multi, bad]) + "\r\n"
    result = run(write(tmp_path, text), "--json")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.startswith("line 4: outcome: ")


def test_unclosed_quote_and_bad_encoding_are_reported_by_line(tmp_path: Path) -> None:
    """A quote left open is reported on the line its row starts; bytes that are not UTF-8 on their line."""
    unclosed = _bad(tmp_path, GOOD_ROW, GOOD_ROW.replace("A001", "A002").replace(",a1,", ',"a1,'))
    assert unclosed.stderr == "line 3: bad CSV: unexpected end of data\n"
    path = tmp_path / "latin1.csv"
    path.write_bytes(f"{HEADER}\n{GOOD_ROW}\n".encode() + GOOD_ROW.replace("a1", "\xe9").encode("latin-1") + b"\n")
    result = run(str(path))
    assert (result.returncode, result.stdout, result.stderr) == (1, "", "line 3: not UTF-8 text\n")


def test_at_most_100_bad_rows_are_listed(tmp_path: Path) -> None:
    """With 102 bad rows stderr lists the first 100 by line, then says how many more there are."""
    rows = [GOOD_ROW.replace("A001", f"B{i:03d}").replace(",false,", ",no,") for i in range(102)]
    lines = _bad(tmp_path, *rows).stderr.splitlines()
    assert len(lines) == 101
    assert lines[0] == "line 2: pre_order: must be true or false, got 'no'" and lines[99].startswith("line 101: ")
    assert lines[100] == "... and 2 more bad rows"


def test_header_problems_are_line_1(tmp_path: Path) -> None:
    """A missing column, an unknown one and an empty file are reported on line 1."""
    missing = run(write(tmp_path, HEADER.removesuffix(",limit_minutes") + "\n"))
    assert (missing.returncode, missing.stdout, missing.stderr) == (1, "", "line 1: missing column(s) limit_minutes\n")
    unknown = run(write(tmp_path, HEADER + ",hall\n"))
    assert unknown.returncode == 1 and unknown.stderr.startswith("line 1: unknown column 'hall'")
    empty = run(write(tmp_path, ""))
    assert empty.returncode == 1 and empty.stderr.startswith("line 1: empty file")


def test_header_only_gives_zero_arrivals_and_nulls(tmp_path: Path) -> None:
    """A file with no rows is valid: arrivals 0 and null for every figure with an empty denominator."""
    result = run(write(tmp_path, HEADER + "\n"), "--json")
    assert result.returncode == 0, result.stderr
    total = json.loads(result.stdout)["total"]
    assert total["arrivals"] == 0 and total["no_show_rate"] is None and total["wait_p90_seconds"] is None


def test_usage_errors_exit_1_with_nothing_on_stdout(tmp_path: Path) -> None:
    """An unknown zone, an unknown grouping or a missing file: exit 1 and one message on stderr."""
    path = write(tmp_path, SMALL)
    zone = run(path, "--tz", "Mars/Olympus")
    assert (zone.returncode, zone.stdout, zone.stderr) == (
        1,
        "",
        "hallops kpi: --tz: unknown time zone 'Mars/Olympus'\n",
    )
    by = run(path, "--by", "week")
    assert by.returncode == 1 and by.stdout == "" and "--by" in by.stderr
    missing = run(str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and missing.stdout == "" and "cannot read" in missing.stderr


def test_kpi_command_imports_no_django(tmp_path: Path) -> None:
    """Running `hallops kpi` through hallops.cli.main loads no django module (it runs without a database)."""
    path = write(tmp_path, SMALL)
    code = (
        "import io, sys\n"
        "from hallops import cli\n"
        "sys.stdout = io.StringIO()\n"
        f"try:\n    cli.main(['hallops', 'kpi', {path!r}, '--by', 'agent', '--json'])\n"
        "except SystemExit as exit:\n    status = exit.code\n"
        "out = sys.stdout.getvalue()\n"
        "sys.stdout = sys.__stdout__\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(status, bad, '\"total\"' in out, 'hallops.core.kpi' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 [] True True"
