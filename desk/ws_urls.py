"""WebSocket routes. Every frame is described in docs/protocol.md."""

from django.urls import path

from desk.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/desk/", AgentConsumer.as_asgi()),
]
