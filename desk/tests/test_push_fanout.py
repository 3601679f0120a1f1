"""Delivery to N agents costs no database query per agent per event: a push published once
(`desk.kernel.realtime`) reaches every agent socket that hears it, and the agent consumer
(`event_push`, desk/workspace/conversation_frames.py) forwards the ready JSON text as it is.

Through the real ASGI stack and Redis channel layer, like test_agent_socket.py. Queries are
counted on every connection of the process (the consumers' database work runs in a thread pool,
not on the test's connection)."""

import threading

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.db.backends.utils import CursorWrapper
from django.test import Client

from chat import events, services
from chat.models import Conversation, SenderType
from chat.tests.factories import ConversationFactory
from desk.kernel import push_events, realtime
from desk.tests.test_agent_socket import drain, open_agent_socket, session_headers
from routing.tests.factories import AgentProfileFactory, TeamFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("own_channel_prefix"),
]


class QueryCounter:
    """Every statement any thread runs between `start()` and `stop()`."""

    def __init__(self):
        self.statements: list[str] = []
        self.lock = threading.Lock()
        self.original = CursorWrapper._execute_with_wrappers

    def start(self) -> None:
        original, statements, lock = self.original, self.statements, self.lock

        def counted(cursor, sql, params, many, executor):
            with lock:
                statements.append(sql)
            return original(cursor, sql, params, many, executor)

        CursorWrapper._execute_with_wrappers = counted

    def stop(self) -> list[str]:
        CursorWrapper._execute_with_wrappers = self.original
        return list(self.statements)


def test_pushes_to_many_agent_sockets_cost_no_query():
    team = TeamFactory(name="Sales")
    agents = [AgentProfileFactory(teams=[team]) for _ in range(3)]
    conversation = ConversationFactory(team=team)
    pushes = 5
    messages = [
        services.message_create(
            conversation=conversation, sender_type=SenderType.CUSTOMER, body=f"message {n}"
        ).message
        for n in range(pushes)
    ]
    loaded = Conversation.objects.select_related("customer", "team").get(pk=conversation.pk)
    for message in messages:
        message.conversation = loaded
    summary = events.conversation_json(loaded)
    headers = [session_headers(Client(), agent.user) for agent in agents]

    def publish_all() -> None:
        for n, message in enumerate(messages):
            events.publish_message(message)  # no transaction: sent at once
            realtime.send_now(
                events.inbox_groups(loaded),
                push_events.frame(
                    push_events.CONVERSATION_UPDATE,
                    conversation_id=conversation.pk,
                    conversation={**summary, "unread": n},
                ),
            )

    async def scenario():
        sockets = []
        for agent_headers in headers:  # two tabs per agent
            for _ in range(2):
                socket, _ = await open_agent_socket(agent_headers)
                await socket.send_json_to(
                    {"type": "conversation.open", "conversation_id": conversation.pk, "ref": 1}
                )
                sockets.append(socket)
        for socket in sockets:
            await drain(socket)  # the open's answer, viewers …
        counter = QueryCounter()
        counter.start()
        try:
            await sync_to_async(publish_all)()
            heard = [await drain(socket) for socket in sockets]
        finally:
            statements = counter.stop()
        for socket in sockets:
            await socket.disconnect()
        return heard, statements

    heard, statements = async_to_sync(scenario)()

    assert statements == []
    for frames in heard:
        kinds = [frame["type"] for frame in frames]
        assert kinds.count("message.new") == pushes
        assert kinds.count("conversation.update") == pushes
    assert len(heard) == 6


def test_a_push_heard_by_many_sockets_is_decoded_once_and_their_channels_end_with_them():
    """The pub/sub layer's reader puts a group's message into each socket's inbox as the same
    bytes; the sockets decode it once between them (desk.kernel.socket), where Channels' receive
    decodes it once per socket. A closed socket's channel is forgotten and unsubscribed."""
    from channels.layers import get_channel_layer

    team = TeamFactory(name="Support")
    agents = [AgentProfileFactory(teams=[team]) for _ in range(4)]
    headers = [session_headers(Client(), agent.user) for agent in agents]
    event = push_events.frame(
        push_events.CONVERSATION_UPDATE, conversation_id=1, conversation={"id": 1}
    )

    async def scenario():
        layer = get_channel_layer()
        decoded: list[bytes] = []
        counting = {"on": False}
        original = layer.deserialize

        def deserialize(data):
            if counting["on"]:
                decoded.append(data)
            return original(data)

        layer.deserialize = deserialize
        try:
            sockets = [(await open_agent_socket(h))[0] for h in headers]
            for socket in sockets:
                await drain(socket, expect=False)  # colleagues' presence
            loop_layer = layer._get_layer()
            names = [name for name in loop_layer.channels if "specific." in name]
            counting["on"] = True
            await realtime._send([events.inbox_team(team.pk)], event)
            heard = [await drain(socket) for socket in sockets]
            counting["on"] = False
        finally:
            layer.deserialize = original
        for socket in sockets:
            await socket.disconnect()
        left = [name for name in names if name in loop_layer.channels]
        return heard, decoded, names, left

    heard, decoded, names, left = async_to_sync(scenario)()

    for frames in heard:
        assert [f["type"] for f in frames].count("conversation.update") == 1
    assert len(decoded) == 1
    assert len(names) >= len(agents)
    assert left == []


def test_an_assignee_in_the_team_hears_each_message_once():
    """The push goes to the team's inbox and to the assignee's: an agent in both gets one copy."""
    team = TeamFactory(name="Support")
    agent = AgentProfileFactory(teams=[team])
    conversation = ConversationFactory(team=team, assignee=agent.user)
    message = services.message_create(
        conversation=conversation, sender_type=SenderType.CUSTOMER, body="hello"
    ).message
    message.conversation = Conversation.objects.select_related("customer", "team").get(
        pk=conversation.pk
    )
    assert len(events.inbox_groups(message.conversation)) == 3  # all, team, the assignee
    headers = session_headers(Client(), agent.user)

    async def scenario():
        socket, _ = await open_agent_socket(headers)
        await drain(socket, expect=False)
        await sync_to_async(events.publish_message)(message)
        frames = await drain(socket)
        await socket.disconnect()
        return frames

    frames = async_to_sync(scenario)()
    assert [frame["type"] for frame in frames].count("message.new") == 1
