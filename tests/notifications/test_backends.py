"""The notification adapter's default backend keeps every message readable and logs it masked."""

from __future__ import annotations

import logging

import pytest

from hallops.notifications.backends import notification_send
from hallops.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_default_backend_stores_the_message(caplog: pytest.LogCaptureFixture) -> None:
    """A sent SMS is stored with its recipient and body, and the log line does not carry the raw number."""
    caplog.set_level(logging.INFO, logger="hallops.notifications")
    note = notification_send(to="13812345678", body="您的号码 A001 即将叫到", purpose="turn_near")
    stored = Notification.objects.get(pk=note.pk)
    assert (stored.to, stored.body, stored.purpose) == ("13812345678", "您的号码 A001 即将叫到", "turn_near")
    from hallops.audit.logging import MaskPiiFilter

    record = caplog.records[-1]
    MaskPiiFilter().filter(record)
    assert "13812345678" not in record.getMessage() and "138****5678" in record.getMessage()
