"""A hall's live event stream. Screens subscribe per hall; each message carries the hall's sequence number."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from hallops.organisation.models import Hall
from hallops.realtime.events import hall_group


class HallConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"]
        hall = await database_sync_to_async(Hall.objects.filter(code=code).values("pk", "event_seq").first)()
        if hall is None:
            await self.close(code=4404)
            return
        self.group = hall_group(hall["pk"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"kind": "hello", "seq": hall["event_seq"]})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def hall_event(self, message: dict[str, Any]) -> None:
        await self.send_json({k: v for k, v in message.items() if k != "type"})
