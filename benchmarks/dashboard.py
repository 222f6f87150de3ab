"""Dashboard speed over a year of 50 halls × 300 tickets a day (about 5.5 million tickets) on PostgreSQL.

Run through the PostgreSQL wrapper (it needs DATABASE_URL; part of ``make bench``; about 11 minutes here, most of it
generating and loading the history)::

    scripts/with-postgres.sh .venv/bin/python benchmarks/dashboard.py [--halls 50] [--days 365] [--tickets 300]
        [--repeats 15] [--no-write]

What it does, in order:

1. A fresh data folder; ``migrate``; the demo (``organisation.demo.demo_load``: the catalog, region ``sx``, halls
   ty01 and ty02, staff); then more halls in the same city, each set up like ty01 (8 counters, the same
   business types), up to ``--halls``.
2. History: for each hall, ``analytics.demo.generate_history`` (the demo's seeded generator: a first-come
   first-served queue over the counters staffed each hour, working calendar, campaign days, no-shows,
   transfers, ratings...) for ``--days`` days ending yesterday, its arrival level scaled so that the halls
   average ``--tickets`` tickets a day.
3. Load, timed (generation apart): the first ``--service-halls`` halls through
   ``analytics.services.records_load``, the service imports and the demo use (checks through the core,
   derived columns, INSERTs, the hourly and agent-day roll-ups in the same transaction); the others through
   ``copy_load`` below, the same checks, rows and roll-up cells written with COPY (``--load service`` sends
   every hall through records_load: about 6,000 records/s, 15-20 minutes). Then ``VACUUM ANALYZE`` (as
   autovacuum would in time), and a check: rows stored = records, and a week's counts from the raw records
   (core.kpi) equal those from the roll-ups in a hall loaded each way.
4. Pages through Django's test client, logged in as the administrator, one warm-up request and then
   ``--repeats`` requests each (wall-clock ms, median and p95; CPU ms of this process beside, the rest is
   PostgreSQL and waiting): the hall dashboard over the whole history, the region dashboard of all the halls
   over it, the drill-down records page, the hall dashboard over 28 days; then the selectors they are built
   from, alone.
5. Writes the figures between the ``bench:dashboard`` markers of BENCHMARKS.md (the rest is kept).

Exit status: 0, or 1 when a page does not answer 200.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bench_machine import busy_cores, machine, write_section

ROOT = Path(__file__).resolve().parent.parent
MARK_START = "<!-- bench:dashboard:start -->"
MARK_END = "<!-- bench:dashboard:end -->"
REGION = "sx"


@dataclass
class Timed:
    """Wall and CPU milliseconds of repeated calls."""

    label: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    note: str = ""

    def median(self) -> float:
        return statistics.median(self.wall)

    def p95(self) -> float:
        ordered = sorted(self.wall)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    def row(self) -> str:
        return (
            f"| {self.label} | **{self.median():.0f}** | {self.p95():.0f} | {min(self.wall):.0f} | "
            f"{statistics.median(self.cpu):.0f} | {self.note} |"
        )


def repeat(label: str, call: Callable[[], object], repeats: int, note: str = "") -> Timed:
    call()  # warm-up (templates, first query plans)
    timed = Timed(label, note=note)
    for _ in range(repeats):
        cpu, wall = time.process_time(), time.perf_counter()
        call()
        timed.wall.append((time.perf_counter() - wall) * 1e3)
        timed.cpu.append((time.process_time() - cpu) * 1e3)
    print(f"  {label}: median {timed.median():.0f} ms, p95 {timed.p95():.0f} ms", flush=True)
    return timed


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return str(cursor.fetchone()[0]).split()[0]


def table_sizes() -> dict[str, tuple[int, str]]:
    """Rows (estimated after ANALYZE) and total size of the analytics tables."""
    from django.db import connection

    out = {}
    with connection.cursor() as cursor:
        for table in ("analytics_visitrecord", "analytics_hourlyfigures", "analytics_agentdayfigures"):
            cursor.execute(
                "SELECT reltuples::bigint, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
                "WHERE relname = %s",
                [table],
            )
            rows, size = cursor.fetchone()
            out[table] = (int(rows), str(size))
    return out


def make_halls(count: int) -> list[Any]:
    """ty01, ty02 and more halls like ty01 in the same city, up to ``count`` halls in region sx."""
    from django.db import transaction
    from django.utils import timezone

    from hallops.organisation.models import Counter, Hall

    template = Hall.objects.get(code="ty01")
    counters = list(Counter.objects.filter(hall=template).prefetch_related("services").order_by("number"))
    with transaction.atomic():
        for n in range(3, count + 1):
            code = f"ty{n:02d}"
            hall, _ = Hall.objects.update_or_create(
                code=code,
                defaults={
                    "city": template.city,
                    "name": f"太原测试营业厅 {n:02d}",
                    "name_en": f"Taiyuan test hall {n:02d}",
                    "timezone": template.timezone,
                    "open_24h": template.open_24h,
                    "opens_at": template.opens_at,
                    "closes_at": template.closes_at,
                },
            )
            for c in counters:
                counter, _ = Counter.objects.update_or_create(
                    hall=hall,
                    number=c.number,
                    defaults={"zone": c.zone, "status": "closed", "status_since": timezone.now()},
                )
                counter.services.set(c.services.all())
    return list(Hall.objects.filter(city__region__code=REGION).order_by("code"))[:count]


def copy_load(hall: Any, records: list[Any], services: dict[str, Any], source: str) -> int:
    """What ``records_load`` stores for a hall without rows yet, written with PostgreSQL COPY: the same checks
    (``_check``), the same derived columns (``figures.derive``) and roll-up cells (``figures.Deltas``), the
    same values in the same columns as ``services._load`` and ``services._apply`` (which send them as
    INSERT statements). Returns the rows written."""
    from django.db import connection, transaction

    from hallops.analytics import services as analytics
    from hallops.analytics.figures import FIGURES, Deltas, derive
    from hallops.analytics.models import AgentDayFigures, HourlyFigures, VisitRecord

    bad = analytics._check(hall, records, services)
    if bad:
        raise RuntimeError(f"{hall.code}: {len(bad)} bad records, e.g. {next(iter(bad.items()))}")
    tz = hall.tz
    tickets: dict[Any, list[Any]] = {}
    for r in records:
        tickets.setdefault(analytics._ticket_key(r, tz), []).append(r)
    deltas = Deltas.empty()
    new_rows = []
    for rows in tickets.values():
        derived = derive(rows, tz)
        deltas.add(rows, derived)
        new_rows.extend(zip(rows, derived, strict=True))
    links = analytics._Links(hall, [r for r, _ in new_rows], any_user=False)
    counter_ids, agent_ids = links.counters, links.agents
    values = [
        (
            hall.pk,
            r.ticket,
            d.local_day,
            d.row_key,
            source,
            services[r.service].pk,
            r.channel,
            r.priority,
            r.issued_at,
            r.called_at,
            r.arrived_at,
            r.communication_at,
            r.operation_at,
            r.ended_at,
            r.outcome.value,
            counter_ids.get(r.counter),
            r.counter,
            agent_ids.get(r.agent),
            r.agent,
            r.rating,
            r.quoted_wait_seconds,
            r.pre_order,
            r.limit_minutes,
            d.hour_start,
            d.local_hour,
            d.weekday,
            d.first,
            d.wait_seconds,
            d.ticket_done,
            d.ticket_no_show,
            d.ticket_cancelled,
            d.ticket_diverted,
            d.service_seconds,
            d.handling_seconds,
            d.over_limit,
        )
        for r, d in new_rows
    ]
    hourly = []
    for (hour, code, channel), delta in deltas.hourly.items():
        local = hour.astimezone(tz)
        keys = (hall.pk, hour, local.date(), local.hour, local.weekday(), services[code].pk, channel)
        hourly.append((*keys, *(delta.get(name, 0) for name in FIGURES)))
    agent_day = [
        (hall.pk, day, day.weekday(), agent, counter, services[code].pk, *(delta.get(name, 0) for name in FIGURES))
        for (day, agent, counter, code), delta in deltas.agent_day.items()
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for model, columns, rows_out in (
            (VisitRecord, analytics._RECORD_COLUMNS, values),
            (HourlyFigures, analytics._HOURLY_KEYS + FIGURES, hourly),
            (AgentDayFigures, analytics._AGENT_KEYS + FIGURES, agent_day),
        ):
            names = ", ".join(model._meta.get_field(a.removesuffix("_id")).column for a in columns)
            with cursor.cursor.copy(f"COPY {model._meta.db_table} ({names}) FROM STDIN") as copy:
                for row in rows_out:
                    copy.write_row(row)
    return len(values)


def load_line(load_times: dict[str, list[tuple[float, int]]]) -> str:
    parts = []
    for way, label in (
        ("service", "`records_load` (the service: checks, derived columns, INSERTs, roll-up cells)"),
        ("copy", "the same rows and roll-up cells written with COPY (`copy_load` in this script)"),
    ):
        times = load_times[way]
        if times:
            seconds, rows = sum(t for t, _ in times), sum(n for _, n in times)
            parts.append(
                f"{label}: {len(times)} halls, {rows:,} records in {seconds:.0f} s, **{rows / seconds:,.0f} records/s**"
            )
    return "; ".join(parts)


def consistency(halls: list[Any], end: dt.date, records_total: int, load_times: dict[str, Any]) -> str:
    """Stored rows = loaded records; for a hall loaded each way, the last week's counts from the raw records
    (core.kpi) equal those from the roll-ups."""
    from hallops.analytics import selectors
    from hallops.analytics.models import VisitRecord

    stored = VisitRecord.objects.count()
    problems = [] if stored == records_total else [f"{stored:,} rows stored for {records_total:,} records"]
    counts = ("arrivals", "called", "served_tickets", "no_shows", "cancelled", "diverted", "served", "rated")
    start = end - dt.timedelta(days=6)
    chosen = {halls[0].code: halls[0], halls[-1].code: halls[-1]}
    for hall in chosen.values():
        exact = selectors.kpi_summary(halls=[hall], start=start, end=end, exact=True)["total"]
        rolled = selectors.kpi_summary(halls=[hall], start=start, end=end, exact=False)["total"]
        differ = [name for name in counts if exact[name] != rolled[name]]
        if differ:
            problems.append(f"{hall.code}: {', '.join(differ)} differ between raw records and roll-ups")
    halls_checked = ", ".join(chosen)
    if problems:
        return "FAILED: " + "; ".join(problems)
    return f"{stored:,} rows stored; last week's counts of {halls_checked} equal from raw records and roll-ups"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--halls", type=int, default=50, help="halls in the region (50)")
    parser.add_argument("--days", type=int, default=365, help="days of history, ending yesterday (365)")
    parser.add_argument("--tickets", type=float, default=300.0, help="mean tickets per hall and day (300)")
    parser.add_argument("--repeats", type=int, default=15, help="timed requests per page after a warm-up (15)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument(
        "--load",
        choices=["copy", "service"],
        default="copy",
        help="copy: the first --service-halls halls through records_load, the others with COPY (default); "
        "service: every hall through records_load (about 6,000 records/s: 15-20 minutes for 50 hall-years)",
    )
    parser.add_argument("--service-halls", type=int, default=2, help="halls loaded through records_load (2)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("run it through scripts/with-postgres.sh (it needs a PostgreSQL DATABASE_URL)", file=sys.stderr)
        return 2
    started_all = time.perf_counter()
    load_before = busy_cores()
    print(f"machine busy before the run: {load_before:.2f} cores (load average {os.getloadavg()[0]:.2f})", flush=True)
    data_dir = tempfile.mkdtemp(prefix="hallops-dashboard-bench-")
    os.environ["HALLOPS_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "hallops.settings.dev"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from hallops.analytics import selectors
    from hallops.analytics.demo import demo_hall, generate_history
    from hallops.analytics.models import Source
    from hallops.analytics.services import records_clear, records_load
    from hallops.catalog.models import BusinessType
    from hallops.core.calendar import WorkingCalendar
    from hallops.organisation.demo import demo_load

    call_command("migrate", verbosity=0)
    demo_load(traffic=False)
    halls = make_halls(args.halls)
    records_clear(halls=halls)
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="admin")
    tz = halls[0].tz
    end = timezone.now().astimezone(tz).date() - dt.timedelta(days=1)
    start = end - dt.timedelta(days=args.days - 1)
    calendar = WorkingCalendar(country="CN")

    # the arrival level that gives --tickets a day on average (the generator's day levels, weekdays, campaigns)
    probe = demo_hall(halls[0])
    sample = generate_history(probe, end=end, days=min(args.days, 91), seed=args.seed, calendar=calendar)
    sample_tickets = len({(r.ticket, r.issued_at.date()) for r in sample})
    level = probe.daily_arrivals * args.tickets / (sample_tickets / min(args.days, 91))

    print(f"generating and loading {args.halls} halls × {args.days} days ({start} to {end}) ...", flush=True)
    services = {b.code: b for b in BusinessType.objects.all()}
    generate_s = 0.0
    records_total = tickets_total = 0
    load_times: dict[str, list[tuple[float, int]]] = {"service": [], "copy": []}
    for index, hall in enumerate(halls):
        t0 = time.perf_counter()
        records = generate_history(
            replace(demo_hall(hall), daily_arrivals=level), end=end, days=args.days, seed=args.seed, calendar=calendar
        )
        t1 = time.perf_counter()
        way = "service" if args.load == "service" or index < args.service_halls else "copy"
        if way == "service":
            added = records_load(hall=hall, records=records, source=Source.DEMO).added
        else:
            added = copy_load(hall, records, services, Source.DEMO)
        t2 = time.perf_counter()
        generate_s += t1 - t0
        load_times[way].append((t2 - t1, added))
        records_total += added
        tickets_total += len({(r.ticket, r.issued_at.date()) for r in records})
        print(
            f"  {hall.code}: {len(records):,} records generated in {t1 - t0:.1f} s, loaded ({way}) in {t2 - t1:.1f} s",
            flush=True,
        )
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for table in ("analytics_visitrecord", "analytics_hourlyfigures", "analytics_agentdayfigures"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    vacuum_s = time.perf_counter() - t0
    sizes = table_sizes()
    check = consistency(halls, end, records_total, load_times)
    print("check:", check, flush=True)

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    hall = halls[0]
    year = f"start={start}&end={end}"
    month_start = end - dt.timedelta(days=27)
    failures: list[str] = []

    def get(url: str) -> Callable[[], object]:
        def call() -> object:
            response = client.get(url)
            if response.status_code != 200:
                failures.append(f"{url}: {response.status_code}")
            return response

        return call

    print("pages:", flush=True)
    pages = [
        repeat(
            f"hall dashboard, {args.days} days (`/hall/{hall.code}/dashboard/?start…end`)",
            get(f"/hall/{hall.code}/dashboard/?{year}"),
            args.repeats,
        ),
        repeat(
            f"region dashboard, {len(halls)} halls × {args.days} days (`/region/{REGION}/dashboard/?start…end`)",
            get(f"/region/{REGION}/dashboard/?{year}"),
            args.repeats,
        ),
        repeat(
            f"records behind a figure, {args.days} days, over-limit, page 1 (`/hall/{hall.code}/dashboard/records/`)",
            get(f"/hall/{hall.code}/dashboard/records/?{year}&over_limit=1"),
            args.repeats,
        ),
        repeat(
            "hall dashboard, 28 days (exact: raw records)",
            get(f"/hall/{hall.code}/dashboard/?start={month_start}&end={end}"),
            args.repeats,
        ),
    ]
    print("selectors:", flush=True)
    one, region = [hall], halls
    span = f"1 hall × {args.days} days"
    calls: list[tuple[str, Callable[[], object]]] = [
        (
            f"`kpi_summary`, {span}, total (roll-ups)",
            lambda: selectors.kpi_summary(halls=one, start=start, end=end),
        ),
        (
            f"`kpi_summary`, {span}, by service",
            lambda: selectors.kpi_summary(halls=one, start=start, end=end, by="service"),
        ),
        (
            f"`kpi_summary`, {span}, by agent",
            lambda: selectors.kpi_summary(halls=one, start=start, end=end, by="agent"),
        ),
        (f"`wait_heatmap`, {span}", lambda: selectors.wait_heatmap(halls=one, start=start, end=end)),
        (f"`daily_series`, {span}", lambda: selectors.daily_series(halls=one, start=start, end=end)),
        (
            f"`kpi_summary`, {len(halls)} halls × {args.days} days, by hall",
            lambda: selectors.kpi_summary(halls=region, start=start, end=end, by="hall"),
        ),
        (
            f"`wait_heatmap`, {len(halls)} halls × {args.days} days",
            lambda: selectors.wait_heatmap(halls=region, start=start, end=end),
        ),
        (
            "`kpi_summary`, 1 hall, 31 days (exact: raw records, core.kpi)",
            lambda: selectors.kpi_summary(halls=one, start=end - dt.timedelta(days=30), end=end),
        ),
        (
            "`records_for`, 1 hall, 31 days (core records)",
            lambda: selectors.records_for(halls=one, start=end - dt.timedelta(days=30), end=end),
        ),
        (
            f"`records_behind`, {span}, over-limit, first 50",
            lambda: list(selectors.records_behind(halls=one, start=start, end=end, over_limit=True)[:50]),
        ),
    ]
    parts = [repeat(label, call, args.repeats) for label, call in calls]
    load_after = busy_cores()
    elapsed = time.perf_counter() - started_all

    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    visit_size = sizes["analytics_visitrecord"][1]
    section = "\n".join(
        [
            MARK_START,
            f"## Dashboard over a year of {len(halls)} halls (`make bench`), {now}",
            "",
            f"- **Machine:** {machine()}, PostgreSQL {postgres_version()} (throw-away cluster of "
            "`scripts/with-postgres.sh`: fsync off, synchronous_commit off; Django and PostgreSQL share the "
            f"cores). Other processes kept {load_before:.2f} cores busy just before the run and {load_after:.2f} "
            "just after it.",
            "- **Command:** `make bench` (= `scripts/with-postgres.sh .venv/bin/python benchmarks/dashboard.py`); "
            f"this run took {elapsed / 60:.0f} min.",
            f"- **Data:** {len(halls)} halls (region `{REGION}`, 8 counters each; ty02 has 5) × {args.days} days "
            f"({start} to {end}) from the demo's seeded history generator at {args.tickets:g} tickets per hall-day "
            f"on average: **{tickets_total:,} tickets, {records_total:,} visit records** "
            f"(analytics_visitrecord {visit_size}; hourly roll-up rows {sizes['analytics_hourlyfigures'][0]:,}, "
            f"agent-day roll-up rows {sizes['analytics_agentdayfigures'][0]:,}).",
            f"- **Load** (generation apart: {generate_s:.0f} s): {load_line(load_times)}; then VACUUM ANALYZE "
            f"{vacuum_s:.0f} s. Check: {check}.",
            f"- **Requests:** Django's test client in this process, logged in as `admin`, one warm-up and "
            f"{args.repeats} timed requests each; wall-clock ms (median, p95, fastest) and this process's CPU ms "
            "(the rest is PostgreSQL and waiting for it).",
            "",
            "| page | median ms | p95 ms | min ms | CPU ms | |",
            "|---|---|---|---|---|---|",
            *[p.row() for p in pages],
            "",
            "| selector | median ms | p95 ms | min ms | CPU ms | |",
            "|---|---|---|---|---|---|",
            *[p.row() for p in parts],
            "",
            f"**Slowest page: {max(pages, key=Timed.median).label.split(' (')[0]}, median "
            f"{max(p.median() for p in pages):.0f} ms, p95 {max(pages, key=Timed.median).p95():.0f} ms.**",
            MARK_END,
        ]
    )
    print(section)
    if failures:
        print("pages that failed:", *sorted(set(failures)), sep="\n  ", file=sys.stderr)
    if not args.no_write:
        write_section(section, MARK_START, MARK_END)
        print(f"written to {ROOT / 'BENCHMARKS.md'}")
    shutil.rmtree(data_dir, ignore_errors=True)
    return 1 if failures or check.startswith("FAILED") else 0


if __name__ == "__main__":
    raise SystemExit(main())
