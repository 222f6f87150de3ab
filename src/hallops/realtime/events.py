"""Publishing hall events to live screens, only after the database transaction commits.

Channel layers deliver at most once: every message carries the hall's event sequence number, and a screen that
sees a gap reloads its snapshot from the database.
"""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger("hallops.realtime")


def hall_group(hall_id: int) -> str:
    return f"hall.{hall_id}"


def publish_on_commit(hall_id: int, message: dict[str, Any]) -> None:
    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(hall_group(hall_id), {"type": "hall.event", **message})
        except Exception:  # screens resync from the database; a lost push must not fail the write
            log.warning("could not publish hall event seq=%s", message.get("seq"), exc_info=True)

    transaction.on_commit(send)
