"""The notification adapter: one ``send`` call, a backend chosen by settings.

The default backend stores each message in the database and logs it (masked), so the demo and the tests can
read what would have been sent. A real SMS gateway is another backend with the same method.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from hallops.notifications.models import Notification

log = logging.getLogger("hallops.notifications")


class Backend(Protocol):
    def send(self, *, to: str, body: str, hall_id: int | None, purpose: str) -> Notification: ...


class DatabaseBackend:
    def send(self, *, to: str, body: str, hall_id: int | None, purpose: str) -> Notification:
        note = Notification.objects.create(
            channel="sms", to=to, body=body, hall_id=hall_id, purpose=purpose, created_at=timezone.now()
        )
        log.info("sms stored id=%s to=%s purpose=%s", note.pk, to, purpose)
        return note


def notification_send(*, to: str, body: str, hall_id: int | None = None, purpose: str = "") -> Notification:
    backend: Backend = import_string(settings.HALLOPS_NOTIFICATION_BACKEND)()
    return backend.send(to=to, body=body, hall_id=hall_id, purpose=purpose)
