from __future__ import annotations

from django.db import models


class Notification(models.Model):
    """An SMS or other message sent through the notification adapter (the default backend keeps it here)."""

    channel = models.CharField(max_length=20, default="sms")
    to = models.CharField(max_length=40)
    body = models.TextField()
    hall = models.ForeignKey("organisation.Hall", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    purpose = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    status = models.CharField(max_length=20, default="stored")

    class Meta:
        ordering = ["-created_at", "-id"]
