"""`hallops import-history` and records_load: all rows or none, line numbers, links, idempotence, merges."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hallops.analytics.models import AgentDayFigures, HourlyFigures, Source, VisitRecord
from hallops.analytics.selectors import kpi_summary, records_for
from hallops.analytics.services import RecordsRejected, records_load
from hallops.cli import main as hallops_main
from hallops.core.history_csv import COLUMNS
from hallops.core.kpi import compute_kpis, kpis_as_dict
from tests.analytics.history import T0, csv_text, rec, write_csv
from tests.factories import Setup

pytestmark = pytest.mark.django_db

HEADER = ",".join(COLUMNS)


def run(path: Path, hall: str = "h1") -> int:
    """The command as ``hallops import-history`` runs it, minus ``run_from_argv``'s closing of the connections
    (which would close the test's database under its open transaction)."""
    try:
        call_command("import_history", str(path), "--hall", hall)
    except CommandError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    except SystemExit as exit:
        return int(exit.code or 0)
    return 0


def test_the_hyphenated_name_reaches_the_management_command(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", seen.append)
    hallops_main(["hallops", "import-history", "x.csv", "--hall", "h1"])
    assert seen == [["hallops", "import_history", "x.csv", "--hall", "h1"]]


def rollups() -> list[tuple[object, ...]]:
    """Every roll-up cell's key and figures (for comparing before and after)."""
    out: list[tuple[object, ...]] = []
    for model in (HourlyFigures, AgentDayFigures):
        out += sorted(tuple(v for k, v in row.items() if k != "id") for row in model.objects.values())
    return out


def sample() -> list:  # type: ignore[type-arg]
    m = dt.timedelta(minutes=1)
    return [
        rec("B001", T0, counter="1", agent="agent1", rating=3),
        rec("B002", T0 + m, counter="X9", agent="legacy7"),
        rec("B003", T0 + 2 * m, counter="2", agent="agent_b"),  # agent_b works in the other hall
        rec("A001", T0 + 3 * m, "no_show", service="new_subscriber", called_at=T0 + 5 * m, ended_at=T0 + 6 * m),
        rec("A001", T0 + 3 * m, service="new_subscriber", called_at=T0 + 9 * m, limit_minutes=8.0, pre_order=True),
        rec("#9", T0 + 4 * m, "diverted", service="payment", ended_at=T0 + 4 * m),
    ]


def test_a_good_file_is_loaded_and_counters_and_agents_are_linked_when_they_match(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every row is stored; '1'/'agent1' link to the hall's counter and agent, unknown values stay external."""
    path = write_csv(tmp_path / "h.csv", sample())
    assert run(path) == 0
    assert capsys.readouterr().out.strip() == "h1: 6 rows added, 0 already stored (skipped)"
    rows = {(v.ticket, v.row_key): v for v in VisitRecord.objects.select_related("counter", "agent")}
    assert len(rows) == 6
    assert {v.source for v in rows.values()} == {Source.IMPORT}
    b001 = next(v for v in rows.values() if v.ticket == "B001")
    assert b001.counter == setup.counters[0] and b001.agent == setup.users["agent1"]
    assert (b001.counter_ext, b001.agent_ext) == ("1", "agent1")
    b002 = next(v for v in rows.values() if v.ticket == "B002")
    assert (b002.counter, b002.counter_ext, b002.agent, b002.agent_ext) == (None, "X9", None, "legacy7")
    b003 = next(v for v in rows.values() if v.ticket == "B003")
    assert b003.counter == setup.counters[1] and b003.agent is None and b003.agent_ext == "agent_b"
    a001 = sorted((v for v in rows.values() if v.ticket == "A001"), key=lambda v: v.row_key)
    assert [v.outcome for v in a001] == ["no_show", "done"]
    assert [v.first for v in a001] == [True, False]
    assert a001[0].wait_seconds == 120.0 and a001[0].ticket_no_show and a001[0].ticket_done
    assert a001[1].wait_seconds is None
    # what was stored gives back the same records, so the same figures as the file
    day = T0.date()
    assert kpi_summary(halls=[setup.hall], start=day, end=day)["total"] == kpis_as_dict(
        compute_kpis(sample(), complex_services=frozenset({"new_subscriber"})).total
    )


def test_bad_rows_are_reported_by_physical_line_and_nothing_is_loaded(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each bad row is named by the line it starts on (a quoted field spanning lines counts each); exit 1."""
    good = csv_text([rec("B001", T0)]).splitlines()[1]
    multiline = good.replace(",kiosk,", ',"kiosk\nby the door",', 1)
    no_offset = csv_text([rec("B002", T0)]).splitlines()[1].replace("+08:00", "", 1)
    early = rec("B003", T0, called_at=T0 - dt.timedelta(minutes=1), ended_at=T0 + dt.timedelta(minutes=3))
    text = "\n".join([HEADER, multiline, no_offset, good.replace("B001", "B004"), csv_text([early]).splitlines()[1]])
    path = tmp_path / "bad.csv"
    path.write_text(text + "\n", encoding="utf-8")
    assert run(path) == 1
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.splitlines() == [
        "line 4: issued_at: no UTC offset in '2026-11-02T09:00:00'",
        "line 6: called_at: 2026-11-02T08:59:00+08:00 is before issued_at 2026-11-02T09:00:00+08:00",
    ]
    assert VisitRecord.objects.count() == 0
    assert rollups() == []


def test_an_unknown_business_type_is_rejected_with_its_line_and_nothing_is_loaded(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The core accepts any code; the database knows the catalog: 'teleport' is refused on its line."""
    path = write_csv(tmp_path / "h.csv", [rec("B001", T0), rec("Z001", T0, service="teleport")])
    assert run(path) == 1
    assert capsys.readouterr().err.splitlines() == ["line 3: service: unknown business type 'teleport'"]
    assert VisitRecord.objects.count() == 0


def test_importing_the_same_file_twice_adds_nothing(
    setup: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The second run skips every row (same ticket, local day and call time) and leaves the roll-ups alone."""
    path = write_csv(tmp_path / "h.csv", sample())
    assert run(path) == 0
    before, cells = list(VisitRecord.objects.order_by("pk").values()), rollups()
    capsys.readouterr()
    assert run(path) == 0
    assert capsys.readouterr().out.strip() == "h1: 0 rows added, 6 already stored (skipped)"
    assert list(VisitRecord.objects.order_by("pk").values()) == before
    assert rollups() == cells


def test_new_rows_of_a_stored_ticket_update_its_figures(setup: Setup) -> None:
    """A later file with an earlier call of a stored ticket makes it the first row: wait, no-show and the
    roll-ups follow, as if both had been loaded at once."""
    m = dt.timedelta(minutes=1)
    late = rec("B001", T0, called_at=T0 + 20 * m, ended_at=T0 + 22 * m, counter="2", agent="agent2")
    early = rec("B001", T0, "no_show", called_at=T0 + 5 * m, ended_at=T0 + 6 * m, counter="1", agent="agent1")
    other = rec("B002", T0 + m)
    assert records_load(hall=setup.hall, records=[late, other], source=Source.IMPORT).added == 2
    result = records_load(hall=setup.hall, records=[early, late], source=Source.IMPORT)
    assert (result.added, result.skipped) == (1, 1)
    rows = list(VisitRecord.objects.filter(ticket="B001").order_by("row_key"))
    assert [(v.outcome, v.first, v.wait_seconds, v.ticket_no_show) for v in rows] == [
        ("no_show", True, 300.0, True),
        ("done", False, None, False),
    ]
    merged = rollups()
    VisitRecord.objects.all().delete()
    HourlyFigures.objects.all().delete()
    AgentDayFigures.objects.all().delete()
    records_load(hall=setup.hall, records=[early, late, other], source=Source.IMPORT)
    assert rollups() == merged
    day = T0.date()
    summary = kpi_summary(halls=[setup.hall], start=day, end=day, by="agent", exact=False)
    agent1 = summary["groups"]["agent1"]  # B001's first transaction (the missed call) and B002
    assert (agent1["arrivals"], agent1["no_shows"], agent1["served"]) == (2, 1, 1)
    assert summary["groups"]["agent2"]["arrivals"] == 0 and summary["groups"]["agent2"]["served"] == 1


def test_a_row_contradicting_its_stored_ticket_is_rejected(setup: Setup, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """A new row of a stored ticket with another channel is refused on its line; nothing is added."""
    records_load(hall=setup.hall, records=[rec("B001", T0)], source=Source.IMPORT)
    again = rec("B001", T0, channel="greeter", called_at=T0 + dt.timedelta(minutes=30))
    path = write_csv(tmp_path / "h.csv", [rec("B002", T0), again])
    assert run(path) == 1
    assert capsys.readouterr().err.splitlines() == [
        "line 3: channel: differs from another row of ticket B001 (a stored row)"
    ]
    assert VisitRecord.objects.count() == 1


def test_records_load_names_records_by_index_without_lines(setup: Setup) -> None:
    """Called as a service (no file), problems name the record's index; too long a ticket is refused."""
    with pytest.raises(RecordsRejected) as caught:
        records_load(
            hall=setup.hall,
            records=[rec("B001", T0), rec("X" * 21, T0), rec("B001", T0, called_at=T0 + dt.timedelta(minutes=2))],
            source=Source.IMPORT,
        )
    assert [str(p) for p in caught.value.problems] == [
        "record 1: ticket: longer than 20 characters",
        "record 2: called_at: another row of ticket B001 has the same called_at (record 0)",
    ]
    assert VisitRecord.objects.count() == 0


def test_tickets_are_told_apart_by_their_local_day(setup: Setup) -> None:
    """B001 at 23:50 and B001 at 00:10 the next day (hall time) are two tickets; 23:50 counts on its own day."""
    night = T0.replace(hour=23, minute=50)
    morning = night + dt.timedelta(minutes=20)
    records_load(hall=setup.hall, records=[rec("B001", night), rec("B001", morning)], source=Source.IMPORT)
    assert sorted(VisitRecord.objects.values_list("local_day", flat=True)) == [night.date(), morning.date()]
    assert len(records_for(halls=[setup.hall], start=night.date(), end=night.date())) == 1


def test_an_unknown_hall_is_a_usage_error(setup: Setup, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """--hall must name a hall: exit 1 with a message, nothing loaded."""
    path = write_csv(tmp_path / "h.csv", [rec("B001", T0)])
    assert run(path, hall="nope") == 1
    assert "unknown hall 'nope'" in capsys.readouterr().err
    assert VisitRecord.objects.count() == 0
