"""WebSocket routes. Every frame is described in docs/protocol.md."""

from django.urls import path

from chat.consumers import WidgetConsumer
from desk.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/desk/", AgentConsumer.as_asgi()),
    path("ws/widget/", WidgetConsumer.as_asgi()),
]
