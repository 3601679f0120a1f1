"""The agent socket opens only for pages of its own origin: scheme, host and port
(desk/kernel/socket_origin.py). The widget socket keeps its rule: any origin on an allowed host."""

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator

from desk.asgi import application
from desk.tests.test_agent_socket import TIMEOUT, session_headers

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


def opens(path: str, headers: list[tuple[bytes, bytes]], scheme: str = "ws") -> bool:
    """Whether the socket at `path` accepts the handshake; `scheme` is what the server saw
    (wss behind TLS, or with X-Forwarded-Proto https from a trusted proxy)."""

    async def app(scope, receive, send):
        await application({**scope, "scheme": scheme}, receive, send)

    async def handshake():
        socket = WebsocketCommunicator(app, path, headers=headers)
        connected, _ = await socket.connect(timeout=TIMEOUT)
        await socket.disconnect()
        return connected

    return async_to_sync(handshake)()


def agent_headers(client, agent, *, origin: bytes, host: bytes):
    cookie = [value for name, value in session_headers(client, agent.user) if name == b"cookie"]
    return [(b"origin", origin), (b"host", host), (b"cookie", cookie[0])]


@pytest.mark.parametrize(
    ("scheme", "origin", "host"),
    [
        ("ws", b"http://127.0.0.1:8000", b"127.0.0.1:8000"),
        ("ws", b"http://localhost", b"localhost:80"),
        ("wss", b"https://localhost", b"localhost"),
    ],
)
def test_the_agent_socket_opens_for_its_own_origin(client, agent, scheme, origin, host):
    assert opens("/ws/desk/", agent_headers(client, agent, origin=origin, host=host), scheme)


@pytest.mark.parametrize(
    ("scheme", "origin", "host"),
    [
        ("ws", b"http://127.0.0.1:8001", b"127.0.0.1:8000"),  # another port of the same host
        ("ws", b"http://127.0.0.1", b"127.0.0.1:8000"),
        ("ws", b"https://127.0.0.1:8000", b"127.0.0.1:8000"),  # another scheme
        ("wss", b"http://localhost", b"localhost"),
        ("ws", b"http://evil.example", b"evil.example"),  # a host we do not serve
        ("ws", b"null", b"127.0.0.1"),
        ("ws", b"", b"127.0.0.1"),
    ],
)
def test_the_agent_socket_refuses_another_origin(client, agent, scheme, origin, host):
    headers = agent_headers(client, agent, origin=origin, host=host)
    assert not opens("/ws/desk/", [h for h in headers if h[1]], scheme)


def test_a_csrf_trusted_origin_may_open_the_agent_socket(client, agent, settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://desk.example.com", "https://*.corp.example"]
    for origin in (b"https://desk.example.com", b"https://ops.corp.example"):
        headers = agent_headers(client, agent, origin=origin, host=b"127.0.0.1:8000")
        assert opens("/ws/desk/", headers)
    headers = agent_headers(client, agent, origin=b"http://desk.example.com", host=b"127.0.0.1")
    assert not opens("/ws/desk/", headers)


def test_the_widget_socket_keeps_its_allowed_hosts_rule():
    """The widget frame is our page; its socket's origin is checked against ALLOWED_HOSTS only."""
    assert opens("/ws/widget/", [(b"origin", b"http://127.0.0.1:8001"), (b"host", b"127.0.0.1")])
    assert not opens("/ws/widget/", [(b"origin", b"http://evil.example")])
