"""Who may listen to a hall's stream: its staff, its paired devices, its customers' ticket pages — nobody else."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
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
