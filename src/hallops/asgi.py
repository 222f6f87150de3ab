"""ASGI entry point: HTTP through Django, WebSockets through Channels, static files before the middleware."""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hallops.settings.dev")

import django
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpResponseBase
from django.urls import set_script_prefix

django.setup(set_prefix=False)


class SyncRequestASGIHandler(ASGIHandler):
    """Django under ASGI with each HTTP request handled by one call in a reused worker thread.

    Our middleware and views are synchronous. Django's own ASGI handler would start a new thread for every
    request and hop between the event loop and threads several times per request (the request signals, each
    middleware, the view, closing the response). Here the request's whole synchronous part (request_started,
    middleware, view, response close and so request_finished) runs as one call on a fixed pool of threads, so
    the thread that used a database connection is the one that gives it back. The event loop keeps reading
    requests, sending responses and serving WebSockets. Not handled: cancelling a view when the client
    disconnects (our views are short database transactions, which must not be cut half-way anyway).
    """

    def __init__(self) -> None:
        super().__init__()
        threads = int(getattr(settings, "HALLOPS_REQUEST_THREADS", 8))
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="hallops-request")

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    def _respond(self, scope: dict[str, Any], body_file: Any) -> HttpResponseBase:
        from django.core import signals

        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        response = error_response if request is None else self.get_response(request)
        if not response.streaming:
            response.close()  # fires request_finished here, in the thread that holds the connection
        return response

    async def handle(self, scope, receive, send):  # type: ignore[no-untyped-def]
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        loop = asyncio.get_running_loop()
        set_server_loop(loop)
        try:
            response = await loop.run_in_executor(self.executor, self._respond, scope, body_file)
            await self.send_response(response, send)
            if response.streaming:
                await loop.run_in_executor(self.executor, response.close)
        finally:
            body_file.close()


# Static files are answered by their own handler in front of the middleware chain.
django_asgi = ASGIStaticFilesHandler(SyncRequestASGIHandler())

from channels.auth import AuthMiddlewareStack  # noqa: E402

from hallops.realtime.events import set_server_loop  # noqa: E402
from hallops.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
