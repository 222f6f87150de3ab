"""The audit log's hash chain: seal new rows in batches, verify the chain, purge past the retention period.

Rows are written on every staff action, many of them inside one-statement hot-path writes
(``hallops.hall.hotpath``), so the chain is not computed row by row at insert time, which would serialise every
write in every hall on the previous row's hash. Instead ``audit_seal`` (a background job every minute) appends
a seal over the rows written since the last one. A row is sealed once it is ``settle_seconds`` old, so that an
insert whose id was allocated earlier but committed later is not skipped. Rows younger than that are not yet
covered: tampering with them is prevented by the database triggers (migration ``audit.0003``), not detected.

Canonical row: ``id|at|actor_id|actor_name|hall_id|action|object_type|object_id|customer_ref|detail`` with
``at`` in UTC ISO 8601 (microseconds) and ``detail`` as sorted, compact JSON. The id is part of it, so a row
moved to another id breaks the seal as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hallops.audit.models import AuditLog, AuditSeal

GENESIS = "0" * 64
_FIELDS = (
    "id",
    "at",
    "actor_id",
    "actor_name",
    "hall_id",
    "action",
    "object_type",
    "object_id",
    "customer_ref",
    "detail",
)
#: never keep the audit log for less than about six months (PRC Cybersecurity Law art. 21: logs >= 6 months)
MIN_RETENTION_DAYS = 183


def canonical(row: tuple[Any, ...]) -> bytes:
    """One row (values in ``_FIELDS`` order) as the bytes that enter the chain."""
    values = dict(zip(_FIELDS, row, strict=True))
    at: dt.datetime = values["at"]
    parts = [
        str(values["id"]),
        at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "" if values["actor_id"] is None else str(values["actor_id"]),
        values["actor_name"],
        "" if values["hall_id"] is None else str(values["hall_id"]),
        values["action"],
        values["object_type"],
        values["object_id"],
        values["customer_ref"],
        json.dumps(values["detail"], sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    ]
    return "|".join(parts).encode()


def chain_digest(prev_digest: str, rows: Iterable[tuple[Any, ...]]) -> tuple[str, int]:
    """SHA-256 over the previous digest and the rows' canonical forms (each followed by a newline); (hex, count)."""
    h = hashlib.sha256(prev_digest.encode())
    count = 0
    for row in rows:
        h.update(b"\n")
        h.update(canonical(row))
        count += 1
    return h.hexdigest(), count


def _rows(first_id: int, last_id: int) -> Iterator[tuple[Any, ...]]:
    return (
        AuditLog.objects.filter(id__gte=first_id, id__lte=last_id)
        .order_by("id")
        .values_list(*_FIELDS)
        .iterator(chunk_size=5000)
    )


def audit_seal(*, at: dt.datetime | None = None, settle_seconds: float = 300, max_rows: int = 50_000) -> int:
    """Seal the settled rows after the last seal (at most ``max_rows``); how many rows were sealed.

    Two workers sealing at once: the unique first/last ids let only one seal in; the other seals nothing.
    """
    now = at or timezone.now()
    last = AuditSeal.objects.order_by("-last_id").first()
    after = last.last_id if last else 0
    prev = last.digest if last else GENESIS
    settled = AuditLog.objects.filter(id__gt=after, at__lte=now - dt.timedelta(seconds=settle_seconds))
    ids = list(settled.order_by("id").values_list("id", flat=True)[:max_rows])
    if not ids:
        return 0
    first_id, last_id = after + 1, ids[-1]
    digest, count = chain_digest(prev, _rows(first_id, last_id))
    try:
        with transaction.atomic():
            AuditSeal.objects.create(
                sealed_at=now, first_id=first_id, last_id=last_id, count=count, prev_digest=prev, digest=digest
            )
    except IntegrityError:
        return 0
    return count


@dataclass(frozen=True, slots=True)
class Verification:
    ok: bool
    seals: int
    rows: int
    problem: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.rows} rows in {self.seals} seals"
        return f"audit chain broken: {self.problem}"


def audit_verify() -> Verification:
    """Recompute every seal from the rows; the first broken link, if any.

    A changed, removed or inserted row changes its seal's digest or count; a changed or removed seal breaks the
    link to the next one. After a retention purge the chain starts at the first remaining seal.
    """
    seals = rows = 0
    prev: str | None = None
    for seal in AuditSeal.objects.order_by("first_id").iterator():
        if prev is not None and seal.prev_digest != prev:
            return Verification(
                False,
                seals,
                rows,
                f"seal {seal.pk} (rows {seal.first_id}-{seal.last_id}) does "
                "not follow the previous seal: a seal was changed or removed",
            )
        digest, count = chain_digest(seal.prev_digest, _rows(seal.first_id, seal.last_id))
        if count != seal.count:
            return Verification(
                False,
                seals,
                rows,
                f"rows {seal.first_id}-{seal.last_id}: {count} rows, "
                f"{seal.count} were sealed (rows removed or inserted)",
            )
        if digest != seal.digest:
            return Verification(False, seals, rows, f"rows {seal.first_id}-{seal.last_id}: a row was changed")
        prev = seal.digest
        seals += 1
        rows += count
    return Verification(True, seals, rows)


def _purging() -> None:
    """Within the caller's transaction, let the PostgreSQL trigger accept DELETE on the audit tables."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('hallops.audit_purge', 'on', true)")


def retention_days() -> int:
    days = int(getattr(settings, "HALLOPS_AUDIT_RETENTION_DAYS", 1095))
    return max(days, MIN_RETENTION_DAYS)


@transaction.atomic
def audit_purge(*, at: dt.datetime | None = None) -> int:
    """Delete whole seals (and their rows) whose every row is older than the retention period; rows deleted.

    Only sealed rows go, a seal at a time, so what stays verifies from the first remaining seal.
    """
    cutoff = (at or timezone.now()) - dt.timedelta(days=retention_days())
    doomed: list[AuditSeal] = []
    for seal in AuditSeal.objects.order_by("first_id").iterator():
        newest = AuditLog.objects.filter(id__gte=seal.first_id, id__lte=seal.last_id).order_by("-at").first()
        if newest is not None and newest.at >= cutoff:
            break
        doomed.append(seal)
    if not doomed:
        return 0
    _purging()
    deleted, _ = AuditLog.objects.filter(id__lte=doomed[-1].last_id).delete()
    AuditSeal.objects.filter(pk__in=[s.pk for s in doomed]).delete()
    return deleted


@transaction.atomic
def audit_erase_for_demo_reset() -> None:
    """The demo reset only: empty both audit tables."""
    _purging()
    AuditLog.objects.all().delete()
    AuditSeal.objects.all().delete()
