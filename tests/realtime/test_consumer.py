"""The hall's live stream: committed events reach connected screens, numbered per hall."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from hallops.asgi import application
from hallops.hall import services
from tests.factories import make_setup, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def test_committed_events_reach_the_hall_stream_in_sequence() -> None:
    """A screen gets a hello with the hall's last sequence number, then each committed event with the next one."""

    async def flow() -> list[dict[str, object]]:
        setup = await database_sync_to_async(make_setup)()
        cookie = await database_sync_to_async(session_cookie)("display")
        comm = WebsocketCommunicator(
            application,
            f"/ws/hall/{setup.hall.code}/",
            headers=[(b"origin", b"http://localhost"), (b"cookie", cookie.encode())],
        )
        connected, _ = await comm.connect()
        assert connected
        hello = await comm.receive_json_from(timeout=2)

        def issue_two() -> None:
            for code in ("sim_replacement", "value_added"):
                services.ticket_issue(actor=setup.actor("kiosk"), hall=setup.hall, service_code=code, channel="kiosk")

        await database_sync_to_async(issue_two)()
        messages = [hello, await comm.receive_json_from(timeout=2), await comm.receive_json_from(timeout=2)]
        await comm.disconnect()
        return messages

    hello, first, second = async_to_sync(flow)()
    assert hello == {"kind": "hello", "seq": 0}
    assert (first["kind"], first["seq"], first["ticket"]) == ("ticket.issued", 1, "B001")
    assert (second["kind"], second["seq"], second["ticket"]) == ("ticket.issued", 2, "C001")


def test_unknown_hall_is_refused() -> None:
    """A stream for a hall that does not exist is closed at once."""

    async def flow() -> bool:
        comm = WebsocketCommunicator(application, "/ws/hall/nope/", headers=[(b"origin", b"http://localhost")])
        connected, _ = await comm.connect()
        await comm.disconnect()
        return connected

    assert async_to_sync(flow)() is False
