"""The agent socket /ws/desk/ through the real ASGI stack and the real Redis channel layer.

Test bodies are coroutines run with `async_to_sync`, so database calls made by the consumer come
back to this thread and its connection. Pushes go out on commit, hence transactional tests.
"""

import json

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.test import Client

from desk.asgi import application
from desk.kernel.socket import MAX_FRAME_BYTES
from routing.models import AgentProfile, PresenceLog
from routing.tests.factories import AgentProfileFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]

ORIGIN = (b"origin", b"http://127.0.0.1")
HOST = (
    b"host",
    b"127.0.0.1",
)  # the agent socket takes only its own origin (desk/kernel/socket_origin.py)
TIMEOUT = 3


def session_headers(client, user, origin=ORIGIN):
    client.force_login(user)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
    return [origin, HOST, (b"cookie", cookie)]


async def open_socket(headers):
    socket = WebsocketCommunicator(application, "/ws/desk/", headers=headers)
    connected, code = await socket.connect(timeout=TIMEOUT)
    return socket, connected, code


async def open_agent_socket(headers):
    socket, connected, _ = await open_socket(headers)
    assert connected
    hello = await socket.receive_json_from(timeout=TIMEOUT)
    assert hello["type"] == "hello"
    return socket, hello


async def assert_ping_pong(socket, ref="check"):
    await socket.send_json_to({"type": "ping", "ref": ref})
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "pong", "ref": ref}


async def drain(socket, quiet=0.5, *, expect=True):
    """Every frame the socket sends until it has been quiet for `quiet` seconds (waiting for a
    first one unless `expect` is False)."""
    frames = [await socket.receive_json_from(timeout=TIMEOUT)] if expect else []
    while not await socket.receive_nothing(timeout=quiet):
        frames.append(await socket.receive_json_from(timeout=TIMEOUT))
    return frames


def run(coroutine_function):
    return async_to_sync(coroutine_function)()


def test_anonymous_connection_is_closed_with_4403():
    async def scenario():
        socket, connected, _ = await open_socket([ORIGIN, HOST])
        assert connected  # accepted only to tell the browser why it is closed
        assert await socket.receive_output(timeout=TIMEOUT) == {
            "type": "websocket.close",
            "code": 4403,
        }

    run(scenario)


def test_non_agent_is_closed_with_4403(client):
    headers = session_headers(client, UserFactory())

    async def scenario():
        socket, connected, _ = await open_socket(headers)
        assert connected
        message = await socket.receive_output(timeout=TIMEOUT)
        assert message == {"type": "websocket.close", "code": 4403}

    run(scenario)


@pytest.mark.parametrize("origin", [b"https://evil.example", b"null"])
def test_foreign_origin_is_refused(client, agent, origin):
    headers = session_headers(client, agent.user, origin=(b"origin", origin))

    async def scenario():
        _, connected, _ = await open_socket(headers)
        assert not connected

    run(scenario)


def test_agent_gets_hello_and_pong(client, agent):
    agent.display_name = "Lina Wang"
    agent.presence = "away"
    agent.save()
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, hello = await open_agent_socket(headers)
        assert hello == {
            "type": "hello",
            "agent": {"id": agent.user_id, "display_name": "Lina Wang", "presence": "away"},
        }
        await assert_ping_pong(socket, ref=17)
        await socket.disconnect()

    run(scenario)
    agent.refresh_from_db()
    assert agent.last_seen_at is not None


