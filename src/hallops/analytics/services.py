"""Writes of the analytics data: the one bulk loader of visit records, and live sync from the hall.

Every row, whether imported, generated for the demo or taken from the live hall, goes through
:func:`records_load` (live sync calls its lenient variant): checked by the core (``record_errors``) and the
database (known business types, field lengths), inserted in batches with the roll-ups updated, all in one
transaction. See docs/analytics.md.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Max, Min

from hallops.analytics.bulk import bulk_increment, bulk_insert
from hallops.analytics.figures import FIGURES, Deltas, Derived, derive, local_day, row_key
from hallops.analytics.models import AgentDayFigures, HallSync, HourlyFigures, Source, VisitRecord
from hallops.catalog.models import BusinessType
from hallops.core.kpi import Outcome, TransactionRecord, record_errors
from hallops.errors import Invalid
from hallops.feedback.selectors import RATING_WINDOW
from hallops.hall.models import HallEvent
from hallops.organisation.models import Counter, Hall, StaffRole

log = logging.getLogger(__name__)

#: live sync reads a visit once this long has passed since its last event (a customer may rate meanwhile)
SETTLE = RATING_WINDOW
#: rows per INSERT / UPDATE statement
BATCH_SIZE = 1000
#: days of stored rows read per query when looking for rows already loaded
_DAYS_PER_QUERY = 31

_LENGTHS = {
    "ticket": VisitRecord._meta.get_field("ticket").max_length,
    "channel": VisitRecord._meta.get_field("channel").max_length,
    "priority": VisitRecord._meta.get_field("priority").max_length,
    "counter": VisitRecord._meta.get_field("counter_ext").max_length,
    "agent": VisitRecord._meta.get_field("agent_ext").max_length,
}


@dataclass(frozen=True, slots=True)
class LoadResult:
    added: int
    skipped: int


@dataclass(frozen=True, slots=True)
class RecordProblem:
    """Record ``index`` (0-based; ``line`` its physical line in a file, when known) is bad in ``column``."""

    index: int
    column: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else f"record {self.index}"
        return f"{where}: {self.column}: {self.message}"


class RecordsRejected(Invalid):
    """Some records are bad; nothing was loaded. ``problems``: one per bad record, in record order."""

    def __init__(self, problems: Sequence[RecordProblem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else ""
        super().__init__(f"{len(self.problems)} bad record(s); first: {first}", field="records", code="bad_records")


# ------------------------------------------------------------------------------------------------------ helpers


def _ticket_key(r: TransactionRecord, tz: ZoneInfo) -> tuple[dt.date, str]:
    return local_day(r, tz), r.ticket


def record_from_row(v: VisitRecord, service_code: str, tz: ZoneInfo) -> TransactionRecord:
    """The core record of a stored row, its times in the hall's zone."""

    def local(at: dt.datetime | None) -> dt.datetime | None:
        return at.astimezone(tz) if at is not None else None

    return TransactionRecord(
        ticket=v.ticket,
        service=service_code,
        channel=v.channel,
        priority=v.priority,
        issued_at=v.issued_at.astimezone(tz),
        called_at=local(v.called_at),
        arrived_at=local(v.arrived_at),
        communication_at=local(v.communication_at),
        operation_at=local(v.operation_at),
        ended_at=local(v.ended_at),
        outcome=Outcome(v.outcome),
        counter=v.counter_ext,
        agent=v.agent_ext,
        rating=v.rating,
        quoted_wait_seconds=v.quoted_wait_seconds,
        pre_order=v.pre_order,
        limit_minutes=v.limit_minutes,
    )


def _set_derived(v: VisitRecord, d: Derived) -> None:
    v.local_day = d.local_day
    v.row_key = d.row_key
    v.hour_start = d.hour_start
    v.local_hour = d.local_hour
    v.weekday = d.weekday
    v.first = d.first
    v.wait_seconds = d.wait_seconds
    v.ticket_done = d.ticket_done
    v.ticket_no_show = d.ticket_no_show
    v.ticket_cancelled = d.ticket_cancelled
    v.ticket_diverted = d.ticket_diverted
    v.service_seconds = d.service_seconds
    v.handling_seconds = d.handling_seconds
    v.over_limit = d.over_limit


