"""The real ASGI stack: daphne in a subprocess, HTTP and WebSocket from outside."""

import json
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from routing.tests.factories import UserFactory


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/ws/desk/"


def session_cookie(client, user) -> str:
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def test_healthz_over_http(daphne_server):
    with urllib.request.urlopen(f"{daphne_server}/healthz", timeout=5) as response:  # noqa: S310
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert json.loads(response.read()) == {"status": "ok", "database": "ok", "redis": "ok"}


def test_static_files_are_served_without_debug(daphne_server):
    with urllib.request.urlopen(f"{daphne_server}/static/desk/workspace.js", timeout=5) as response:  # noqa: S310
        assert response.status == 200
        assert "javascript" in response.headers["Content-Type"]
        assert b"new DeskSocket(" in response.read()


def test_agent_socket_says_hello_and_answers_ping(daphne_server, client, agent):
    headers = {"Cookie": session_cookie(client, agent.user)}
    with connect(ws_url(daphne_server), origin=daphne_server, additional_headers=headers) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello == {
            "type": "hello",
            "agent": {
                "id": agent.user_id,
                "display_name": agent.display_name,
                "presence": "offline",
            },
        }
        ws.send(json.dumps({"type": "ping", "ref": "smoke"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "pong", "ref": "smoke"}


@pytest.mark.parametrize("who", ["anonymous", "non-agent"])
def test_socket_without_an_agent_session_is_closed_with_4403(daphne_server, client, who):
    headers = {} if who == "anonymous" else {"Cookie": session_cookie(client, UserFactory())}
    ws = connect(ws_url(daphne_server), origin=daphne_server, additional_headers=headers)
    with ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd.code == 4403


def test_socket_from_a_foreign_origin_is_refused(daphne_server, client, agent):
    headers = {"Cookie": session_cookie(client, agent.user)}
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url(daphne_server), origin="https://evil.example", additional_headers=headers)
    assert refused.value.response.status_code == 403
