"""A hall's live event stream. Screens subscribe per hall; each message carries the hall's sequence number.

Who may listen: staff logged in with a role in the hall (session cookie), a device paired to the hall (device
cookie), or a customer's ticket page (``?ticket=<token>`` of a ticket of that hall). Events carry ticket
numbers and counters, never personal data. Anyone else is closed with 4403; an unknown hall with 4404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from hallops.accounts.devices import COOKIE_NAME, device_for_cookie
from hallops.hall.models import Ticket
from hallops.organisation.access import actor_for_user
from hallops.organisation.models import Hall
from hallops.realtime.events import hall_group


def may_listen(scope: dict[str, Any], hall_id: int) -> bool:
    user = scope.get("user")
    if user is not None and user.is_authenticated and actor_for_user(user, session_ref="ws").can_see(hall_id):
        return True
    device = device_for_cookie((scope.get("cookies") or {}).get(COOKIE_NAME))
    if device is not None and device.hall_id == hall_id:
        scope["hallops_device"] = device.pk  # closed at once if the device is revoked
        return True
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    token = (query.get("ticket") or [""])[0]
    return bool(token) and len(token) <= 64 and Ticket.objects.filter(hall_id=hall_id, token=token).exists()


class HallConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        hall = await database_sync_to_async(Hall.objects.filter(code=code).values("pk", "event_seq").first)()
        if hall is None:
            await self.close(code=4404)
            return
        if not await database_sync_to_async(may_listen)(self.scope, hall["pk"]):
            await self.close(code=4403)
            return
        self.group = hall_group(hall["pk"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        # Read the sequence number after joining the group: an event committed in between is then either
        # counted in the hello or delivered after it, never lost without a gap showing.
        seq = await database_sync_to_async(Hall.objects.filter(pk=hall["pk"]).values_list("event_seq", flat=True).get)()
        await self.send_json({"kind": "hello", "seq": seq})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def device_revoked(self, message: dict[str, Any]) -> None:
        """A revoked device's screen loses its stream at once (4403; the page then reloads into pairing)."""
        if self.scope.get("hallops_device") == message.get("device"):
            await self.close(code=4403)

    async def hall_event(self, message: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in message.items() if k != "type"})
