"""Who may listen to a hall's stream: its staff, its paired devices, its customers' ticket pages — nobody else."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from hallops.accounts.devices import device_create, device_pair, device_revoke
from hallops.asgi import application
from hallops.hall import services
from tests.factories import make_setup, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def _connect(path: str, cookie: str = "") -> tuple[bool, object]:
    async def flow() -> tuple[bool, object]:
        headers = [(b"origin", b"http://localhost")]
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        comm = WebsocketCommunicator(application, path, headers=headers)
        connected, code = await comm.connect()
        hello = await comm.receive_json_from(timeout=2) if connected else None
        await comm.disconnect()
        return connected, hello if connected else code

    return async_to_sync(flow)()


def test_nobody_logged_in_is_refused_with_4403() -> None:
    setup = make_setup()
    assert _connect(f"/ws/hall/{setup.hall.code}/") == (False, 4403)


def test_staff_of_the_hall_listen_and_staff_of_another_hall_are_refused() -> None:
    setup = make_setup()
    assert _connect(f"/ws/hall/{setup.hall.code}/", session_cookie("agent1")) == (True, {"kind": "hello", "seq": 0})
    assert _connect(f"/ws/hall/{setup.hall.code}/", session_cookie("agent_b")) == (False, 4403)
    assert _connect(f"/ws/hall/{setup.other_hall.code}/", session_cookie("admin"))[0] is True


def test_a_customer_listens_with_a_ticket_of_that_hall_only() -> None:
    setup = make_setup()
    ticket = services.ticket_issue(
        actor=setup.actor("kiosk"), hall=setup.hall, service_code="sim_replacement", channel="kiosk"
    ).ticket
    assert _connect(f"/ws/hall/{setup.hall.code}/?ticket={ticket.token}")[0] is True
    assert _connect(f"/ws/hall/{setup.other_hall.code}/?ticket={ticket.token}") == (False, 4403)
    assert _connect(f"/ws/hall/{setup.hall.code}/?ticket=not-a-token") == (False, 4403)


def test_a_paired_device_listens_until_revoked() -> None:
    setup = make_setup()
    manager = setup.actor("manager")
    device, code = device_create(actor=manager, hall=setup.hall, kind="display", name="TV 1")
    _, cookie = device_pair(code=code)
    path = f"/ws/hall/{setup.hall.code}/"
    assert _connect(path, f"hallops_device={cookie}")[0] is True
    assert _connect(f"/ws/hall/{setup.other_hall.code}/", f"hallops_device={cookie}") == (False, 4403)
    device_revoke(actor=manager, device=device)
    assert _connect(path, f"hallops_device={cookie}") == (False, 4403)


def test_an_open_socket_of_a_revoked_device_is_closed_at_once() -> None:
    """Revoking does not wait for the screen to reconnect: its socket closes with 4403; other screens stay."""
    setup = make_setup()
    manager = setup.actor("manager")
    tv, code = device_create(actor=manager, hall=setup.hall, kind="display", name="TV 1")
    _, tv_cookie = device_pair(code=code)
    _, code2 = device_create(actor=manager, hall=setup.hall, kind="display", name="TV 2")
    _, other_cookie = device_pair(code=code2)
    path = f"/ws/hall/{setup.hall.code}/"

    async def open_socket(cookie: str) -> WebsocketCommunicator:
        comm = WebsocketCommunicator(
            application,
            path,
            headers=[(b"origin", b"http://localhost"), (b"cookie", f"hallops_device={cookie}".encode())],
        )
        connected, _ = await comm.connect()
        assert connected
        await comm.receive_json_from(timeout=2)  # hello
        return comm

    async def flow() -> tuple[object, bool]:
        revoked, kept = await open_socket(tv_cookie), await open_socket(other_cookie)
        await database_sync_to_async(device_revoke)(actor=manager, device=tv)
        closed = await revoked.receive_output(timeout=2)
        still_open = await kept.receive_nothing(timeout=0.3)
        await kept.disconnect()
        return closed, still_open

    closed, still_open = async_to_sync(flow)()
    assert closed == {"type": "websocket.close", "code": 4403}
    assert still_open
