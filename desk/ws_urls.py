"""WebSocket routes. Every frame is described in docs/protocol.md.

Origins: the agent socket accepts only pages of its own origin (desk/kernel/socket_origin.py); the
widget
socket, opened by our own /widget/frame/ page, any origin whose host is in ALLOWED_HOSTS.
"""

from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from chat.widget.consumers import WidgetConsumer
from desk.kernel.socket_origin import SameOriginValidator
from desk.workspace.consumers import AgentConsumer

websocket_urlpatterns = [
    path("ws/desk/", SameOriginValidator(AgentConsumer.as_asgi())),
    path("ws/widget/", AllowedHostsOriginValidator(WidgetConsumer.as_asgi())),
]
