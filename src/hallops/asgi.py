"""ASGI entry point: HTTP through Django, WebSockets through Channels, static files before the middleware."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hallops.settings.dev")

import asyncio

import django
from asgiref.sync import sync_to_async
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.handlers.asgi import ASGIHandler

django.setup(set_prefix=False)


class SyncChainASGIHandler(ASGIHandler):
    """Django under ASGI with the middleware chain and the views run as one sync call in a worker thread.

    Our views and middleware are synchronous. Left to itself, Django adapts every middleware to async mode and
    hops between the event loop and a thread around each of them; here the whole request makes one hop, as it
    would under WSGI, while the event loop keeps serving WebSockets and other connections.
    """

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)

    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        set_server_loop(asyncio.get_running_loop())
        await super().__call__(scope, receive, send)


# Static files are answered by their own handler in front of the middleware chain.
django_asgi = ASGIStaticFilesHandler(SyncChainASGIHandler())

from hallops.realtime.events import set_server_loop  # noqa: E402
from hallops.realtime.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi,
        "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
    }
)
