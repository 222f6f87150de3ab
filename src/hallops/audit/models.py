from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditLog(models.Model):
    """Who did what to which record, when; written in the same transaction as the change. Append-only."""

    at = models.DateTimeField(db_index=True)
    # Not database constraints: a row is never rewritten (the table rejects UPDATE and DELETE), so deleting a
    # user or a hall leaves its id here; ``actor_name`` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=150, blank=True)
    hall = models.ForeignKey(
        "organisation.Hall", on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=40)
    object_id = models.CharField(max_length=40, blank=True)
    customer_ref = models.CharField(max_length=40, blank=True, help_text="masked phone or ID number")
    detail = models.JSONField(default=dict, blank=True)


class AuditSeal(models.Model):
    """One link of the hash chain over the audit log: rows ``first_id``..``last_id`` (``count`` of them), sealed.

    ``digest`` = SHA-256 of ``prev_digest`` and the canonical form of each row in id order
    (``hallops.audit.chain``). Changing, removing or inserting a sealed row breaks its seal and every later one.
    """

    sealed_at = models.DateTimeField()
    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField()
    count = models.PositiveIntegerField()
    prev_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        constraints = [
            # two workers sealing at once: the second one's insert fails instead of forking the chain
            models.UniqueConstraint(fields=["first_id"], name="audit_seal_first_id_unique"),
            models.UniqueConstraint(fields=["last_id"], name="audit_seal_last_id_unique"),
        ]