_RECORD_COLUMNS = (
    "hall_id",
    "ticket",
    "local_day",
    "row_key",
    "source",
    "service_id",
    "channel",
    "priority",
    "issued_at",
    "called_at",
    "arrived_at",
    "communication_at",
    "operation_at",
    "ended_at",
    "outcome",
    "counter_id",
    "counter_ext",
    "agent_id",
    "agent_ext",
    "rating",
    "quoted_wait_seconds",
    "pre_order",
    "limit_minutes",
    "hour_start",
    "local_hour",
    "weekday",
    "first",
    "wait_seconds",
    "ticket_done",
    "ticket_no_show",
    "ticket_cancelled",
    "ticket_diverted",
    "service_seconds",
    "handling_seconds",
    "over_limit",
)
_HOURLY_KEYS = ("hall_id", "hour_start", "local_day", "local_hour", "weekday", "service_id", "channel")
_AGENT_KEYS = ("hall_id", "local_day", "weekday", "agent", "counter", "service_id")

_DERIVED_TICKET_FIELDS = [
    "first",
    "wait_seconds",
    "ticket_done",
    "ticket_no_show",
    "ticket_cancelled",
    "ticket_diverted",
]


def _hall_lock(hall: Hall) -> HallSync:
    """Lock the hall's analytics row: loads of one hall (import, demo, live sync) run one at a time."""
    HallSync.objects.get_or_create(hall=hall)
    return HallSync.objects.select_for_update().get(hall=hall)


def _day_chunks(days: Iterable[dt.date]) -> list[tuple[dt.date, dt.date]]:
    ordered = sorted(set(days))
    chunks: list[tuple[dt.date, dt.date]] = []
    for day in ordered:
        if chunks and (day - chunks[-1][0]).days < _DAYS_PER_QUERY:
            chunks[-1] = (chunks[-1][0], day)
        else:
            chunks.append((day, day))
    return chunks


class _Links:
    """The hall's counters by number and staff by username, to link the values a source gives."""

    def __init__(self, hall: Hall, records: Sequence[TransactionRecord], *, any_user: bool) -> None:
        self.counters = {str(n): pk for pk, n in Counter.objects.filter(hall=hall).values_list("pk", "number")}
        names = {r.agent for r in records if r.agent}
        users = get_user_model().objects.filter(username__in=names)
        if not any_user:
            staff = StaffRole.objects.filter(hall=hall).values("user_id")
            users = users.filter(pk__in=staff)
        self.agents = dict(users.values_list("username", "pk"))


# ------------------------------------------------------------------------------------------------------ loading


def _check(
    hall: Hall, records: Sequence[TransactionRecord], services: dict[str, BusinessType]
) -> dict[int, tuple[str, str, int | None]]:
    """Every bad record: index -> (column, message, the index of the conflicting record or None)."""
    tz = hall.tz
    bad: dict[int, tuple[str, str, int | None]] = {}
    for e in record_errors(records, tz=tz):
        bad[e.index] = (e.column, e.message, e.other)
    seen: dict[tuple[dt.date, str, int], int] = {}
    for index, r in enumerate(records):
        if index in bad:
            continue
        if r.service not in services:
            bad[index] = ("service", f"unknown business type {r.service!r}", None)
            continue
        too_long = next((c for c, n in _LENGTHS.items() if n is not None and len(getattr(r, c)) > n), None)
        if too_long is not None:
            bad[index] = (too_long, f"longer than {_LENGTHS[too_long]} characters", None)
            continue
        key = (*_ticket_key(r, tz), row_key(r))
        other = seen.setdefault(key, index)
        if other != index:
            bad[index] = ("called_at", f"another row of ticket {r.ticket} has the same called_at", other)
    return bad


def _problem(index: int, column: str, message: str, other: int | None, lines: Sequence[int] | None) -> RecordProblem:
    if other is not None:
        message += f" (line {lines[other]})" if lines is not None else f" (record {other})"
    return RecordProblem(index, column, message, lines[index] if lines is not None else None)


