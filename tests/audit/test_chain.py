"""The audit log is append-only in the database and sealed by a hash chain that exposes tampering."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test.utils import override_settings

from hallops.audit.chain import GENESIS, audit_purge, audit_seal, audit_verify, chain_digest
from hallops.audit.models import AuditLog, AuditSeal
from hallops.audit.services import audit_record

pytestmark = [pytest.mark.django_db, pytest.mark.db]

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _write(n: int, *, start: dt.datetime = T0, action: str = "ticket.issue") -> None:
    for i in range(n):
        audit_record(
            actor=None,
            action=action,
            object_type="ticket",
            object_id=i,
            detail={"n": i, "note": "取号"},
            at=start + dt.timedelta(seconds=i),
        )


def _tamper(sql: str, params: list[object]) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    table = AuditLog._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cur.execute(sql, params)
            cur.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        else:
            cur.execute(f"DROP TRIGGER {table}_no_update")
            cur.execute(sql, params)


def test_update_is_rejected_by_the_database() -> None:
    _write(1)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.update(action="something.else")
    assert AuditLog.objects.get().action == "ticket.issue"


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="SQLite keeps DELETE for its test flush")
def test_delete_is_rejected_by_the_database_on_postgresql() -> None:
    _write(2)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditLog.objects.filter(object_id="0").delete()
    assert AuditLog.objects.count() == 2


def test_seal_covers_settled_rows_only() -> None:
    _write(3)
    assert audit_seal(at=T0 + dt.timedelta(seconds=60)) == 0  # all younger than five minutes
    assert audit_seal(at=T0 + dt.timedelta(minutes=10)) == 3
    assert audit_seal(at=T0 + dt.timedelta(minutes=10)) == 0  # nothing new
    _write(2, start=T0 + dt.timedelta(minutes=20))
    assert audit_seal(at=T0 + dt.timedelta(minutes=30)) == 2
    seals = list(AuditSeal.objects.order_by("first_id"))
    assert [s.count for s in seals] == [3, 2]
    assert seals[0].prev_digest == GENESIS and seals[1].prev_digest == seals[0].digest
    result = audit_verify()
    assert result.ok and (result.seals, result.rows) == (2, 5)


def test_digest_depends_on_every_field_and_the_order() -> None:
    row = (1, T0, None, "", 2, "a", "ticket", "7", "", {"x": 1})
    base, _ = chain_digest(GENESIS, [row])
    for i, changed in enumerate([2, T0 + dt.timedelta(microseconds=1), 5, "bob", 3, "b", "hall", "8", "1**", {"x": 2}]):
        other = list(row)
        other[i] = changed
        assert chain_digest(GENESIS, [tuple(other)])[0] != base, f"field {i} does not enter the digest"
    two = (2, T0, None, "", 2, "a", "ticket", "8", "", {})
    assert chain_digest(GENESIS, [row, two])[0] != chain_digest(GENESIS, [two, row])[0]


def test_a_changed_row_breaks_its_seal() -> None:
    _write(5)
    audit_seal(at=T0 + dt.timedelta(hours=1))
    victim = AuditLog.objects.order_by("id")[2]
    _tamper(f"UPDATE {AuditLog._meta.db_table} SET actor_name = %s WHERE id = %s", ["mallory", victim.pk])
    result = audit_verify()
    assert not result.ok and "changed" in result.problem
    with pytest.raises(CommandError, match="audit chain broken"):
        call_command("audit_verify")


def test_a_removed_row_breaks_its_seal() -> None:
    _write(5)
    audit_seal(at=T0 + dt.timedelta(hours=1))
    victim = AuditLog.objects.order_by("id")[1]
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SELECT set_config('hallops.audit_purge', 'on', true)")
        cur.execute(f"DELETE FROM {AuditLog._meta.db_table} WHERE id = %s", [victim.pk])
    result = audit_verify()
    assert not result.ok and "4 rows, 5 were sealed" in result.problem


def test_purge_drops_whole_old_seals_and_the_rest_still_verifies() -> None:
    _write(3, start=T0)
    audit_seal(at=T0 + dt.timedelta(hours=1))
    later = T0 + dt.timedelta(days=400)
    _write(2, start=later, action="counter.open")
    audit_seal(at=later + dt.timedelta(hours=1))
    with override_settings(HALLOPS_AUDIT_RETENTION_DAYS=30):  # below the floor: 183 days apply
        assert audit_purge(at=later + dt.timedelta(days=1)) == 3
    assert set(AuditLog.objects.values_list("action", flat=True)) == {"counter.open"}
    assert AuditSeal.objects.count() == 1
    assert audit_verify().ok
    with override_settings(HALLOPS_AUDIT_RETENTION_DAYS=30):
        assert audit_purge(at=later + dt.timedelta(days=100)) == 0  # 100 days < 183: kept


def test_verify_command_reports_an_intact_chain() -> None:
    _write(2)
    audit_seal(at=T0 + dt.timedelta(hours=1))
    call_command("audit_verify")  # no error
