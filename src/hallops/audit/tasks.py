"""Background jobs of the audit log (Huey periodic tasks, run by ``hallops worker``)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from hallops.audit.chain import audit_purge, audit_seal


@db_periodic_task(crontab(minute="*"))
def seal_audit_log() -> int:
    """Every minute: extend the hash chain over the settled new rows."""
    return audit_seal()


@db_periodic_task(crontab(minute="41", hour="3"))
def purge_audit_log() -> int:
    """Nightly: drop whole sealed batches older than ``HALLOPS_AUDIT_RETENTION_DAYS`` (at least 183 days)."""
    return audit_purge()


__all__ = ["purge_audit_log", "seal_audit_log"]