def records_load(
    *,
    hall: Hall,
    records: Sequence[TransactionRecord],
    source: str,
    lines: Sequence[int] | None = None,
) -> LoadResult:
    """Load records into ``hall``: all of them, or none (:class:`RecordsRejected` lists every bad one).

    A record is bad when the core rejects it (``core.kpi.record_errors``, ticket dates in the hall's zone),
    when its business type code is unknown, when a text is too long for its column, or when it would join a
    ticket already stored and contradict that ticket's stored rows. A record whose (ticket, local day of
    issue, called_at) is stored already is skipped, so loading the same records twice adds nothing.
    ``lines``: the physical line of each record in its file, to name it in the problems.
    """
    if source not in Source.values:
        raise Invalid(f"unknown source {source!r}", field="source", code="invalid_choice")
    records = list(records)
    services = {b.code: b for b in BusinessType.objects.all()}  # a small table; stored rows may need any
    bad = _check(hall, records, services)
    if bad:
        raise RecordsRejected([_problem(i, *bad[i], lines) for i in sorted(bad)])
    with transaction.atomic():
        _hall_lock(hall)
        return _load(hall, records, source, services, lines=lines, strict=True)


def _records_load_lenient(hall: Hall, records: Sequence[TransactionRecord], source: str) -> LoadResult:
    """Load the good tickets of ``records`` and leave out (and log) every ticket with a bad record.

    For live sync: a ticket the hall recorded strangely must not stop every later ticket. The caller holds
    the hall's lock inside a transaction.
    """
    records = list(records)
    services = {b.code: b for b in BusinessType.objects.all()}  # a small table; stored rows may need any
    bad = _check(hall, records, services)
    if bad:
        tz = hall.tz
        bad_tickets = {_ticket_key(records[i], tz) for i in bad}
        for i in sorted(bad):
            log.warning("analytics: hall %s: ticket %s left out: %s", hall.code, records[i].ticket, bad[i][:2])
        records = [r for r in records if _ticket_key(r, tz) not in bad_tickets]
    return _load(hall, records, source, services, lines=None, strict=False)


def _load(
    hall: Hall,
    records: list[TransactionRecord],
    source: str,
    services: dict[str, BusinessType],
    *,
    lines: Sequence[int] | None,
    strict: bool,
) -> LoadResult:
    tz = hall.tz
    tickets: dict[tuple[dt.date, str], list[int]] = {}
    for index, r in enumerate(records):
        tickets.setdefault(_ticket_key(r, tz), []).append(index)
    stored: dict[tuple[dt.date, str], set[int]] = {}
    for low, high in _day_chunks(day for day, _ in tickets):
        for day, ticket, key in VisitRecord.objects.filter(hall=hall, local_day__range=(low, high)).values_list(
            "local_day", "ticket", "row_key"
        ):
            if (day, ticket) in tickets:
                stored.setdefault((day, ticket), set()).add(key)
    deltas = Deltas.empty()
    new_rows: list[tuple[TransactionRecord, Derived]] = []
    merged: dict[tuple[dt.date, str], list[int]] = {}
    skipped = 0
    for key, indices in tickets.items():
        keys = stored.get(key)
        fresh = [i for i in indices if keys is None or row_key(records[i]) not in keys]
        skipped += len(indices) - len(fresh)
        if not fresh:
            continue
        if keys is not None:
            merged[key] = fresh
            continue
        rows = [records[i] for i in fresh]
        derived = derive(rows, tz)
        deltas.add(rows, derived)
        new_rows.extend(zip(rows, derived, strict=True))
    updates: list[VisitRecord] = []
    if merged:
        new_rows += _merge(hall, records, merged, services, deltas, updates, lines=lines, strict=strict)
    links = _Links(hall, [r for r, _ in new_rows], any_user=source == Source.LIVE)
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
    bulk_insert(VisitRecord, _RECORD_COLUMNS, values)
    if updates:
        VisitRecord.objects.bulk_update(updates, _DERIVED_TICKET_FIELDS, batch_size=BATCH_SIZE)
    _apply(hall, deltas, services)
    return LoadResult(added=len(values), skipped=skipped)


