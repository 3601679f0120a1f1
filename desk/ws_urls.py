"""WebSocket routes. Every frame is described in docs/protocol.md.

Origins: the agent socket accepts only pages of its own origin (desk/socket_origin.py); the widget
socket, opened by our own /widget/frame/ page, any origin whose host is in ALLOWED_HOSTS.
"""

from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from chat.consumers import WidgetConsumer
from desk.consumers import AgentConsumer
from desk.socket_origin import SameOriginValidator

websocket_urlpatterns = [
    path("ws/desk/", SameOriginValidator(AgentConsumer.as_asgi())),
    path("ws/widget/", AllowedHostsOriginValidator(WidgetConsumer.as_asgi())),
]
