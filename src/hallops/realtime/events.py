"""Publishing hall events to live screens, only after the database transaction commits.

Channel layers deliver at most once: every message carries the hall's event sequence number, and a screen that
sees a gap reloads its snapshot from the database.

Inside the ASGI server the send is handed to the server's event loop and the request does not wait for it (a
slow or absent Redis must not slow down or fail a write). Elsewhere (the worker, the demo traffic thread, tests)
it is sent synchronously.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger("hallops.realtime")

_server_loop: asyncio.AbstractEventLoop | None = None


def set_server_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Called by the ASGI handler: events are then sent on this loop without blocking the request thread."""
    global _server_loop
    _server_loop = loop


def hall_group(hall_id: int) -> str:
    return f"hall.{hall_id}"


async def _send(hall_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(hall_group(hall_id), {"type": "hall.event", **message})
    except Exception:  # screens resync from the database; a lost push must not fail the write
        log.warning("could not publish hall event seq=%s", message.get("seq"), exc_info=True)


def _run(send: Callable[[], Coroutine[Any, Any, None]]) -> None:
    loop = _server_loop
    if loop is not None and loop.is_running():
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a worker thread of the server: hand it over, do not wait
            asyncio.run_coroutine_threadsafe(send(), loop)
            return
    async_to_sync(send)()


def publish_on_commit(hall_id: int, message: dict[str, Any]) -> None:
    transaction.on_commit(lambda: _run(partial(_send, hall_id, message)))


async def _control(hall_id: int, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(hall_group(hall_id), message)
    except Exception:  # the socket then stays open until the screen next reconnects
        log.warning("could not publish %s", message.get("type"), exc_info=True)


def device_revoked_on_commit(hall_id: int, device_id: int) -> None:
    """After COMMIT, tell every process's sockets of the hall that this device lost its access (they close)."""
    message = {"type": "device.revoked", "device": device_id}
    transaction.on_commit(lambda: _run(partial(_control, hall_id, message)))
