from django.urls import path

from hallops.realtime.consumers import HallConsumer

websocket_urlpatterns = [path("ws/hall/<slug:code>/", HallConsumer.as_asgi())]
