from __future__ import annotations

from django.conf import settings
from django.db import models


class ApiToken(models.Model):
    """A bearer token for a device or an integration: stored only as a SHA-256 hash, revocable."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=12, help_text="the first characters, to tell tokens apart")
    hall = models.ForeignKey(
        "organisation.Hall",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="limit the token to one hall (empty: every hall of the user)",
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)


class Device(models.Model):
    """A paired screen in one hall — a kiosk, a hall display or a counter's rating pad.

    It acts as its own user (created with it, holding only the device's role in that hall), so every service
    call and audit row names the device. Pairing: a manager creates the device and reads a one-time code
    (stored hashed, valid for minutes); the code entered on the device gives it a long-lived cookie holding
    a secret that is also stored only as a hash. Revoking the device ends the cookie at once.
    """

    class Kind(models.TextChoices):
        KIOSK = "kiosk", "kiosk"
        DISPLAY = "display", "display"
        RATING_PAD = "rating_pad", "rating pad"

    hall = models.ForeignKey("organisation.Hall", on_delete=models.CASCADE, related_name="devices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    counter_number = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="the counter whose rating pad this is (rating pads only)"
    )
    name = models.CharField(max_length=100, blank=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="device")
    pairing_code_hash = models.CharField(max_length=64, blank=True)
    pairing_expires_at = models.DateTimeField(null=True, blank=True)
    secret_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()
    paired_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.hall_id}:{self.kind}:{self.name or self.pk}"


class LoginThrottle(models.Model):
    """Attempts on one login key (a username, or a device's address for pairing codes) in the current window."""

    key = models.CharField(max_length=200, unique=True)
    attempts = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField()
