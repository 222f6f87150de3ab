"""The ASGI application serves HTTP requests, static files and API errors through the real handler."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator

from hallops.asgi import application
from hallops.hall.models import Ticket
from tests.factories import ApiClient, make_setup

pytestmark = pytest.mark.django_db(transaction=True)


def _request(method: str, path: str, body: bytes = b"", headers: list[tuple[bytes, bytes]] | None = None):  # type: ignore[no-untyped-def]
    async def run() -> tuple[int, bytes]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"localhost"), *(headers or [])],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        comm = ApplicationCommunicator(application, scope)
        await comm.send_input({"type": "http.request", "body": body})
        start = await comm.receive_output(5)
        chunks = []
        while True:
            message = await comm.receive_output(5)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        return start["status"], b"".join(chunks)

    return async_to_sync(run)()


def test_api_write_through_the_asgi_handler_commits() -> None:
    """A ticket issued through the ASGI application is answered 201 and stored."""
    make_setup()
    token = ApiClient().token("kiosk")
    status, body = _request(
        "POST",
        "/api/v1/halls/h1/tickets",
        json.dumps({"service": "sim_replacement", "channel": "kiosk"}).encode(),
        [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json")],
    )
    assert status == 201
    assert Ticket.objects.get(pk=json.loads(body)["id"]).number == "B001"


def test_static_files_and_json_errors() -> None:
    """Static files are served by the application itself; an unknown API path answers JSON 404."""
    status, body = _request("GET", "/static/ninja/swagger-ui.css")
    assert status == 200 and len(body) > 1000
    status, body = _request("GET", "/api/v1/no-such-thing")
    assert status == 404 and json.loads(body)["code"] == "not_found"
