"""Widget socket limits shared by all of a visitor's sockets (desk/kernel/ratelimit.py): messages
per
visitor, and a cap on open sockets per visitor that a dead process cannot leak."""

import time

import pytest
import redis
from channels.testing import WebsocketCommunicator

from chat.models import Message
from chat.tests.test_widget_socket import (
    ORIGIN,
    TIMEOUT,
    connect,
    drain,
    new_visitor,
    run,
    send_frame,
    site,  # noqa: F401 (a fixture)
)
from desk.asgi import application
from desk.kernel.ratelimit import CLOSE_TOO_MANY_SOCKETS

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


def test_the_message_limit_holds_across_two_sockets_of_one_visitor(site, settings):  # noqa: F811
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "message.visitor": (3, 60)}
    token = new_visitor(site).token

    async def scenario():
        first, _ = await connect(token)
        second, _ = await connect(token)
        answers = []
        for n, socket in enumerate([first, second, first, second]):
            await socket.send_json_to(send_frame(f"c-{n}", f"m{n}", ref=f"r{n}"))
            answers += [f for f in await drain(socket) if f["type"] in ("ack", "error")]
        await first.disconnect()
        await second.disconnect()
        return answers

    answers = run(scenario)
    assert [f["type"] for f in answers] == ["ack", "ack", "ack", "error"]
    refused = answers[-1]
    assert (refused["code"], refused["ref"]) == ("rate_limited", "r3")
    assert 1 <= refused["retry_after"] <= 60
    assert Message.objects.count() == 3


async def refused_socket(token):
    """A socket over the cap: an `error` frame `too_many_sockets`, then close 4429."""
    socket = WebsocketCommunicator(application, "/ws/widget/", headers=[ORIGIN])
    connected, _ = await socket.connect(timeout=TIMEOUT)
    assert connected
    await socket.send_json_to({"type": "auth", "token": token})
    error = await socket.receive_json_from(timeout=TIMEOUT)
    closed = await socket.receive_output(timeout=TIMEOUT)
    return error, closed


def test_a_visitor_opens_at_most_the_cap_of_sockets(site, settings):  # noqa: F811
    settings.SOCKET_CAPS = {**settings.SOCKET_CAPS, "visitor": 2}
    token = new_visitor(site).token
    other = new_visitor(site).token

    async def scenario():
        first, _ = await connect(token)
        second, _ = await connect(token)
        error, closed = await refused_socket(token)
        elsewhere, _ = await connect(other)  # another visitor has slots of its own
        await first.disconnect()  # a slot is free again
        third, _ = await connect(token)
        for socket in (second, third, elsewhere):
            await socket.disconnect()
        return error, closed

    error, closed = run(scenario)
    assert (error["type"], error["code"]) == ("error", "too_many_sockets")
    assert closed["type"] == "websocket.close"
    assert closed["code"] == CLOSE_TOO_MANY_SOCKETS


def test_slots_of_a_process_that_died_do_not_count(site, settings):  # noqa: F811
    """A socket whose process died never freed its slot; without heartbeats it stops counting."""
    settings.SOCKET_CAPS = {**settings.SOCKET_CAPS, "visitor": 1}
    session = new_visitor(site)
    key = f"{settings.RATE_LIMIT_PREFIX}:sockets.visitor:{session.visitor.pk}"
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.zadd(key, {"dead-process-channel": (time.time() - 3600) * 1000})

    async def scenario():
        socket, hello = await connect(session.token)
        await socket.disconnect()
        return hello

    assert run(scenario)["type"] == "hello"
    assert client.zrange(key, 0, -1) == []  # pruned, and this socket's own slot freed