def test_presence_set_acks_saves_and_reaches_the_other_tab(client, agent):
    headers = session_headers(client, agent.user)

    async def scenario():
        first, _ = await open_agent_socket(headers)
        second, _ = await open_agent_socket(headers)
        await first.send_json_to({"type": "presence.set", "presence": "busy", "ref": "r1"})
        heard = await drain(first), await drain(second)
        await assert_ping_pong(second)
        await first.disconnect()
        await second.disconnect()
        return heard

    first_frames, second_frames = run(scenario)
    agent.refresh_from_db()
    assert agent.presence == "busy"
    event = {
        "type": "agent.presence",
        "op": "update",
        "agent_id": agent.user_id,
        "presence": "busy",
        "changed_at": agent.presence_changed_at.isoformat(),
    }
    assert first_frames[0] == {"type": "ack", "ref": "r1", "presence": "busy"}
    assert set(map(json.dumps, first_frames[1:])) == {json.dumps(event)}
    assert set(map(json.dumps, second_frames)) == {json.dumps(event)}
    log = PresenceLog.objects.get()
    assert (log.old_value, log.new_value, log.actor_id) == ("offline", "busy", agent.user_id)


def test_each_tab_hears_a_presence_change_once(client, agent):
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({"type": "presence.set", "presence": "away", "ref": "r2"})
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    assert [frame["type"] for frame in run(scenario)] == ["ack", "agent.presence"]


def test_other_agents_hear_presence_but_not_the_ack(client, agent):
    colleague = AgentProfileFactory()
    mine = session_headers(client, agent.user)
    theirs = session_headers(Client(), colleague.user)

    async def scenario():
        socket, _ = await open_agent_socket(mine)
        other, _ = await open_agent_socket(theirs)
        await socket.send_json_to({"type": "presence.set", "presence": "online", "ref": 1})
        heard = await drain(other)
        await socket.disconnect()
        await other.disconnect()
        return heard

    heard = run(scenario)
    assert [(f["type"], f["agent_id"], f["presence"]) for f in heard] == [
        ("agent.presence", agent.user_id, "online")
    ]


def test_invalid_presence_is_an_error_and_changes_nothing(client, agent):
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await socket.send_json_to({"type": "presence.set", "presence": "asleep", "ref": "r9"})
        error = await socket.receive_json_from(timeout=TIMEOUT)
        await assert_ping_pong(socket)
        await socket.disconnect()
        return error

    error = run(scenario)
    assert error["type"] == "error"
    assert error["code"] == "invalid_presence"
    assert error["ref"] == "r9"
    assert AgentProfile.objects.get(pk=agent.pk).presence == "offline"
    assert not PresenceLog.objects.exists()


@pytest.mark.parametrize(
    ("frame", "code", "ref"),
    [
        ("{not json", "invalid_json", None),
        ("[" * 60000, "invalid_json", None),  # json.loads raises RecursionError: was 1011
        ('{"type": "ping", "x": ' + "[" * 40 + "]" * 40 + "}", "invalid_json", None),
        ('{"type": "ping", "x": NaN}', "invalid_json", None),
        ('{"type": "sync", "after_seq": 99999999999999999999}', "invalid_frame", None),
        (
            '{"type": "read", "conversation_id": 1, "seq": 99999999999999999999}',
            "invalid_frame",
            None,
        ),
        (
            json.dumps({"type": "conversation.leave", "conversation_id": 10**20}),
            "invalid_frame",
            None,
        ),
        ('["ping"]', "invalid_frame", None),
        ('{"ref": 3}', "invalid_frame", None),
        ('{"type": "teleport", "ref": 5}', "unknown_type", 5),
        ('{"type": "__init__", "ref": 6}', "unknown_type", 6),
        ('{"type": "event.push", "event": {}}', "unknown_type", None),
        (json.dumps({"type": "ping", "pad": "x" * MAX_FRAME_BYTES}), "frame_too_large", None),
        (b"\x00\x01", "binary_not_supported", None),
    ],
)
def test_bad_frames_get_an_error_and_the_socket_keeps_working(client, agent, frame, code, ref):
    headers = session_headers(client, agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        if isinstance(frame, bytes):
            await socket.send_to(bytes_data=frame)
        else:
            await socket.send_to(text_data=frame)
        error = await socket.receive_json_from(timeout=TIMEOUT)
        await assert_ping_pong(socket)
        await socket.disconnect()
        return error

    error = run(scenario)
    assert error["type"] == "error"
    assert error["code"] == code
    assert error.get("ref") == ref
    assert error["message"]