def _merge(
    hall: Hall,
    records: list[TransactionRecord],
    merged: dict[tuple[dt.date, str], list[int]],
    services: dict[str, BusinessType],
    deltas: Deltas,
    updates: list[VisitRecord],
    *,
    lines: Sequence[int] | None,
    strict: bool,
) -> list[tuple[TransactionRecord, Derived]]:
    """New rows joining tickets already stored: check each ticket as a whole, take its old figures out of the
    roll-ups and put the new ones in; the stored rows' ticket columns (first row, wait) are updated."""
    tz = hall.tz
    codes = dict(BusinessType.objects.values_list("pk", "code"))
    existing: dict[tuple[dt.date, str], list[VisitRecord]] = {}
    for low, high in _day_chunks(day for day, _ in merged):
        for v in VisitRecord.objects.filter(
            hall=hall, local_day__range=(low, high), ticket__in={t for d, t in merged if low <= d <= high}
        ).order_by("pk"):
            if (v.local_day, v.ticket) in merged:
                existing.setdefault((v.local_day, v.ticket), []).append(v)
    out: list[tuple[TransactionRecord, Derived]] = []
    problems: list[RecordProblem] = []
    for key, fresh in merged.items():
        old_rows = existing[key]
        old = [record_from_row(v, codes[v.service_id], tz) for v in old_rows]
        new = [records[i] for i in fresh]
        errors = record_errors(old + new, tz=tz)
        if errors:
            if not strict:
                log.warning("analytics: hall %s: new rows of ticket %s left out: %s", hall.code, key[1], errors[0])
                continue
            for e in errors:
                index = fresh[e.index - len(old)] if e.index >= len(old) else fresh[0]
                message = e.message if e.other is None or e.other >= len(old) else e.message + " (a stored row)"
                problems.append(_problem(index, e.column, message, None, lines))
            continue
        deltas.add(old, derive(old, tz), sign=-1)
        derived = derive(old + new, tz)
        deltas.add(old + new, derived)
        for v, d in zip(old_rows, derived, strict=False):
            before = [getattr(v, f) for f in _DERIVED_TICKET_FIELDS]
            _set_derived(v, d)
            if [getattr(v, f) for f in _DERIVED_TICKET_FIELDS] != before:
                updates.append(v)
        out.extend(zip(new, derived[len(old) :], strict=True))
    if problems:
        raise RecordsRejected(sorted(problems, key=lambda p: p.index))
    return out


def _apply(hall: Hall, deltas: Deltas, services: dict[str, BusinessType]) -> None:
    """Add the deltas to the roll-up cells: one UPDATE per existing cell, one INSERT per new one."""
    tz = hall.tz
    if deltas.hourly:
        days = {key[0].astimezone(tz).date() for key in deltas.hourly}
        cells: dict[tuple[dt.datetime, int, str], int] = {}
        for low, high in _day_chunks(days):
            for pk, hour, service_id, channel in HourlyFigures.objects.filter(
                hall=hall, local_day__range=(low, high)
            ).values_list("pk", "hour_start", "service_id", "channel"):
                cells[(hour, service_id, channel)] = pk
        created, changed = [], []
        for (hour, code, channel), delta in deltas.hourly.items():
            service_id = services[code].pk
            pk = cells.get((hour, service_id, channel))
            if pk is None:
                local = hour.astimezone(tz)
                keys = (hall.pk, hour, local.date(), local.hour, local.weekday(), service_id, channel)
                created.append((*keys, *(delta.get(name, 0) for name in FIGURES)))
            else:
                changed.append((*(delta.get(name, 0) for name in FIGURES), pk))
        bulk_insert(HourlyFigures, _HOURLY_KEYS + FIGURES, created)
        bulk_increment(HourlyFigures, FIGURES, changed)
    if deltas.agent_day:
        agent_cells: dict[tuple[dt.date, str, str, int], int] = {}
        for low, high in _day_chunks(key[0] for key in deltas.agent_day):
            for pk, day, agent, counter, service_id in AgentDayFigures.objects.filter(
                hall=hall, local_day__range=(low, high)
            ).values_list("pk", "local_day", "agent", "counter", "service_id"):
                agent_cells[(day, agent, counter, service_id)] = pk
        new_cells, changed_cells = [], []
        for (day, agent, counter, code), delta in deltas.agent_day.items():
            service_id = services[code].pk
            pk = agent_cells.get((day, agent, counter, service_id))
            if pk is None:
                cell_key = (hall.pk, day, day.weekday(), agent, counter, service_id)
                new_cells.append((*cell_key, *(delta.get(name, 0) for name in FIGURES)))
            else:
                changed_cells.append((*(delta.get(name, 0) for name in FIGURES), pk))
        bulk_insert(AgentDayFigures, _AGENT_KEYS + FIGURES, new_cells)
        bulk_increment(AgentDayFigures, FIGURES, changed_cells)


def records_clear(*, halls: Iterable[Hall], sources: Iterable[str] | None = None) -> int:
    """Delete the halls' visit records (of the given sources, else all) and rebuild their roll-ups.

    For the demo's reset. Deleting every source also resets live sync, so that the live hall is read again.
    """
    deleted = 0
    for hall in halls:
        with transaction.atomic():
            state = _hall_lock(hall)
            rows = VisitRecord.objects.filter(hall=hall)
            if sources is not None:
                rows = rows.filter(source__in=list(sources))
            deleted += rows.delete()[0]
            HourlyFigures.objects.filter(hall=hall).delete()
            AgentDayFigures.objects.filter(hall=hall).delete()
            if sources is None or Source.LIVE in set(sources):
                state.event_seq = 0
                state.save(update_fields=["event_seq"])
            _rollups_rebuild(hall)
    return deleted


def _rollups_rebuild(hall: Hall) -> None:
    """Recount the hall's roll-ups from its stored rows (after a delete)."""
    tz = hall.tz
    codes = dict(BusinessType.objects.values_list("pk", "code"))
    services = {b.code: b for b in BusinessType.objects.all()}
    deltas = Deltas.empty()
    by_ticket: dict[tuple[dt.date, str], list[TransactionRecord]] = {}
    for v in VisitRecord.objects.filter(hall=hall).iterator(chunk_size=5000):
        by_ticket.setdefault((v.local_day, v.ticket), []).append(record_from_row(v, codes[v.service_id], tz))
    for rows in by_ticket.values():
        deltas.add(rows, derive(rows, tz))
    _apply(hall, deltas, services)


# ------------------------------------------------------------------------------------------------------ live


def sync_hall(hall: Hall, at: dt.datetime) -> LoadResult:
    """Turn the hall's finished visits into visit records (source ``live``); idempotent.

    Reads the hall's events after the stored watermark (``HallSync.event_seq``) up to the first event less
    than ``SETTLE`` (the rating window) before ``at``, so that a visit is read once its customer can no longer
    rate it. Every visit whose ticket appears in those events and is final (done, cancelled, diverted, not
    served; a transfer is followed to its last ticket), and every finished walk-in, is built by
    ``hallops.analytics.live`` and loaded. A visit still open (a missed number kept for recall, a transfer
    not yet served) is left for a later event of it. The watermark moves in the same transaction as the rows.
    """
    from hallops.analytics.live import visit_records  # the live hall's reads

    with transaction.atomic():
        state = _hall_lock(hall)
        last = HallEvent.objects.filter(hall=hall).aggregate(m=Max("seq"))["m"] or 0
        if last < state.event_seq:  # the hall's log was reset (the demo's reload): read it again
            state.event_seq = 0
        after = HallEvent.objects.filter(hall=hall, seq__gt=state.event_seq)
        recent = after.filter(at__gt=at - SETTLE).aggregate(m=Min("seq"))["m"]
        cut = last if recent is None else recent - 1
        events = after.filter(seq__lte=cut)
        ticket_ids = set(events.filter(ticket__isnull=False).values_list("ticket_id", flat=True))
        walk_ins = set(
            events.filter(ticket__isnull=True, kind="transaction.done", transaction__isnull=False).values_list(
                "transaction_id", flat=True
            )
        )
        result = LoadResult(0, 0)
        if ticket_ids or walk_ins:
            records = visit_records(hall=hall, ticket_ids=ticket_ids, walk_in_ids=walk_ins, ended_by=at - SETTLE)
            result = _records_load_lenient(hall, records, Source.LIVE)
        state.event_seq = max(state.event_seq, cut)
        state.synced_at = at
        state.save(update_fields=["event_seq", "synced_at"])
    return result


def halls_sync(*, at: dt.datetime) -> int:
    """Live sync of every hall; returns the rows added."""
    return sum(sync_hall(hall, at).added for hall in Hall.objects.all())
